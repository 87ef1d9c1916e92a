"""The planner with plain data: only differences become actions, and a converged router
gets an empty plan."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from router_wg.backends.wireguard import DumpDevice, DumpPeer
from router_wg.bundle.site import Peer, Site
from router_wg.bundle.wireguard import WgDevice, WgPeer
from router_wg.converge import actions as a
from router_wg.converge.desired import desired_state
from router_wg.converge.firewall_rules import TableState
from router_wg.converge.planner import ForeignInterfaceError, plan_start, plan_stop
from router_wg.converge.state import Link, Observed

KEY_A, KEY_B, KEY_C = ("A" * 43 + "=", "B" * 43 + "=", "C" * 43 + "=")
PRIVATE, PSK = "P" * 43 + "=", "S" * 43 + "="
net = ipaddress.ip_network


def site(peers=("beta", "gamma")) -> Site:
    keys = {"beta": KEY_B, "gamma": KEY_C}
    lans = {"beta": "10.0.2.0/24", "gamma": "10.0.3.0/24"}
    return Site(
        fqdn="alpha.example.net",
        interface="wg0",
        tunnel_address=ipaddress.ip_address("192.168.100.1"),
        tunnel_prefix=24,
        listen_port=51820,
        lans=(net("10.0.1.0/24"),),
        peers=tuple(
            Peer(
                f"{p}.example.net",
                keys[p],
                ipaddress.ip_address("192.168.100.9"),
                (net(lans[p]),),
                endpoint=f"{p}.example.net:51820",
            )
            for p in peers
        ),
        fallback_interface="tinc",
    )


def wg_config(peers=("beta", "gamma")) -> WgDevice:
    keys = {"beta": KEY_B, "gamma": KEY_C}
    lans = {"beta": "10.0.2.0/24", "gamma": "10.0.3.0/24"}
    return WgDevice(
        PRIVATE,
        51820,
        tuple(
            WgPeer(
                keys[p], frozenset({"192.168.100.9/32", lans[p]}), PSK, f"{p}.example.net:51820", 25
            )
            for p in peers
        ),
    )


RESOLVED = {
    "beta.example.net:51820": ["172.16.0.2:51820"],
    "gamma.example.net:51820": ["172.16.0.3:51820", "[fd00::3]:51820"],
}


def desired(peers=("beta", "gamma"), withdrawn=frozenset(), resolved=RESOLVED):
    return desired_state(
        site(peers), wg_config(peers), withdrawn, resolved, cron_line="* * * * * router-wg check"
    )


def converged(d) -> Observed:
    """What the kernel shows right after a successful start of `d`."""
    firewall: dict[str, TableState] = {}
    for chain in d.chains:
        table = firewall.setdefault(chain.table, TableState({}, {}))
        table.chains[chain.name] = chain.rules
        table.jumps[chain.jump] = 1
    peers = {
        p.public_key: DumpPeer(
            p.public_key,
            p.preshared_key,
            p.endpoint,
            p.allowed_ips,
            1700000000,
            100,
            200,
            p.keepalive,
        )
        for p in d.wireguard.peers
    }
    return Observed(
        interface="wg0",
        module_loaded=True,
        link=Link(7, "wireguard", "router-wg", d.mtu, True, frozenset({d.address})),
        device=DumpDevice(PRIVATE, "pub", 51820, peers),
        routes=frozenset((dst, 7) for dst in d.routes),
        firewall=firewall,
        rp_filter={"wg0": 2, "tinc": 2},
        cron_lines=(d.cron_line,),
    )


def empty() -> Observed:
    return Observed("wg0", False, None, None, frozenset(), {}, {"tinc": 0}, ())


def kinds(plan):
    return [type(x).__name__ for x in plan]


def test_converged_router_gets_an_empty_plan():
    d = desired()
    assert plan_start(d, converged(d)) == []


def test_cold_start_creates_everything_in_order():
    plan = plan_start(desired(), empty())
    assert kinds(plan) == [
        "LoadModule",
        "CreateInterface",
        "SyncWireGuard",
        "SetMtu",
        "AddAddress",
        "SetLinkUp",
        "AddRoute",
        "AddRoute",
        "WriteChain",
        "AddJump",
        "WriteChain",
        "AddJump",
        "WriteChain",
        "AddJump",
        "WriteChain",
        "AddJump",
        "SetRpFilter",
        "SetRpFilter",
        "AddCron",
    ]
    assert {x.destination for x in plan if isinstance(x, a.AddRoute)} == {
        "10.0.2.0/24",
        "10.0.3.0/24",
    }


def test_module_already_loaded_is_not_loaded_again():
    assert "LoadModule" not in kinds(plan_start(desired(), replace(empty(), module_loaded=True)))


def test_foreign_interface_is_refused():
    d = desired()
    observed = replace(converged(d), link=replace(converged(d).link, alias=None))
    with pytest.raises(ForeignInterfaceError, match="not router-wg's"):
        plan_start(d, observed)


def test_after_a_firewall_flush_only_the_firewall_comes_back():
    d = desired()
    plan = plan_start(d, replace(converged(d), firewall={}))
    assert set(kinds(plan)) == {"WriteChain", "AddJump"}
    assert all(x.previous is None for x in plan if isinstance(x, a.WriteChain))


def test_partial_firewall_rewrites_only_the_changed_chain_and_missing_jump():
    d = desired()
    observed = converged(d)
    observed.firewall["filter"].chains["RWG_INPUT"] = ("-A RWG_INPUT -i wg0 -j ACCEPT",)
    del observed.firewall["mangle"].jumps["-A FORWARD -j RWG_MSS"]
    plan = plan_start(d, observed)
    assert [x.describe() for x in plan] == [
        "firewall filter: rewrite chain RWG_INPUT (2 rules)",
        "firewall mangle: insert jump FORWARD -j RWG_MSS",
    ]


def test_duplicate_jumps_are_reduced_to_one():
    d = desired()
    observed = converged(d)
    observed.firewall["filter"].jumps["-A INPUT -j RWG_INPUT"] = 3
    assert plan_start(d, observed) == [a.RemoveJump("filter", "-A INPUT -j RWG_INPUT", 2)]


def test_stale_chain_of_ours_is_removed_with_its_jump():
    d = desired()
    observed = converged(d)
    observed.firewall["filter"].chains["RWG_OLD"] = ("-A RWG_OLD -j ACCEPT",)
    observed.firewall["filter"].jumps["-A OUTPUT -j RWG_OLD"] = 1
    assert kinds(plan_start(d, observed)) == ["RemoveJump", "DeleteChain"]


def test_withdrawn_peer_keeps_its_route_withdrawn_and_wireguard_untouched():
    d = desired(withdrawn=frozenset({"beta.example.net"}))
    full = converged(desired())
    plan = plan_start(d, full)
    assert plan == [a.RemoveRoute("10.0.2.0/24", 7)]
    assert plan_start(d, replace(full, routes=frozenset({("10.0.3.0/24", 7)}))) == []


def test_added_peer_changes_only_that_peer_and_its_route():
    old = converged(desired(peers=("beta",)))
    plan = plan_start(desired(), old)
    assert [x.describe() for x in plan] == [
        "wireguard wg0: add peer gamma.example.net",
        "add route 10.0.3.0/24 dev wg0",
    ]


def test_removed_peer_is_removed_with_its_route():
    plan = plan_start(desired(peers=("gamma",)), converged(desired()))
    assert kinds(plan) == ["SyncWireGuard", "RemoveRoute"]
    assert plan[0].changes == (f"remove peer {KEY_B[:8]}...",)
    assert plan[1] == a.RemoveRoute("10.0.2.0/24", 7)


def test_changed_lan_swaps_route_and_allowed_ips():
    d = desired()
    new_site = site()
    peers = list(new_site.peers)
    peers[0] = replace(peers[0], lans=(net("10.0.22.0/24"),))
    cfg = wg_config()
    cfg_peers = list(cfg.peers)
    cfg_peers[0] = replace(
        cfg_peers[0], allowed_ips=frozenset({"192.168.100.9/32", "10.0.22.0/24"})
    )
    d2 = desired_state(
        replace(new_site, peers=tuple(peers)),
        replace(cfg, peers=tuple(cfg_peers)),
        frozenset(),
        RESOLVED,
        cron_line=d.cron_line,
    )
    plan = plan_start(d2, converged(d))
    assert [x.describe() for x in plan] == [
        "wireguard wg0: peer beta.example.net: change allowed ips",
        "add route 10.0.22.0/24 dev wg0",
        "remove route 10.0.2.0/24 (ifindex 7)",
    ]


def test_unresolved_endpoint_is_not_a_difference_and_has_no_endpoint():
    d = desired(resolved={})
    assert all(p.endpoint is None for p in d.wireguard.peers)
    assert plan_start(d, converged(desired())) == []


def test_endpoint_any_resolved_address_counts_as_right():
    d = desired()
    observed = converged(d)
    gamma = observed.device.peers[KEY_C]
    observed.device.peers[KEY_C] = replace(gamma, endpoint="[fd00::3]:51820")
    assert plan_start(d, observed) == []
    observed.device.peers[KEY_C] = replace(gamma, endpoint="172.16.9.9:4000")
    assert plan_start(d, observed)[0].changes == (
        "peer gamma.example.net: change endpoint -> 172.16.0.3:51820",
    )


def test_psk_keepalive_port_and_key_differences_are_reported():
    d = desired()
    observed = converged(d)
    beta = observed.device.peers[KEY_B]
    observed.device.peers[KEY_B] = replace(beta, preshared_key=None, keepalive=None)
    device = replace(observed.device, listen_port=4000, private_key="X" * 43 + "=")
    plan = plan_start(d, replace(observed, device=device))
    assert plan[0].changes == (
        "set the private key",
        "listen port 4000 -> 51820",
        "peer beta.example.net: change preshared key, keepalive",
    )
    assert PRIVATE not in repr(plan) and PSK not in repr(plan)


def test_link_settings_drift():
    d = desired()
    observed = converged(d)
    link = replace(observed.link, mtu=1500, up=False, addresses=frozenset({"192.168.100.7/24"}))
    assert [x.describe() for x in plan_start(d, replace(observed, link=link))] == [
        "set mtu 1420 on wg0",
        "add address 192.168.100.1/24 to wg0",
        "remove address 192.168.100.7/24 from wg0",
        "bring wg0 up",
    ]


def test_route_on_another_interface_is_moved():
    d = desired()
    observed = converged(d)
    routes = {("10.0.2.0/24", 7), ("10.0.3.0/24", 3)}
    plan = plan_start(d, replace(observed, routes=frozenset(routes)))
    assert plan == [a.AddRoute("10.0.3.0/24", "wg0"), a.RemoveRoute("10.0.3.0/24", 3)]


def test_rp_filter_absent_fallback_is_left_for_later():
    d = desired()
    observed = replace(converged(d), rp_filter={"wg0": 0})
    assert plan_start(d, observed) == [a.SetRpFilter("wg0", 2, 0)]


def test_cron_entry_replaced_when_the_command_changed():
    d = desired()
    observed = replace(converged(d), cron_lines=("old", "older"))
    assert plan_start(d, observed) == [a.AddCron(d.cron_line, ("old", "older"))]


def test_stop_removes_everything_ours_in_reverse():
    plan = plan_stop(converged(desired()))
    assert kinds(plan) == [
        "RemoveCron",
        "RemoveJump",
        "RemoveJump",
        "DeleteChain",
        "DeleteChain",  # filter
        "RemoveJump",
        "DeleteChain",  # mangle
        "RemoveJump",
        "DeleteChain",  # nat
        "RemoveRoute",
        "RemoveRoute",
        "DeleteInterface",
        "UnloadModule",
    ]


def test_stop_leaves_a_foreign_interface_alone():
    d = desired()
    observed = replace(empty(), link=Link(3, "wireguard", None, 1420, True, frozenset()))
    assert plan_stop(observed) == []
    assert plan_stop(converged(d))[-2] == a.DeleteInterface("wg0")


def test_stop_on_a_clean_router_is_empty():
    assert plan_stop(empty()) == []


def test_interface_left_unmarked_by_a_killed_start_is_adopted():
    d = desired()
    observed = converged(d)
    observed = replace(observed, link=replace(observed.link, alias=None), creation_pending=True)
    assert plan_start(d, observed) == [a.MarkInterface("wg0")]
    assert a.DeleteInterface("wg0") in plan_stop(observed)


def test_stop_restores_the_rp_filter_start_replaced_on_the_fallback_interface():
    observed = replace(converged(desired()), rp_filter_replaced={"tinc": 1, "wg0": 0})
    plan = plan_stop(observed)
    # the fallback's value goes back; ours goes with the interface
    assert a.RestoreRpFilter("tinc", 1) in plan
    assert not [x for x in plan if getattr(x, "interface", None) == "wg0" and "RpFilter" in str(x)]
    assert plan.index(a.RestoreRpFilter("tinc", 1)) < plan.index(a.DeleteInterface("wg0"))


def test_a_recorded_rp_filter_changes_nothing_in_a_converged_start():
    d = desired()
    observed = replace(converged(d), rp_filter_replaced={"tinc": 1})
    assert plan_start(d, observed) == []
