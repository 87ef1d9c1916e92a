"""The lab's own promises, checked with real packets: NAT, impairments, private WireGuard
sockets, router-wg's re-rooted runs, and cleanup (also of what a killed run left behind).

Host tier only (they need root); the proof scenarios in tests/scenarios/test_platform.py are
what runs in both tiers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from lab import Lab, names
from lab.namespace import PING_PACKET_BYTES

pytestmark = pytest.mark.root


@pytest.fixture
def alpha_bravo(lab):
    return (
        lab.add_router("alpha.example.net", ["10.0.1.0/24"]),
        lab.add_router("bravo.example.net", ["10.0.2.0/24"]),
    )


def test_router_behind_nat_dials_out_but_cannot_be_dialled(lab, wireguard_impl):
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    natted = lab.add_router("nat.example.net", ["10.0.9.0/24"], nat=True)

    assert natted.ping(alpha.underlay_address)
    assert alpha.ping(natted.underlay_address, count=2).received == 0
    lab.wireguard_link(alpha, natted)  # only the NATed side has alpha's endpoint
    assert lab.ping(natted, alpha)
    assert lab.ping(alpha, natted)


def test_cut_all_then_heal(lab, alpha_bravo):
    alpha, bravo = alpha_bravo
    lab.cut(alpha, bravo, what="all")
    assert alpha.ping(bravo.underlay_address, count=2).received == 0
    lab.heal(alpha, bravo)
    assert alpha.ping(bravo.underlay_address)


def test_one_way_cut_drops_only_that_direction(lab, alpha_bravo):
    alpha, bravo = alpha_bravo
    lab.cut(alpha, bravo, what="all", one_way=True)
    alpha_rx_before, _ = alpha.link_counters("wan")

    assert bravo.ping(alpha.underlay_address, count=2).received == 0  # the answers are dropped
    alpha_rx, _ = alpha.link_counters("wan")
    assert alpha_rx - alpha_rx_before >= 2 * PING_PACKET_BYTES  # but the questions arrived


def test_loss_drops_some_not_all(lab, alpha_bravo):
    alpha, bravo = alpha_bravo
    lab.loss(alpha, bravo, 30)  # each echo survives both ways with p = 0.49
    echoes = alpha.ping(bravo.underlay_address, count=20)
    assert 0 < echoes.received < 20, echoes
    lab.heal(alpha, bravo)
    assert alpha.ping(bravo.underlay_address, count=5)


def test_delay_slows_one_pair(lab, alpha_bravo):
    alpha, bravo = alpha_bravo
    charlie = lab.add_router("charlie.example.net", ["10.0.3.0/24"])
    lab.delay(alpha, bravo, 100)  # skips where the kernel has no sch_netem (the host here)
    assert alpha.ping(bravo.underlay_address, count=2).fastest_ms >= 190
    assert alpha.ping(charlie.underlay_address, count=2).fastest_ms < 50


def test_uplink_down_then_up(lab, alpha_bravo):
    alpha, bravo = alpha_bravo
    lab.set_uplink(alpha, False)
    assert alpha.ping(bravo.underlay_address, count=1).received == 0
    lab.set_uplink(alpha, True)
    assert alpha.ping(bravo.underlay_address, count=1)


def test_each_router_has_its_own_wireguard_sockets_and_hosts(lab, alpha_bravo, wireguard_impl):
    alpha, bravo = alpha_bravo
    lab.wireguard_link(alpha, bravo)  # both call their link wg0
    for router in alpha_bravo:
        shown = router.run(["wg", "show", "wg0", "public-key"]).stdout.strip()
        assert shown == router.wireguard_keys["wg0"]
    lookup = "import socket; print(socket.gethostbyname('bravo.example.net'))"
    assert alpha.run([sys.executable, "-c", lookup]).stdout.strip() == bravo.underlay_address


def test_router_wg_runs_inside_the_router_with_its_own_root(alpha_bravo):
    alpha, _ = alpha_bravo
    assert "router-wg" in alpha.router_wg("--version").stdout
    assert alpha.root.is_dir() and alpha.root != Path("/")


def test_close_removes_namespaces_daemons_and_folders(wireguard_impl):
    names.require("tincd")
    lab = Lab()
    try:
        alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
        bravo = lab.add_router("bravo.example.net", ["10.0.2.0/24"])
        lab.wireguard_link(alpha, bravo)
        lab.start_tinc()
        made = [lab.transit, alpha, alpha.lan_host, bravo, bravo.lan_host]
        daemons = [pid for ns in made for pid in names._namespace_pids(ns.name)]
        assert daemons, "tincd (and wireguard-go on the host) should be running"
    finally:
        lab.close()
    assert not any(names._alive(pid) for pid in daemons)
    for ns in made:
        assert ns.name not in _netns_list()
        assert not ns.workdir.exists() and not ns.socket_dir.exists()
        assert not (names.NETNS_ETC / ns.name).exists()


def test_sweep_removes_what_a_dead_run_left_but_not_a_live_ones(namespace):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f"rwg{dead.pid}-n1"
    subprocess.run(["ip", "netns", "add", stale], check=True)
    (names.NETNS_ETC / stale).mkdir(parents=True)
    names.socket_dir(stale).mkdir()
    scratch = Path(tempfile.mkdtemp(prefix=f"{stale}-"))

    names.sweep_stale()

    assert stale not in _netns_list()
    assert not (names.NETNS_ETC / stale).exists() and not names.socket_dir(stale).exists()
    assert not scratch.exists()
    assert namespace.name in _netns_list(), "a live run's namespace must survive"
    assert namespace.name.startswith(f"rwg{os.getpid()}-")


def _netns_list() -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
