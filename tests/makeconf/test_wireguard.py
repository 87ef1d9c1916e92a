"""The bundles against the real wireguard-tools: `wg pubkey`, `wg setconf`, `wg show dump`.

Input: the golden mesh (alpha dialled by name, beta at an IPv6 literal on its own port, gamma
and delta behind NAT, so gamma <-> delta has no link).
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import GOLDEN, run_makeconf

from router_wg.bundle.settings import load_site

needs_wg = pytest.mark.skipif(shutil.which("wg") is None, reason="wireguard-tools (wg) missing")
# what the endpoint names resolve to inside the test namespace
HOSTS = {"alpha.example.net": "198.51.100.1"}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("makeconf") / "out"
    done = run_makeconf("--answers", GOLDEN / "mesh.toml", "--out", out)
    assert done.returncode == 0, done.stderr
    return out


def site_dirs(out: Path) -> list[Path]:
    return sorted(path for path in out.iterdir() if path.is_dir())


def private_key_of(conf: Path) -> str:
    return re.search(r"^PrivateKey = (\S+)$", conf.read_text(), re.MULTILINE).group(1)


@needs_wg
def test_wg_pubkey_of_every_private_key_is_what_the_other_sites_carry(bundles: Path) -> None:
    carried: dict[str, set[str]] = {}
    for folder in site_dirs(bundles):
        for peer in load_site(folder).peers:
            carried.setdefault(peer.fqdn, set()).add(peer.public_key)
    assert sorted(carried) == sorted(folder.name for folder in site_dirs(bundles))
    for folder in site_dirs(bundles):
        private = private_key_of(folder / "wg0.conf")
        public = subprocess.run(
            ["wg", "pubkey"], input=private, capture_output=True, text=True, check=True
        ).stdout.strip()
        assert carried[folder.name] == {public}, folder.name


def expected_endpoint(endpoint: str | None) -> str:
    """What `wg show dump` prints for a peer endpoint: resolved, or `(none)`."""
    if endpoint is None:
        return "(none)"
    host, port = endpoint.rsplit(":", 1)
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
        return endpoint
    except ValueError:
        return f"{HOSTS[host]}:{port}"


@pytest.mark.root
def test_every_wireguard_file_is_accepted_by_wg_setconf(bundles: Path, namespace) -> None:
    namespace.add_hosts(HOSTS)
    namespace.add_wireguard("wg0")
    for folder in site_dirs(bundles):
        site = load_site(folder)
        namespace.run(["wg", "setconf", "wg0", str(folder / "wg0.conf")])
        dump = namespace.run(["wg", "show", "wg0", "dump"]).stdout.splitlines()
        interface = dump[0].split("\t")
        assert interface[0] == private_key_of(folder / "wg0.conf")
        assert interface[2] == str(site.listen_port)
        shown = {}
        for line in dump[1:]:
            public, psk, endpoint, allowed, _, _, _, keepalive = line.split("\t")
            assert psk != "(none)"
            shown[public] = (endpoint, sorted(allowed.split(",")), keepalive)
        expected = {
            peer.public_key: (
                expected_endpoint(peer.endpoint),
                sorted([f"{peer.tunnel_address}/32", *map(str, peer.lans)]),
                str(peer.keepalive) if peer.keepalive else "off",
            )
            for peer in site.peers
        }
        assert shown == expected, folder.name
    # the pair with no endpoint on either side is absent: gamma and delta have 2 peers each
    assert len(load_site(bundles / "gamma.example.net").peers) == 2
