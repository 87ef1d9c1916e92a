"""The ARM guest's WireGuard is the real kernel module, driven by the real system tools.

guest kernel (armmp) --modprobe--> wireguard.ko (+ udp_tunnel, curve25519-neon, ...)
netns rwg-kmod-<pid>:  wg0 (kind wireguard)  <--  ip link / wg set / wg show
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.kernel_module, pytest.mark.root]
MODULE = Path("/sys/module/wireguard")


def run(*argv: str, input: str | None = None) -> str:
    print("[#]", " ".join(argv))
    done = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{argv} exited {done.returncode}: {done.stderr.strip()}"
    return done.stdout


@pytest.fixture
def netns():
    name = f"rwg-kmod-{os.getpid()}"
    run("ip", "netns", "add", name)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def test_modprobe_loads_the_real_module():
    # Earlier tests in the same guest may have loaded it (ip link autoloads); start unloaded.
    if MODULE.exists():
        removed = subprocess.run(["modprobe", "-r", "wireguard"], capture_output=True, text=True)
        assert removed.returncode == 0, f"wireguard is still in use: {removed.stderr.strip()}"
    assert not MODULE.exists()

    run("modprobe", "wireguard")

    lsmod = {line.split()[0]: line.split() for line in run("lsmod").splitlines()[1:]}
    assert "wireguard" in lsmod
    assert (MODULE / "initstate").read_text().strip() == "live"
    # A loadable module resolved with its dependencies, not something built in.
    for dependency in ("udp_tunnel", "ip6_udp_tunnel", "libchacha20poly1305"):
        assert (Path("/sys/module", dependency, "holders", "wireguard")).exists(), dependency
    assert "WireGuard" in run("dmesg")


def test_link_is_of_kind_wireguard_and_wg_drives_it(netns):
    run("ip", "-n", netns, "link", "add", "wg0", "type", "wireguard")
    (link,) = json.loads(run("ip", "-n", netns, "-d", "-j", "link", "show", "wg0"))
    assert link["linkinfo"]["info_kind"] == "wireguard"

    # The kernel derives the public key itself (curve25519 in the module): it must match wg's.
    private_key = run("wg", "genkey")
    expected_public = run("wg", "pubkey", input=private_key).strip()
    wg = ("ip", "netns", "exec", netns, "wg")
    run(*wg, "set", "wg0", "listen-port", "51820", "private-key", "/dev/stdin", input=private_key)
    assert run(*wg, "show", "wg0", "public-key").strip() == expected_public
    assert run(*wg, "show", "wg0", "listen-port").strip() == "51820"
