"""The IPv6 firewall as plain data: which bundles get ip6tables chains, what is in them,
and how the planner keeps the two families apart (a flush of one touches only that one,
chains left in ip6tables by an earlier IPv6 bundle are removed)."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from router_wg.backends import firewall
from router_wg.backends.wireguard import DumpDevice, DumpPeer
from router_wg.bundle.site import Peer, Site
from router_wg.bundle.wireguard import WgDevice, WgPeer
from router_wg.converge import actions as a
from router_wg.converge.desired import desired_state
from router_wg.converge.firewall_rules import IPV4, IPV6, TableState, desired_chains
from router_wg.converge.firewall_transaction import inverse, transaction
from router_wg.converge.planner import plan_start, plan_stop
from router_wg.converge.state import Link, Observed

KEY_B, PRIVATE = "B" * 43 + "=", "P" * 43 + "="
net, addr = ipaddress.ip_network, ipaddress.ip_address


def site(own_lans=("10.0.1.0/24",), peer_lans=("10.0.2.0/24",), tunnel="192.168.100.1") -> Site:
    peer_tunnel = "fd10::2" if addr(tunnel).version == 6 else "192.168.100.2"
    return Site(
        fqdn="alpha.example.net",
        interface="wg0",
        tunnel_address=addr(tunnel),
        tunnel_prefix=64 if addr(tunnel).version == 6 else 24,
        listen_port=51820,
        lans=tuple(map(net, own_lans)),
        peers=(
            Peer(
                "beta.example.net",
                KEY_B,
                addr(peer_tunnel),
                tuple(map(net, peer_lans)),
                endpoint="beta.example.net:51820",
            ),
        ),
    )


def desired(s: Site, resolved=("172.16.0.2:51820",)):
    allowed = frozenset(str(lan) for lan in s.peers[0].lans)
    wg = WgDevice(PRIVATE, 51820, (WgPeer(KEY_B, allowed, None, "beta.example.net:51820", 25),))
    return desired_state(s, wg, frozenset(), {"beta.example.net:51820": list(resolved)})


def by_family(chains) -> dict[str, dict[str, TableState]]:
    """The firewall right after a start installed `chains`: family -> table -> ours."""
    tables: dict[str, dict[str, TableState]] = {IPV4: {}, IPV6: {}}
    for chain in chains:
        table = tables[chain.family].setdefault(chain.table, TableState({}, {}))
        table.chains[chain.name] = chain.rules
        table.jumps[chain.jump] = 1
    return tables


def converged(d, firewall_chains=None) -> Observed:
    tables = by_family(d.chains if firewall_chains is None else firewall_chains)
    peers = {
        p.public_key: DumpPeer(p.public_key, None, p.endpoint, p.allowed_ips, 1, 2, 3, 25)
        for p in d.wireguard.peers
    }
    return Observed(
        interface="wg0",
        module_loaded=True,
        link=Link(7, "wireguard", "router-wg", d.mtu, True, frozenset({d.address})),
        device=DumpDevice(PRIVATE, "pub", 51820, peers),
        routes=frozenset((dst, 7) for dst in d.routes),
        firewall=tables[IPV4],
        firewall6=tables[IPV6],
        rp_filter={"wg0": 2},
        cron_lines=(d.cron_line,),
    )


V6_SITE = dict(own_lans=("10.0.1.0/24", "fd00:1::/64"), peer_lans=("10.0.2.0/24", "fd00:2::/64"))


def test_ipv6_lans_get_the_same_chains_in_ip6tables_without_nat():
    lans = [net("10.0.1.0/24"), net("fd00:1::/64"), net("fd00:11::/64")]
    chains = desired_chains("wg0", 51820, lans, ipv6=True)
    v6 = {(c.table, c.name): c for c in chains if c.family == IPV6}
    assert sorted(v6) == [("filter", "RWG_FORWARD"), ("filter", "RWG_INPUT"), ("mangle", "RWG_MSS")]
    assert v6["filter", "RWG_FORWARD"].rules == (
        "-A RWG_FORWARD -s fd00:1::/64 -o wg0 -j ACCEPT",
        "-A RWG_FORWARD -d fd00:1::/64 -i wg0 -j ACCEPT",
        "-A RWG_FORWARD -s fd00:11::/64 -o wg0 -j ACCEPT",
        "-A RWG_FORWARD -d fd00:11::/64 -i wg0 -j ACCEPT",
    )
    assert v6["filter", "RWG_INPUT"].rules == (
        "-A RWG_INPUT -p udp -m udp --dport 51820 -j ACCEPT",
        "-A RWG_INPUT -i wg0 -j ACCEPT",
    )
    v4_forward = next(c for c in chains if c.family == IPV4 and c.name == "RWG_FORWARD")
    assert all("10.0.1.0/24" in rule for rule in v4_forward.rules)  # no IPv6 LAN in iptables
    assert [c.name for c in chains if c.family == IPV4] == [
        "RWG_INPUT",
        "RWG_FORWARD",
        "RWG_MSS",
        "RWG_NAT",
    ]


@pytest.mark.parametrize(
    ("bundle", "resolved"),
    [
        (dict(own_lans=("10.0.1.0/24", "fd00:1::/64")), ("172.16.0.2:51820",)),
        (dict(peer_lans=("fd00:2::/64",)), ("172.16.0.2:51820",)),
        (dict(tunnel="fd10::1"), ("172.16.0.2:51820",)),
        ({}, ("[2001:db8::2]:51820", "172.16.0.2:51820")),
    ],
    ids=["own-lan", "peer-lan", "tunnel", "endpoint"],
)
def test_any_ipv6_in_the_bundle_brings_the_ip6tables_chains(bundle, resolved):
    d = desired(site(**bundle), resolved)
    assert {c.family for c in d.chains} == {IPV4, IPV6}


def test_an_ipv4_only_mesh_gets_no_ip6tables_chains():
    # an endpoint name that also has an IPv6 address: WireGuard uses the IPv4 one
    d = desired(site(), ("172.16.0.2:51820", "[2001:db8::2]:51820"))
    assert {c.family for c in d.chains} == {IPV4}


def test_converged_on_both_families_gets_an_empty_plan():
    d = desired(site(**V6_SITE))
    assert plan_start(d, converged(d)) == []


def test_a_flush_of_ip6tables_alone_brings_back_only_the_ipv6_chains():
    d = desired(site(**V6_SITE))
    observed = replace(converged(d), firewall6={})
    plan = plan_start(d, observed)
    assert {(type(x).__name__, x.family) for x in plan} == {
        ("WriteChain", IPV6),
        ("AddJump", IPV6),
    }
    assert len(plan) == 6  # three chains, three jumps
    assert "firewall ipv6 filter: create chain RWG_INPUT (2 rules)" in [x.describe() for x in plan]


def test_a_flush_of_iptables_alone_leaves_ip6tables_alone():
    d = desired(site(**V6_SITE))
    plan = plan_start(d, replace(converged(d), firewall={}))
    assert {x.family for x in plan} == {IPV4}
    assert len(plan) == 8  # four chains, four jumps


def test_a_changed_ipv6_lan_rewrites_only_the_ipv6_forward_chain():
    before = desired(site(**V6_SITE))
    after = desired(site(own_lans=("10.0.1.0/24", "fd00:99::/64"), peer_lans=V6_SITE["peer_lans"]))
    [rewrite] = plan_start(after, converged(after, before.chains))
    assert (rewrite.family, rewrite.table, rewrite.chain) == (IPV6, "filter", "RWG_FORWARD")
    assert "-A RWG_FORWARD -s fd00:99::/64 -o wg0 -j ACCEPT" in rewrite.rules
    assert "-A RWG_FORWARD -s fd00:1::/64 -o wg0 -j ACCEPT" in rewrite.previous


def test_an_ipv4_only_bundle_removes_ip6tables_chains_an_ipv6_one_left():
    old = desired(site(**V6_SITE))
    d = desired(site())
    plan = plan_start(d, converged(d, old.chains + d.chains))
    v6 = [x for x in plan if x.family == IPV6]
    assert v6 == plan  # IPv4: already converged, not touched
    assert [x.describe() for x in plan] == [
        "firewall ipv6 filter: remove jump FORWARD -j RWG_FORWARD",
        "firewall ipv6 filter: remove jump INPUT -j RWG_INPUT",
        "firewall ipv6 filter: delete chain RWG_FORWARD",
        "firewall ipv6 filter: delete chain RWG_INPUT",
        "firewall ipv6 mangle: remove jump FORWARD -j RWG_MSS",
        "firewall ipv6 mangle: delete chain RWG_MSS",
    ]


def test_stop_removes_our_chains_of_both_families():
    d = desired(site(**V6_SITE))
    plan = plan_stop(converged(d))
    firewall_plan = [x for x in plan if isinstance(x, a.FIREWALL_ACTIONS)]
    assert sum(isinstance(x, a.DeleteChain) and x.family == IPV6 for x in firewall_plan) == 3
    assert sum(isinstance(x, a.DeleteChain) and x.family == IPV4 for x in firewall_plan) == 4
    assert sum(isinstance(x, a.RemoveJump) for x in firewall_plan) == 7


def test_a_transaction_is_one_family_and_its_inverse_stays_in_it():
    plan = [
        a.WriteChain("filter", "RWG_INPUT", ("-A RWG_INPUT -i wg0 -j ACCEPT",), None, IPV6),
        a.AddJump("filter", "-A INPUT -j RWG_INPUT", IPV6),
        a.RemoveJump("mangle", "-A FORWARD -j RWG_OLD", 2, IPV6),
    ]
    undo = inverse(plan)
    assert {x.family for x in undo} == {IPV6}
    assert transaction(undo) == (
        "*filter\n-D INPUT -j RWG_INPUT\n-F RWG_INPUT\n-X RWG_INPUT\nCOMMIT\n"
        "*mangle\n-I FORWARD 1 -j RWG_OLD\n-I FORWARD 1 -j RWG_OLD\nCOMMIT\n"
    )
    with pytest.raises(ValueError, match="one transaction per family"):
        transaction([*plan, a.AddJump("filter", "-A INPUT -j RWG_INPUT")])


@pytest.mark.parametrize(
    ("setting", "save6"),
    [
        ("", "ip6tables-save"),
        ("iptables-legacy", "ip6tables-legacy-save"),
        ("iptables-nft", "ip6tables-nft-save"),
        ("old-iptables", "old-ip6tables-save"),
        ("/opt/iptables/sbin/iptables", "/opt/iptables/sbin/ip6tables-save"),
    ],
)
def test_ip6tables_programs_follow_the_iptables_setting(monkeypatch, setting, save6):
    monkeypatch.setenv(firewall.IPTABLES_ENV, setting)
    assert firewall.program("save", ipv6=True) == save6
    assert firewall.program("restore", ipv6=True) == save6.replace("-save", "-restore")
    assert firewall.program("save") == (setting or "iptables") + "-save"
