"""The IPv6 firewall as plain data: which bundles get ip6tables chains, what is in them,
and how the planner keeps the two families apart (a flush of one touches only that one,
chains left in ip6tables by an earlier IPv6 bundle are removed)."""

from __future__ import annotations

import pytest
from lab.planning import converged, inputs, net, peer, site, wanted

from router_wg.backends import iptables
from router_wg.converge.planner import plan_start, plan_stop
from router_wg.converge.resources.iptables.actions import (
    AddJump,
    DeleteChain,
    RemoveJump,
    WriteChain,
    inverse,
    transaction,
)
from router_wg.converge.resources.iptables.rules import IPV4, IPV6, desired_chains

V6_LANS = dict(lans=("10.0.1.0/24", "fd00:1::/64"))
V6_PEER = peer("beta", lans=("10.0.2.0/24", "fd00:2::/64"))


def v6_site(**fields):
    return site(peers=(V6_PEER,), **{**V6_LANS, **fields})


def chains_of(s, resolved=None):
    return wanted(inputs(s, resolved=resolved))["iptables"].chains


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


ENDPOINT_V6 = {"beta.example.net:51820": ["[2001:db8::2]:51820", "172.16.0.2:51820"]}


@pytest.mark.parametrize(
    ("s", "resolved"),
    [
        (site(peers=("beta",), **V6_LANS), None),
        (site(peers=(peer("beta", lans=("fd00:2::/64",)),)), None),
        (site(peers=(peer("beta", tunnel="fd10::2"),), tunnel="fd10::1"), None),
        (site(peers=("beta",)), ENDPOINT_V6),
    ],
    ids=["own-lan", "peer-lan", "tunnel", "endpoint"],
)
def test_any_ipv6_in_the_bundle_brings_the_ip6tables_chains(s, resolved):
    assert {c.family for c in chains_of(s, resolved)} == {IPV4, IPV6}


def test_an_ipv4_only_mesh_gets_no_ip6tables_chains():
    # an endpoint name that also has an IPv6 address: WireGuard uses the IPv4 one
    resolved = {"beta.example.net:51820": ["172.16.0.2:51820", "[2001:db8::2]:51820"]}
    assert {c.family for c in chains_of(site(peers=("beta",)), resolved)} == {IPV4}


def test_converged_on_both_families_gets_an_empty_plan():
    w = wanted(inputs(v6_site()))
    assert plan_start(w, converged(w)) == []


def test_a_flush_of_ip6tables_alone_brings_back_only_the_ipv6_chains():
    w = wanted(inputs(v6_site()))
    observed = converged(w)
    observed["iptables"].tables[IPV6].clear()
    plan = plan_start(w, observed)
    assert {(type(x).__name__, x.family) for x in plan} == {
        ("WriteChain", IPV6),
        ("AddJump", IPV6),
    }
    assert len(plan) == 6  # three chains, three jumps
    assert "firewall ipv6 filter: create chain RWG_INPUT (2 rules)" in [x.describe() for x in plan]


def test_a_flush_of_iptables_alone_leaves_ip6tables_alone():
    w = wanted(inputs(v6_site()))
    observed = converged(w)
    observed["iptables"].tables[IPV4].clear()
    plan = plan_start(w, observed)
    assert {x.family for x in plan} == {IPV4}
    assert len(plan) == 8  # four chains, four jumps


def test_a_changed_ipv6_lan_rewrites_only_the_ipv6_forward_chain():
    before = wanted(inputs(v6_site()))
    after = wanted(inputs(v6_site(lans=("10.0.1.0/24", "fd00:99::/64"))))
    [rewrite] = plan_start(after, converged(after, chains=before["iptables"].chains))
    assert (rewrite.family, rewrite.table, rewrite.chain) == (IPV6, "filter", "RWG_FORWARD")
    assert "-A RWG_FORWARD -s fd00:99::/64 -o wg0 -j ACCEPT" in rewrite.rules
    assert "-A RWG_FORWARD -s fd00:1::/64 -o wg0 -j ACCEPT" in rewrite.previous


def test_an_ipv4_only_bundle_removes_ip6tables_chains_an_ipv6_one_left():
    old = wanted(inputs(v6_site()))["iptables"].chains
    w = wanted(inputs(site(peers=("beta",))))
    plan = plan_start(w, converged(w, chains=old + w["iptables"].chains))
    assert [x.describe() for x in plan] == [  # IPv4: already converged, not touched
        "firewall ipv6 filter: remove jump FORWARD -j RWG_FORWARD",
        "firewall ipv6 filter: remove jump INPUT -j RWG_INPUT",
        "firewall ipv6 filter: delete chain RWG_FORWARD",
        "firewall ipv6 filter: delete chain RWG_INPUT",
        "firewall ipv6 mangle: remove jump FORWARD -j RWG_MSS",
        "firewall ipv6 mangle: delete chain RWG_MSS",
    ]


def test_stop_removes_our_chains_of_both_families():
    plan = plan_stop(converged(wanted(inputs(v6_site()))))
    deleted = [x.family for x in plan if isinstance(x, DeleteChain)]
    assert (deleted.count(IPV6), deleted.count(IPV4)) == (3, 4)
    assert sum(isinstance(x, RemoveJump) for x in plan) == 7


def test_a_transaction_is_one_family_and_its_inverse_stays_in_it():
    plan = [
        WriteChain("filter", "RWG_INPUT", ("-A RWG_INPUT -i wg0 -j ACCEPT",), None, IPV6),
        AddJump("filter", "-A INPUT -j RWG_INPUT", IPV6),
        RemoveJump("mangle", "-A FORWARD -j RWG_OLD", 2, IPV6),
    ]
    undo = inverse(plan)
    assert {x.family for x in undo} == {IPV6}
    assert transaction(undo) == (
        "*filter\n-D INPUT -j RWG_INPUT\n-F RWG_INPUT\n-X RWG_INPUT\nCOMMIT\n"
        "*mangle\n-I FORWARD 1 -j RWG_OLD\n-I FORWARD 1 -j RWG_OLD\nCOMMIT\n"
    )
    with pytest.raises(ValueError, match="one transaction per family"):
        transaction([*plan, AddJump("filter", "-A INPUT -j RWG_INPUT")])


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
    monkeypatch.setenv(iptables.IPTABLES_ENV, setting)
    assert iptables.program("save", ipv6=True) == save6
    assert iptables.program("restore", ipv6=True) == save6.replace("-save", "-restore")
    assert iptables.program("save") == (setting or "iptables") + "-save"
