"""IPv6 LANs over the mesh, with the firmware's ip6tables policy DROP, checked with
ip6tables-save and a ping -6 from LAN host to LAN host.

    alpha-host 10.0.1.2, fd00:1::2 -- alpha --+
                                              +-- transit   wg0 over the IPv4 underlay
    beta-host  10.0.2.2, fd00:2::2 -- beta  --+             (tunnel 192.168.100.0/24)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lab.firmware_rules import FRESHTOMATO_IPV6, firewall_restart
from scenarios.bundles import iptables_rules, plan, start, wait_for, write_bundles

pytestmark = pytest.mark.root

FIRMWARE = Path(__file__).resolve().parent.parent / "lab" / "firmware"
PING6_PACKET_BYTES = 104  # 56 bytes of payload + ICMPv6 8 + IPv6 40, as a link counts it


def ip6tables(iptables_backend: str) -> str:
    return iptables_backend.replace("iptables", "ip6tables")


def ours(rules: list[str]) -> list[str]:
    return [r for r in rules if "RWG_" in r]


def first_rules(saved: list[str]) -> dict[tuple[str, str], str]:
    """(table, built-in chain) -> its first rule, in an iptables-save."""
    first, table = {}, None
    for line in saved:
        if line.startswith("*"):
            table = line[1:]
        elif line.startswith("-A ") and not line.split()[1].startswith("RWG_"):
            first.setdefault((table, line.split()[1]), line)
    return first


def bundles_for(out: Path, routers, *, ipv6: bool = True) -> dict[str, Path]:
    """Bundles through makeconf; ipv6=False: the same mesh (same keys) with IPv4 LANs only."""
    sites = [(r.fqdn, r.lans if ipv6 else r.lans[:1], r.fqdn) for r in routers]
    return write_bundles(out, sites)


@pytest.fixture
def mesh(lab, wireguard_impl, tmp_path, iptables_backend):
    routers = [
        lab.add_router("alpha.example.net", ["10.0.1.0/24", "fd00:1::/64"]),
        lab.add_router("beta.example.net", ["10.0.2.0/24", "fd00:2::/64"]),
    ]
    for router in routers:
        firewall_restart(router, iptables_backend, rules6=FRESHTOMATO_IPV6)
    return routers, bundles_for(tmp_path / "bundles", routers)


def started(mesh):
    (alpha, beta), bundles = mesh
    for router in (alpha, beta):
        start(router, bundles[router.fqdn])
    wait_for(
        lambda: alpha.lan_host.ping(beta.lan_host_address6, count=1), 15, "alpha LAN -> beta LAN"
    )
    return alpha, beta, bundles


def test_ipv6_lans_ping_across_wireguard_through_policy_drop_and_a_second_start_is_a_noop(
    mesh, iptables_backend
):
    alpha, beta, bundles = started(mesh)
    before = alpha.link_counters("wg0")
    assert alpha.lan_host.ping(beta.lan_host_address6, count=5)
    assert beta.lan_host.ping(alpha.lan_host_address6, count=5)
    after = alpha.link_counters("wg0")
    assert after[0] - before[0] >= 10 * PING6_PACKET_BYTES  # echoes and replies over wg0
    assert after[1] - before[1] >= 10 * PING6_PACKET_BYTES

    v6 = iptables_rules(alpha, ip6tables(iptables_backend))
    # the README's IPv6 firewall: RWG_INPUT and RWG_FORWARD (filter), RWG_MSS (mangle), each
    # jumped to first from its built-in chain, before the firmware's rules; no nat chain
    assert first_rules(v6) == {
        ("filter", "INPUT"): "-A INPUT -j RWG_INPUT",
        ("filter", "FORWARD"): "-A FORWARD -j RWG_FORWARD",
        ("mangle", "FORWARD"): "-A FORWARD -j RWG_MSS",
    }
    assert "-A RWG_INPUT -p udp -m udp --dport 51820 -j ACCEPT" in v6  # WireGuard's port
    forwarded = [r for r in v6 if r.startswith("-A RWG_FORWARD ")]
    assert forwarded and all("fd00:1::/64" in r and "wg0" in r for r in forwarded)
    clamped = [r for r in v6 if r.startswith("-A RWG_MSS ") and "--clamp-mss-to-pmtu" in r]
    assert any("-o wg0" in r for r in clamped) and any("-i wg0" in r for r in clamped)
    assert "RWG_NAT" not in str(v6)
    assert not [r for r in iptables_rules(alpha, iptables_backend) if "fd00:" in r]

    v4 = iptables_rules(alpha, iptables_backend)
    again = start(alpha, bundles[alpha.fqdn])
    assert again.stdout == ""  # nothing done, nothing announced
    assert iptables_rules(alpha, ip6tables(iptables_backend)) == v6
    assert iptables_rules(alpha, iptables_backend) == v4
    assert plan(alpha, bundles[alpha.fqdn]) == plan(beta, bundles[beta.fqdn]) == ""


@pytest.mark.host_only
def test_flush_of_both_families_then_start_restores_exactly_ours(mesh, iptables_backend):
    alpha, beta, bundles = started(mesh)
    converged4 = ours(iptables_rules(alpha, iptables_backend))
    converged6 = ours(iptables_rules(alpha, ip6tables(iptables_backend)))
    firewall_restart(alpha, iptables_backend, rules6=FRESHTOMATO_IPV6)
    assert not ours(iptables_rules(alpha, ip6tables(iptables_backend)))
    assert not alpha.lan_host.ping(beta.lan_host_address6, count=1)  # policy DROP bites

    done = start(alpha, bundles[alpha.fqdn])
    assert all(line.startswith("[+] firewall ") for line in done.stdout.splitlines())
    assert "[+] firewall ipv6 filter: create chain RWG_FORWARD (2 rules)" in done.stdout
    families = ((iptables_backend, converged4), (ip6tables(iptables_backend), converged6))
    for program, converged in families:
        rules = ours(iptables_rules(alpha, program))
        assert len(rules) == len(set(rules))  # each rule, chain and jump exactly once
        assert sorted(rules) == sorted(converged)
    assert alpha.lan_host.ping(beta.lan_host_address6, count=3)
    assert plan(alpha, bundles[alpha.fqdn]) == ""


def test_stop_leaves_no_rwg_in_ip6tables_and_keeps_the_users_identical_rule(mesh, iptables_backend):
    alpha, _, bundles = started(mesh)
    program = ip6tables(iptables_backend)
    alpha.run([program, "-A", "INPUT", "-i", "wg0", "-j", "ACCEPT"])  # same as one of ours

    alpha.router_wg("stop", "--conf-dir", bundles[alpha.fqdn])

    rules = iptables_rules(alpha, program)
    assert not ours(rules)
    assert "-A INPUT -i wg0 -j ACCEPT" in rules
    assert not ours(iptables_rules(alpha, iptables_backend))


@pytest.mark.host_only
def test_an_ipv4_only_bundle_removes_the_ip6tables_chains_at_start_and_at_stop(
    mesh, iptables_backend, tmp_path
):
    alpha, beta, _ = started(mesh)
    program = ip6tables(iptables_backend)
    v4_only = bundles_for(tmp_path / "bundles", (alpha, beta), ipv6=False)  # same keys

    done = start(alpha, v4_only[alpha.fqdn])  # the admin dropped IPv6 from the mesh
    assert "[+] firewall ipv6 filter: delete chain RWG_FORWARD" in done.stdout
    assert not ours(iptables_rules(alpha, program))
    assert "-A FORWARD -j RWG_FORWARD" in iptables_rules(alpha, iptables_backend)
    assert plan(alpha, v4_only[alpha.fqdn]) == ""

    # beta still runs the IPv6 bundle's start; stop reads the IPv4-only one: nothing stays
    assert ours(iptables_rules(beta, program))
    beta.router_wg("stop", "--conf-dir", v4_only[beta.fqdn])
    assert not ours(iptables_rules(beta, program))
    assert not ours(iptables_rules(beta, iptables_backend))


@pytest.mark.host_only
def test_an_ip6tables_restore_without_w_gets_the_transaction_without_it(mesh, monkeypatch):
    (alpha, beta), bundles = mesh
    calls = alpha.root / "old-ip6tables-calls"
    monkeypatch.setenv("PATH", f"{FIRMWARE / 'old-iptables'}:{os.environ['PATH']}")
    monkeypatch.setenv("ROUTER_WG_IPTABLES", "old-iptables")  # old-ip6tables-{save,restore}
    monkeypatch.setenv("OLD_IPTABLES_CALLS", str(alpha.root / "old-iptables-calls"))
    monkeypatch.setenv("OLD_IP6TABLES_CALLS", str(calls))

    start(alpha, bundles[alpha.fqdn])

    assert [" -w " in f"{line} " for line in calls.read_text().splitlines()] == [True, False]
    assert "-A FORWARD -j RWG_FORWARD" in iptables_rules(alpha, "ip6tables-legacy")
    assert plan(alpha, bundles[alpha.fqdn]) == ""


@pytest.mark.host_only
def test_without_ip6tables_an_ipv4_only_start_skips_it(lab, wireguard_impl, tmp_path, monkeypatch):
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    bundles = bundles_for(tmp_path / "bundles", (alpha, beta))
    # an iptables family whose ip6tables programs are not installed, as on many firmwares:
    # the old-iptables stand-ins without their old-ip6tables halves
    tools = tmp_path / "no-ip6tables"
    tools.mkdir()
    for name in ("old-iptables-save", "old-iptables-restore"):
        (tools / name).symlink_to(FIRMWARE / "old-iptables" / name)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    monkeypatch.setenv("ROUTER_WG_IPTABLES", "old-iptables")
    monkeypatch.setenv("OLD_IPTABLES_CALLS", str(alpha.root / "old-iptables-calls"))

    done = start(alpha, bundles[alpha.fqdn], "-v")

    logged = done.stdout + done.stderr
    assert "[#] old-iptables-save" in logged
    assert "old-ip6tables" not in logged  # not run, not failed on, not warned about
    assert "-A FORWARD -j RWG_FORWARD" in iptables_rules(alpha, "iptables-legacy")
    assert plan(alpha, bundles[alpha.fqdn]) == ""


@pytest.mark.host_only
def test_an_ipv4_only_router_never_runs_ip6tables(lab, wireguard_impl, tmp_path):
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    bundle = bundles_for(tmp_path / "bundles", (alpha, beta), ipv6=False)[alpha.fqdn]

    runs = [start(alpha, bundle, "-v"), start(alpha, bundle, "-v")]
    runs.append(alpha.router_wg("-v", "stop", "--conf-dir", bundle))

    for done in runs:  # the no-op path keeps its process count on an IPv4-only router
        assert "ip6tables" not in done.stdout + done.stderr
