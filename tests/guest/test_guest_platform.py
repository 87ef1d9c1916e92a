"""The guest is the router the ARM tier promises: legacy iptables, tun for tinc, namespaces,
and router-wg installed from the tree with the pinned pyroute2, not Debian's."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.root


def output(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout


def test_iptables_is_the_legacy_backend_as_on_freshtomato():
    assert "(legacy)" in output("iptables", "--version")
    assert "(legacy)" in output("ip6tables", "--version")
    assert "*filter" in output("iptables-save", "-t", "filter")


def test_tun_device_exists_for_tinc():
    assert Path("/dev/net/tun").is_char_device()


def test_network_namespaces_and_veth_work():
    name = "rwg-platform"
    veth_pair = ["name", "veth-a", "type", "veth", "peer", "name", "veth-b"]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "add", *veth_pair], check=True)
        assert "veth" in output("ip", "-n", name, "-d", "link", "show", "veth-a")
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def test_router_wg_and_pinned_pyroute2_are_importable():
    code = "import pyroute2, router_wg; print(pyroute2.__version__); print(router_wg.__file__)"
    version, location = output(sys.executable, "-c", code).split()
    assert version == "0.9.7"
    assert location.startswith("/opt/router-wg/site/")
