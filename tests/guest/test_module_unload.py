"""`stop` unloads the WireGuard module when nothing else can be using it: run in the guest's
own network namespace, the only one left once the lab tests have cleaned up. (That stop keeps
the module while another namespace has a WireGuard link is in tests/scenarios/test_start_stop.)
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
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


def test_stop_unloads_the_module_when_nothing_else_uses_it(tmp_path):
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
    )
    router_wg(tmp_path, "start", "--conf-dir", str(bundles["solo.example.net"]))
    assert (MODULE / "initstate").read_text().strip() == "live"

    router_wg(tmp_path, "stop", "--conf-dir", str(bundles["solo.example.net"]))

    assert not MODULE.exists(), "stop left the WireGuard module loaded"
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "wg0" not in links
