"""The planner with plain data: only differences become actions, and a converged router
gets an empty plan."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lab.planning import (
    KEYS,
    PRIVATE,
    PSK,
    WATCHER_ARGV,
    bare,
    converged,
    inputs,
    peer,
    site,
    wanted,
    with_link,
)

from router_wg.bundle.site import Watchdog
from router_wg.converge.planner import plan_start, plan_stop
from router_wg.converge.resources.cron.actions import AddCron
from router_wg.converge.resources.fallback import METRIC
from router_wg.converge.resources.fallback.actions import AddUnreachable, RemoveUnreachable
from router_wg.converge.resources.iptables.actions import RemoveJump, WriteChain
from router_wg.converge.resources.link import ForeignInterfaceError
from router_wg.converge.resources.link.actions import DeleteInterface, MarkInterface
from router_wg.converge.resources.routes.actions import AddRoute, RemoveRoute
from router_wg.converge.resources.rp_filter.actions import RestoreRpFilter, SetRpFilter
from router_wg.converge.resources.watcher.actions import StartWatcher, StopWatcher

KEY_B = KEYS["beta"]


def kinds(plan):
    return [type(x).__name__ for x in plan]


def described(plan):
    return [x.describe() for x in plan]


def test_converged_router_gets_an_empty_plan():
    w = wanted()
    assert plan_start(w, converged(w)) == []


def test_cold_start_creates_everything_in_order():
    plan = plan_start(wanted(), bare())
    assert kinds(plan) == [
        "LoadModule",
        "CreateInterface",
        "SyncWireGuard",
        "SetMtu",
        "AddAddress",
        "SetLinkUp",
        "AddRoute",
        "AddRoute",
        "AddUnreachable",
        *["WriteChain", "AddJump"] * 4,
        "SetRpFilter",
        "SetRpFilter",
        "AddCron",
        "StartWatcher",
    ]
    assert {x.destination for x in plan if isinstance(x, AddRoute)} == {
        "10.0.2.0/24",
        "10.0.3.0/24",
    }


def test_module_already_loaded_is_not_loaded_again():
    observed = bare()
    observed["link"] = replace(observed["link"], module_loaded=True)
    assert "LoadModule" not in kinds(plan_start(wanted(), observed))


def test_foreign_interface_is_refused():
    w = wanted()
    with pytest.raises(ForeignInterfaceError, match="not router-wg's"):
        plan_start(w, with_link(converged(w), alias=None))


def test_after_a_firewall_flush_only_the_firewall_comes_back():
    w = wanted()
    observed = converged(w)
    observed["iptables"].tables.clear()
    plan = plan_start(w, observed)
    assert set(kinds(plan)) == {"WriteChain", "AddJump"}
    assert all(x.previous is None for x in plan if isinstance(x, WriteChain))


def test_partial_firewall_rewrites_only_the_changed_chain_and_missing_jump():
    w = wanted()
    observed = converged(w)
    ipv4 = observed["iptables"].tables["ipv4"]
    ipv4["filter"].chains["RWG_INPUT"] = ("-A RWG_INPUT -i wg0 -j ACCEPT",)
    del ipv4["mangle"].jumps["-A FORWARD -j RWG_MSS"]
    assert described(plan_start(w, observed)) == [
        "firewall filter: rewrite chain RWG_INPUT (2 rules)",
        "firewall mangle: insert jump FORWARD -j RWG_MSS",
    ]


def test_duplicate_jumps_are_reduced_to_one():
    w = wanted()
    observed = converged(w)
    observed["iptables"].tables["ipv4"]["filter"].jumps["-A INPUT -j RWG_INPUT"] = 3
    assert plan_start(w, observed) == [RemoveJump("filter", "-A INPUT -j RWG_INPUT", 2)]


def test_stale_chain_of_ours_is_removed_with_its_jump():
    w = wanted()
    observed = converged(w)
    table = observed["iptables"].tables["ipv4"]["filter"]
    table.chains["RWG_OLD"] = ("-A RWG_OLD -j ACCEPT",)
    table.jumps["-A OUTPUT -j RWG_OLD"] = 1
    assert kinds(plan_start(w, observed)) == ["RemoveJump", "DeleteChain"]


def test_withdrawn_peer_keeps_its_route_withdrawn_and_wireguard_untouched():
    w = wanted(inputs(withdrawn={"beta.example.net"}))
    full = converged(wanted())
    assert plan_start(w, full) == [RemoveRoute("10.0.2.0/24", 7)]
    assert plan_start(w, converged(w)) == []


def test_added_peer_changes_only_that_peer_and_its_route():
    before = converged(wanted(inputs(site(peers=("beta",)))))
    assert described(plan_start(wanted(), before)) == [
        "wireguard wg0: add peer gamma.example.net",
        "add route 10.0.3.0/24 dev wg0",
    ]


def test_removed_peer_is_removed_with_its_route():
    plan = plan_start(wanted(inputs(site(peers=("gamma",)))), converged(wanted()))
    assert kinds(plan) == ["SyncWireGuard", "RemoveRoute"]
    assert plan[0].changes == (f"remove peer {KEY_B[:8]}...",)
    assert plan[1] == RemoveRoute("10.0.2.0/24", 7)


def test_changed_lan_swaps_route_and_allowed_ips():
    moved = site(peers=(peer("beta", lans=("10.0.22.0/24",)), "gamma"))
    assert described(plan_start(wanted(inputs(moved)), converged(wanted()))) == [
        "wireguard wg0: peer beta.example.net: change allowed ips",
        "add route 10.0.22.0/24 dev wg0",
        "remove route 10.0.2.0/24 (ifindex 7)",
    ]


def test_unresolved_endpoint_is_not_a_difference_and_has_no_endpoint():
    w = wanted(inputs(resolved={}))
    assert all(p.endpoint is None for p in w["link"].device.peers)
    assert plan_start(w, converged(wanted())) == []


def test_endpoint_any_resolved_address_counts_as_right():
    w = wanted()
    observed = converged(w)
    peers = observed["link"].device.peers
    gamma = peers[KEYS["gamma"]]
    peers[KEYS["gamma"]] = replace(gamma, endpoint="[fd00::3]:51820")
    assert plan_start(w, observed) == []
    peers[KEYS["gamma"]] = replace(gamma, endpoint="172.16.9.9:4000")
    assert plan_start(w, observed)[0].changes == (
        "peer gamma.example.net: change endpoint -> 172.16.0.3:51820",
    )


def test_psk_keepalive_port_and_key_differences_are_reported():
    w = wanted()
    observed = converged(w)
    state = observed["link"]
    beta = state.device.peers[KEY_B]
    peers = {**state.device.peers, KEY_B: replace(beta, preshared_key=None, keepalive=None)}
    device = replace(state.device, listen_port=4000, private_key="X" * 43 + "=", peers=peers)
    observed["link"] = replace(state, device=device)
    plan = plan_start(w, observed)
    assert plan[0].changes == (
        "set the private key",
        "listen port 4000 -> 51820",
        "peer beta.example.net: change preshared key, keepalive",
    )
    assert PRIVATE not in repr(plan) and PSK not in repr(plan)


def test_link_settings_drift():
    w = wanted()
    drifted = with_link(converged(w), mtu=1500, up=False, addresses=frozenset({"192.168.100.7/24"}))
    assert described(plan_start(w, drifted)) == [
        "set mtu 1420 on wg0",
        "add address 192.168.100.1/24 to wg0",
        "remove address 192.168.100.7/24 from wg0",
        "bring wg0 up",
    ]


def test_route_on_another_interface_is_moved():
    w = wanted()
    observed = converged(w)
    observed["routes"] = replace(
        observed["routes"], routes=frozenset({("10.0.2.0/24", 7), ("10.0.3.0/24", 3)})
    )
    assert plan_start(w, observed) == [
        AddRoute("10.0.3.0/24", "wg0"),
        RemoveRoute("10.0.3.0/24", 3),
    ]


def test_rp_filter_absent_fallback_is_left_for_later():
    w = wanted()
    observed = converged(w)
    observed["rp_filter"] = replace(observed["rp_filter"], values={"wg0": 0, "tinc": None})
    assert plan_start(w, observed) == [SetRpFilter("wg0", 2, 0)]


def test_cron_entry_replaced_when_the_command_changed():
    w = wanted()
    observed = {**converged(w), "cron": ("old", "older")}
    assert plan_start(w, observed) == [AddCron(w["cron"], ("old", "older"))]


def test_stop_removes_everything_ours_in_reverse():
    assert kinds(plan_stop(converged(wanted()))) == [
        "StopWatcher",
        "RemoveCron",
        *["RemoveJump", "RemoveJump", "DeleteChain", "DeleteChain"],  # filter
        *["RemoveJump", "DeleteChain"],  # mangle
        *["RemoveJump", "DeleteChain"],  # nat
        "RemoveUnreachable",
        "RemoveRoute",
        "RemoveRoute",
        "DeleteInterface",
        "UnloadModule",
    ]


def test_stop_leaves_a_foreign_interface_alone():
    foreign = with_link(converged(wanted()), alias=None)
    assert DeleteInterface("wg0") not in plan_stop(foreign)
    assert plan_stop(converged(wanted()))[-2] == DeleteInterface("wg0")


def test_stop_on_a_clean_router_is_empty():
    assert plan_stop(bare()) == []


def test_interface_left_unmarked_by_a_killed_start_is_adopted():
    w = wanted()
    observed = with_link(converged(w), alias=None)
    observed["link"] = replace(observed["link"], creation_pending=True)
    assert plan_start(w, observed) == [MarkInterface("wg0")]
    assert DeleteInterface("wg0") in plan_stop(observed)


def test_stop_restores_the_rp_filter_start_replaced_on_the_fallback_interface():
    observed = converged(wanted())
    observed["rp_filter"] = replace(observed["rp_filter"], replaced={"tinc": 1, "wg0": 0})
    plan = plan_stop(observed)
    # the fallback's value goes back; ours goes with the interface
    assert [x for x in plan if isinstance(x, RestoreRpFilter)] == [RestoreRpFilter("tinc", 1, 2)]
    assert plan.index(RestoreRpFilter("tinc", 1, 2)) < plan.index(DeleteInterface("wg0"))


def test_a_recorded_rp_filter_changes_nothing_in_a_converged_start():
    w = wanted()
    observed = converged(w)
    observed["rp_filter"] = replace(observed["rp_filter"], replaced={"tinc": 1})
    assert plan_start(w, observed) == []


def test_a_site_without_peers_routes_nothing():
    w = wanted(inputs(site(peers=())))
    assert w["routes"].destinations == frozenset()
    assert "AddRoute" not in kinds(plan_start(w, bare()))


def test_the_fallback_network_gets_an_unreachable_route_behind_tinc_s():
    w = wanted()
    assert plan_start(w, {**converged(w), "fallback": frozenset()}) == [
        AddUnreachable("10.0.0.0/16", METRIC)
    ]
    stale = frozenset({("10.0.0.0/16", 5)})  # ours, at a metric that would beat tinc's
    assert plan_start(w, {**converged(w), "fallback": stale}) == [
        AddUnreachable("10.0.0.0/16", METRIC),
        RemoveUnreachable("10.0.0.0/16", 5),
    ]
    without = wanted(inputs(site(fallback_network=None)))
    assert without["fallback"].networks == frozenset()
    assert plan_start(without, converged(w)) == [RemoveUnreachable("10.0.0.0/16", METRIC)]


def test_the_watcher_runs_in_resident_mode_only_and_never_one_a_service_manager_owns():
    w = wanted()
    assert plan_start(w, bare())[-1] == StartWatcher(WATCHER_ARGV)
    cron_mode = wanted(inputs(site(watchdog=Watchdog(mode="cron"))))
    assert plan_start(cron_mode, converged(w)) == [StopWatcher(4242)]  # switched to cron
    procd = replace(inputs(), watcher_argv=None)  # OpenWrt's procd supervises it
    observed = converged(w)
    observed["watcher"] = replace(observed["watcher"], running=False, ours=False)
    assert plan_start(wanted(procd), observed) == []
    assert StopWatcher(None) not in plan_stop(observed)
