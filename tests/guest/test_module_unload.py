"""`stop` unloads the WireGuard module when nothing else can be using it: run in the guest's
own network namespace, the only one left once the lab tests have cleaned up. (That stop keeps
the module while another namespace has a WireGuard link is in tests/scenarios/test_start_stop.)
The same stop puts back the fallback interface's rp_filter that start loosened: the kernel side
of tests/scenarios/test_start_stop.py's rp_filter test, whose variants run on the host.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lab.commands import run
from scenarios.bundles import write_bundles

from router_wg.backends import module

pytestmark = [pytest.mark.kernel_module, pytest.mark.root]
MODULE = Path("/sys/module/wireguard")


def router_wg(root: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "router_wg", "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ROUTER_WG_IPTABLES": "iptables-legacy"},
    )
    print(done.stdout, done.stderr)
    assert done.returncode == 0, f"router-wg {' '.join(args)}: {done.stderr.strip()}"


@pytest.fixture
def tinc_device():
    """A tun device named as the bundle's fallback interface (what tincd makes), strict
    rp_filter as a firmware sets it; removed afterwards."""
    run("guest", ["ip", "tuntap", "add", "dev", "tinc", "mode", "tun"])
    try:
        run("guest", ["sysctl", "-qw", "net.ipv4.conf.tinc.rp_filter=1"])
        yield "net.ipv4.conf.tinc.rp_filter"
    finally:
        run("guest", ["ip", "link", "del", "tinc"], check=False)


def test_stop_unloads_the_module_and_puts_back_rp_filter(tmp_path, tinc_device):
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not module.other_network_namespaces(Path("/proc")), (
        f"an earlier test left network namespaces behind: {namespaces or '(held by processes)'}"
    )
    bundles = write_bundles(
        tmp_path / "mesh",
        # the peer's endpoint is loopback: nothing leaves the guest (it has no NIC anyway)
        [
            ("solo.example.net", ["10.9.1.0/24"], None),
            ("peer.example.net", ["10.9.2.0/24"], "127.0.0.1"),
        ],
        fallback_network="10.9.0.0/16",
        fallback_interface="tinc",
    )
    router_wg(tmp_path, "start", "--conf-dir", str(bundles["solo.example.net"]))
    assert (MODULE / "initstate").read_text().strip() == "live"
    assert (
        run("guest", ["sysctl", "-n", tinc_device]).stdout.strip() == "2"
    )  # loose: tinc's replies come back

    router_wg(tmp_path, "stop", "--conf-dir", str(bundles["solo.example.net"]))

    assert not MODULE.exists(), "stop left the WireGuard module loaded"
    links = run("guest", ["ip", "-o", "link"]).stdout
    assert "wg0" not in links and "tinc" in links
    assert run("guest", ["sysctl", "-n", tinc_device]).stdout.strip() == "1"
