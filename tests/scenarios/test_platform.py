"""Proof that the test platform is real: WireGuard, tinc and the underlay do what they claim.

    alpha-host 10.0.1.2                                               bravo-host 10.0.2.2
         |                                                                    |
    alpha 10.0.1.1 ==== wg0 192.168.100.1 <-> 192.168.100.2 wg0 ==== bravo 10.0.2.1
      wan 198.18.1.2 \\          tinc: 10.0.0.0/16 (fallback)          / wan 198.18.2.2
                      `-------------- transit (cut, heal) -------------'

Runs unchanged on the host (WireGuard = wireguard-go) and in the ARM guest (the kernel
module). Every test builds its own two-router lab: about half a second on the host. The two
tinc tests are host only: in the guest, test_watchdog.py's cut test makes the same moves
through router-wg (a cut underlay, routes withdrawn, bytes counted on tinc, a heal).
"""

from __future__ import annotations

import json

import pytest
from lab import PING_PACKET_BYTES, Router
from lab.commands import run
from lab.wireguard import latest_handshakes

pytestmark = pytest.mark.root

PINGS = 3
PING_BYTES = PINGS * PING_PACKET_BYTES  # what 3 echoes (or their replies) weigh on a link


@pytest.fixture
def alpha_bravo(lab, wireguard_impl) -> tuple[Router, Router]:
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    bravo = lab.add_router("bravo.example.net", ["10.0.2.0/24"])
    return alpha, bravo


def counters(routers: tuple[Router, ...], ifname: str) -> dict[str, tuple[int, int]]:
    return {r.label: r.link_counters(ifname) for r in routers}


def growth(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """(rx, tx) bytes each router's link moved in between."""
    return {name: (after[name][0] - rx, after[name][1] - tx) for name, (rx, tx) in before.items()}


def route_device(router: Router, address: str) -> str:
    """The link the kernel picks for `address`, asked independently of the lab's helpers."""
    return json.loads(router.ip("-j", "route", "get", address).stdout)[0]["dev"]


def withdraw_wireguard_routes(alpha: Router, bravo: Router, *, restore: bool = False) -> None:
    """What router-wg's watchdog will do for a dead peer: drop the narrow routes, both ends
    (and put them back when it recovers)."""
    for router, peer in ((alpha, bravo), (bravo, alpha)):
        router.ip("route", "replace" if restore else "del", peer.lans[0], "dev", "wg0")


def test_wireguard_handshake_and_lan_ping_counted_on_wg0(lab, alpha_bravo):
    alpha, bravo = alpha_bravo
    lab.wireguard_link(alpha, bravo)
    before = counters(alpha_bravo, "wg0")

    assert lab.ping(alpha, bravo, count=PINGS)

    assert latest_handshakes(alpha)[bravo.wireguard_keys["wg0"]] > 0
    assert latest_handshakes(bravo)[alpha.wireguard_keys["wg0"]] > 0
    for name, (rx, tx) in growth(before, counters(alpha_bravo, "wg0")).items():
        assert rx >= PING_BYTES and tx >= PING_BYTES, f"{name} wg0 moved rx={rx} tx={tx}"


@pytest.mark.host_only
def test_lan_ping_falls_back_to_tinc_when_the_wireguard_route_is_gone(lab, alpha_bravo):
    alpha, bravo = alpha_bravo
    lab.wireguard_link(alpha, bravo)
    lab.start_tinc("10.0.0.0/16")
    assert lab.ping(alpha, bravo), "WireGuard carries it first (a live session stays up)"
    withdraw_wireguard_routes(alpha, bravo)
    assert route_device(alpha, bravo.lan_host_address) == "tinc"
    wg_before, tinc_before = counters(alpha_bravo, "wg0"), counters(alpha_bravo, "tinc")

    assert lab.ping(alpha, bravo, count=PINGS)

    for name, (rx, tx) in growth(tinc_before, counters(alpha_bravo, "tinc")).items():
        assert rx >= PING_BYTES and tx >= PING_BYTES, f"{name} tinc moved rx={rx} tx={tx}"
    for name, (rx, tx) in growth(wg_before, counters(alpha_bravo, "wg0")).items():
        assert rx < PING_BYTES and tx < PING_BYTES, f"{name} wg0 moved rx={rx} tx={tx}"


@pytest.mark.host_only
def test_cut_underlay_stops_wireguard_not_tinc_until_healed(lab, alpha_bravo):
    alpha, bravo = alpha_bravo
    lab.wireguard_link(alpha, bravo)
    lab.start_tinc("10.0.0.0/16")
    assert lab.ping(alpha, bravo)

    lab.cut(alpha, bravo)  # drops their UDP, except tinc's port 655
    assert lab.ping(alpha, bravo, count=2).received == 0, "WireGuard crossed a cut underlay"
    withdraw_wireguard_routes(alpha, bravo)
    assert lab.ping(alpha, bravo), "tinc must still cross: the cut spares port 655"

    withdraw_wireguard_routes(alpha, bravo, restore=True)
    assert lab.ping(alpha, bravo, count=2).received == 0, "WireGuard crossed a cut underlay"
    lab.heal(alpha, bravo)
    assert lab.ping(alpha, bravo)
    assert route_device(alpha, bravo.lan_host_address) == "wg0"


@pytest.mark.kernel_module
def test_modprobe_loads_wireguard_and_the_link_is_the_kernels(namespace, wireguard_impl):
    if wireguard_impl != "kernel":
        pytest.skip("needs the WireGuard kernel module (ARM guest); this kernel has none")
    run("test", ["modprobe", "wireguard"])
    namespace.add_wireguard("wg0")
    link = json.loads(namespace.ip("-j", "-d", "link", "show", "wg0").stdout)[0]
    assert link["linkinfo"]["info_kind"] == "wireguard"
