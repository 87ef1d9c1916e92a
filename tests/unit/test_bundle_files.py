"""The bundle's two files as the router reads them: what makeconf renders loads back as it
was, the two files are checked against each other, and whatever else is in them (a hand
edit, a truncated copy, binary junk) is refused naming the file and field, never with a
traceback and never repeating a key."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from router_wg.backends.runner import Runner
from router_wg.bundle.load import load_bundle
from router_wg.bundle.render import render_bundle
from router_wg.bundle.settings import load_site
from router_wg.bundle.site import Peer, Site, Stamp, Watchdog
from router_wg.bundle.wireguard import WgDevice, WgPeer, parse_config
from router_wg.errors import CommandError, ConfigError

PRIVATE = "IMYPpMTc9/0CYy39tCeMi+ShRpAT+4SV5Dnq1C7k42Y="
PSK = "2JxrEWPxRNxB19njRL3Mn+g5VTopf5Qq2SoVBh2o5s0="
BETA = "Q1gmUx9bmtxcFktgdge/DjLEgCUs6PK7a5hafDHHHB4="
STAMP = Stamp(4, "3f9a0c2e51d7b864")
SITE = Site(
    fqdn="alpha.example.net",
    interface="wg0",
    tunnel_address=ipaddress.ip_address("192.168.100.1"),
    tunnel_prefix=24,
    listen_port=51820,
    lans=(ipaddress.ip_network("10.0.1.0/24"), ipaddress.ip_network("fd00:1::/64")),
    peers=(
        Peer(
            "beta.example.net",
            BETA,
            ipaddress.ip_address("192.168.100.2"),
            (ipaddress.ip_network("10.0.2.0/24"),),
            "[2001:db8::2]:51821",
            25,
        ),
    ),
    watchdog=Watchdog(fall=4, probe_timeout=1.5),
    mtu=1412,
    fallback_network=ipaddress.ip_network("10.0.0.0/16"),
    fallback_interface="tinc",
    stamp=STAMP,
)
DEVICE = WgDevice(
    PRIVATE,
    51820,
    (WgPeer(BETA, ("192.168.100.2/32", "10.0.2.0/24"), PSK, "[2001:db8::2]:51821", 25),),
    STAMP,
)


def bundle_folder(tmp_path: Path, site: Site = SITE, device: WgDevice = DEVICE) -> Path:
    for name, text in render_bundle(site, device).items():
        (tmp_path / name).write_text(text)
    return tmp_path


def problems(excinfo) -> str:
    return str(excinfo.value)


def test_what_makeconf_renders_loads_back_as_it_was(tmp_path):
    loaded = load_bundle(bundle_folder(tmp_path))
    assert loaded.site == SITE
    assert loaded.wireguard == DEVICE
    assert loaded.wireguard.stamp == STAMP
    assert PRIVATE not in repr(loaded) and PSK not in repr(loaded)


def test_files_of_two_makeconf_runs_are_refused_naming_both_serials(tmp_path):
    folder = bundle_folder(tmp_path)
    later = Stamp(5, "0" * 16)
    (tmp_path / "later").mkdir()
    other = bundle_folder(
        tmp_path / "later", replace(SITE, stamp=later), replace(DEVICE, stamp=later)
    )
    shutil.copy(other / "wg.conf", folder / "wg.conf")
    with pytest.raises(ConfigError) as refused:
        load_bundle(folder)
    assert refused.value.exit_code == 3
    assert f"{folder}/wg0.conf: line 1: is from mesh serial 4" in problems(refused)
    assert "wg.conf is from mesh serial 5" in problems(refused)
    assert "same makeconf run" in problems(refused)


def test_a_hand_edited_stamp_does_not_hide_other_peers(tmp_path):
    folder = bundle_folder(tmp_path)
    other_peer = replace(DEVICE.peers[0], public_key="x4uJw7uaGWbDCBRvaVm2CWtvfAMGd7yNAVYkPJt8XGE=")
    (folder / "wg0.conf").write_text(
        render_bundle(SITE, replace(DEVICE, peers=(other_peer,)))["wg0.conf"]
    )
    with pytest.raises(ConfigError, match=r"wg0.conf: \[Peer\]: its 1 peers are not the 1 of wg"):
        load_bundle(folder)


def test_a_bundle_without_a_stamp_asks_for_a_new_makeconf_run(tmp_path):
    folder = bundle_folder(tmp_path)
    text = (folder / "wg.conf").read_text()
    (folder / "wg.conf").write_text(text.split("[site]", 1)[1].join(["[site]", ""]))
    with pytest.raises(ConfigError, match=r"wg.conf: \[bundle\]: is missing \(an older makeconf"):
        load_bundle(folder)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xff\xfe\x00junk", "is not UTF-8 text (byte 0 is 0xff)"),
        (b"[site\n", "syntax:"),
        (b"site = 3\npeer = [1, 2]\n", "field site must be a dict"),
        (b'[site]\ninterface = "../../etc"\n', "field interface: '../../etc' is not an interf"),
        (b"[[peer]]\nlans = [5]\n", 'field lans: must be a list of networks as strings, e.g. ["1'),
        (b'[[peer]]\nfqdn = "b"\npublic_key = "short"\n', "field public_key: is not a WireGuard"),
        (b'[bundle]\nserial = 0\nfingerprint = "zz"\n', "field serial: 0 is not a serial"),
    ],
)
def test_junk_in_wg_conf_names_the_file_and_field(tmp_path, content, says):
    (tmp_path / "wg.conf").write_bytes(content)
    with pytest.raises(ConfigError) as refused:
        load_site(tmp_path)
    assert f"{tmp_path}/wg.conf: " in problems(refused)
    assert says in problems(refused)


def test_an_unreadable_bundle_file_is_named(tmp_path):
    (tmp_path / "wg.conf").mkdir()
    with pytest.raises(ConfigError, match=r"wg.conf: file: cannot be read \(Is a directory\)"):
        load_site(tmp_path)


@pytest.mark.parametrize(
    ("line", "section", "says"),
    [
        (
            "PrivateKey = IMYPpMTc9/0CYy39tCeMi+ShRpAT+4SV5Dnq1C7k42",
            "[Interface]",
            "PrivateKey is not",
        ),
        ("ListenPort = 99999", "[Interface]", "ListenPort 99999 is not a UDP port"),
        ("FwMark = 7", "[Interface]", "FwMark is not a key router-wg writes here"),
        ("Endpoint = beta", "[Peer]", "Endpoint 'beta' is not host:port"),
        ("AllowedIPs = 10.0.2.0/33", "[Peer]", "AllowedIPs '10.0.2.0/33' does not appear"),
    ],
)
def test_junk_in_wg0_conf_names_the_line_and_never_the_key(line, section, says):
    text = render_bundle(SITE, DEVICE)["wg0.conf"]
    key = line.split(" = ")[0]
    kept = [x for x in text.splitlines() if not x.startswith(key + " =")]
    where = kept.index(section) + 1
    kept.insert(where, line)
    with pytest.raises(ConfigError) as refused:
        parse_config("\n".join(kept) + "\n", "wg0.conf")
    assert f"wg0.conf: line {where + 1}: {says}" in problems(refused)
    assert PRIVATE[:-2] not in problems(refused)


def test_a_key_wg_refuses_is_hidden_from_the_error():
    """The real `wg` quotes a key it cannot parse; router-wg's error must not."""
    wg = shutil.which("wg")
    assert wg, "wg is not installed (make deps installs wireguard-tools)"
    broken = "IMYPpMTc9/0CYy39tCeMi+ShRpAT+4SV5Dnq1C7k42"
    with pytest.raises(CommandError) as failed:
        Runner().run(
            [wg, "syncconf", "no-such-if", "/dev/stdin"],
            secret_input=f"[Interface]\nPrivateKey = {broken}\n",
        )
    assert "Key is not the correct length or format" in failed.value.stderr
    assert broken not in str(failed.value) and broken[:20] not in failed.value.stderr


def test_plan_on_junk_exits_3_without_a_traceback(tmp_path):
    (tmp_path / "wg.conf").write_bytes(b"\x00\x01\x02\xff")
    done = subprocess.run(
        [sys.executable, "-m", "router_wg", "--root", tmp_path, "plan", "--conf-dir", tmp_path],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert f"{tmp_path}/wg.conf: file: is not UTF-8 text" in done.stderr
