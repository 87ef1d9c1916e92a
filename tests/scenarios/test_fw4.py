"""start/stop/plan where fw4 (OpenWrt 22.03+, nftables) is the firewall, on lab routers with
the fw4 stand-in (tests/lab/firmware/fw4/) on PATH, checked with `nft` and pings.

alpha (10.0.1.0/24) --+-- transit    WireGuard mesh wg0 over the underlay; fw4's table
beta  (10.0.2.0/24) --+              inet fw4 drops new traffic from wan and into wg0

fw4's ruleset is rebuilt from scratch by `fw4 reload`: only what router-wg keeps in fw4's
include folders (the router's <root>/usr/share/nftables.d) survives it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lab import names
from lab.namespace import PING_PACKET_BYTES
from lab.underlay import Lab
from scenarios.bundles import handshakes, lab_bundles, links, plan, start, wait_for

pytestmark = pytest.mark.root
FW4 = Path(__file__).resolve().parent.parent / "lab" / "firmware" / "fw4"
INCLUDES = ("table-post", "chain-pre/input", "chain-pre/forward")
INCLUDES += ("chain-pre/mangle_forward", "chain-pre/srcnat")
PING6_PACKET_BYTES = 104  # 56 bytes of payload + ICMPv6 8 + IPv6 40, as a link counts it


def fw4(router, verb: str = "reload"):
    """The firmware rebuilds its firewall (what a reload, restart or boot does)."""
    folder = router.root / "usr" / "share" / "nftables.d"
    return router.run(["env", f"FW4_NFTABLES_D={folder}", "fw4", verb])


def table(router) -> str:
    """`nft -s list table inet fw4`: the rules without their counters."""
    return router.run(["nft", "-s", "list", "table", "inet", "fw4"]).stdout


def our_files(router) -> list[str]:
    folder = router.root / "usr" / "share" / "nftables.d"
    return sorted(str(p.relative_to(folder)) for p in folder.glob("**/*.nft"))


def pings(a, b, count: int = 1) -> bool:
    return a.lan_host.ping(b.lan_host_address, count=count)


@pytest.fixture(scope="module")
def mesh(wireguard_impl, tmp_path_factory):
    """alpha and beta with fw4's default ruleset and nothing of router-wg's."""
    names.require("ip", "sysctl", "mount", "ping", "nft")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PATH", f"{FW4}:{os.environ['PATH']}")
        env.delenv("ROUTER_WG_FIREWALL", raising=False)
        lab = Lab()
        try:
            routers = [
                lab.add_router("alpha.example.net", ["10.0.1.0/24"]),
                lab.add_router("beta.example.net", ["10.0.2.0/24"]),
            ]
            bundles = lab_bundles(tmp_path_factory.mktemp("fw4") / "bundles", routers)
            for router in routers:
                fw4(router, "start")
            yield routers, bundles, {r.fqdn: table(r) for r in routers}
        finally:
            lab.close()


@pytest.fixture
def running(mesh):
    """The mesh started and pinging both ways (what a test before changed is put back)."""
    routers, bundles, _ = mesh
    for router in routers:
        start(router, bundles[router.fqdn])
    alpha, beta = routers
    wait_for(lambda: pings(alpha, beta), 15, "alpha LAN -> beta LAN")
    wait_for(lambda: pings(beta, alpha), 15, "beta LAN -> alpha LAN")
    return mesh


def test_start_opens_fw4_and_a_second_start_changes_nothing(mesh):
    (alpha, beta), bundles, _ = mesh
    planned = plan(alpha, bundles[alpha.fqdn]).splitlines()
    assert "firewall fw4: create chain rwg_input (2 rules)" in planned
    assert 'firewall fw4: insert jump rwg_mss comment "router-wg" in chain mangle_forward' in (
        planned
    )
    before = mesh[2]
    for router in (alpha, beta):
        start(router, bundles[router.fqdn])
    wait_for(lambda: pings(alpha, beta), 15, "alpha LAN -> beta LAN")
    counted = alpha.link_counters("wg0")
    assert pings(alpha, beta, 5) and pings(beta, alpha, 5)
    rx, tx = (now - then for now, then in zip(alpha.link_counters("wg0"), counted, strict=True))
    assert rx >= 10 * PING_PACKET_BYTES and tx >= 10 * PING_PACKET_BYTES  # both ways on wg0

    assert all(when > 0 for when in handshakes(alpha).values())
    running_table = table(alpha)
    assert running_table != before[alpha.fqdn]
    assert 'jump rwg_forward comment "router-wg"' in running_table
    assert our_files(alpha) == sorted(f"{d}/router-wg.nft" for d in INCLUDES)
    again = start(alpha, bundles[alpha.fqdn])
    assert again.stdout == ""
    assert table(alpha) == running_table
    assert plan(alpha, bundles[alpha.fqdn]) == "" and plan(beta, bundles[beta.fqdn]) == ""


def test_fw4_reload_keeps_the_mesh_without_a_start(running):
    (alpha, beta), bundles, _ = running
    for router in (alpha, beta):
        fw4(router, "reload")
    assert pings(alpha, beta, 3) and pings(beta, alpha, 3)
    assert plan(alpha, bundles[alpha.fqdn]) == "" and plan(beta, bundles[beta.fqdn]) == ""


@pytest.mark.host_only  # the planner's choice over the same nft calls the guest proves above
def test_a_flushed_chain_of_ours_is_all_start_rewrites(running):
    (alpha, beta), bundles, _ = running
    beta.run(["nft", "flush", "chain", "inet", "fw4", "rwg_forward"])
    assert not pings(alpha, beta)  # beta's forward policy drops what comes out of wg0

    done = start(beta, bundles[beta.fqdn])

    assert done.stdout.splitlines() == ["[+] firewall fw4: rewrite chain rwg_forward (2 rules)"]
    assert pings(alpha, beta, 3)


@pytest.mark.host_only  # the same nft and files as above, in another order
def test_before_fw4_starts_start_leaves_our_rules_for_fw4_to_include(running):
    (alpha, beta), bundles, _ = running
    fw4(alpha, "flush")  # fw4 not started yet: no table inet fw4, nothing filters
    for name in our_files(alpha):
        (alpha.root / "usr" / "share" / "nftables.d" / name).unlink()

    done = start(alpha, bundles[alpha.fqdn])

    assert {line.split(":")[0] for line in done.stdout.splitlines()} == {"[+] fw4 include"}
    fw4(alpha, "start")
    assert pings(alpha, beta, 3) and pings(beta, alpha, 3)
    assert plan(alpha, bundles[alpha.fqdn]) == ""


def test_stop_leaves_fw4_s_table_as_it_was(running):
    (alpha, beta), bundles, before = running
    alpha.router_wg("stop", "--conf-dir", bundles[alpha.fqdn])
    assert table(alpha) == before[alpha.fqdn]
    assert our_files(alpha) == []
    fw4(alpha, "reload")  # and nothing of ours comes back with fw4's next reload
    assert table(alpha) == before[alpha.fqdn]


@pytest.mark.host_only  # nft refusing our transaction is nft's logic, the same on any kernel
def test_a_table_nft_refuses_changes_nothing_and_says_which_rule(running):
    (alpha, beta), bundles, _ = running
    alpha.router_wg("stop", "--conf-dir", bundles[alpha.fqdn])
    # a fw4-shaped table without the chain we jump from for MSS clamping
    alpha.run(["nft", "flush", "chain", "inet", "fw4", "mangle_forward"])
    alpha.run(["nft", "delete", "chain", "inet", "fw4", "mangle_forward"])
    before = table(alpha)
    try:
        refused = start(alpha, bundles[alpha.fqdn], check=False)
        assert refused.returncode == 1
        assert "Traceback" not in refused.stderr
        refused_rule = 'insert rule inet fw4 mangle_forward jump rwg_mss comment "router-wg"'
        assert f"nft refused line 18 of router-wg's firewall transaction, `{refused_rule}`" in (
            refused.stderr
        )
        assert "has no chain mangle_forward" in refused.stderr
        assert table(alpha) == before  # nft -f is all or nothing
        assert our_files(alpha) == []
        assert "wg0" not in links(alpha)  # and start rolled back what came before
    finally:
        fw4(alpha, "reload")


@pytest.mark.host_only  # the same inet rules as IPv4's, whose kernel side the guest proves
def test_ipv6_lans_cross_fw4_through_the_same_inet_rules(
    lab, wireguard_impl, tmp_path, monkeypatch
):
    names.require("nft")
    monkeypatch.setenv("PATH", f"{FW4}:{os.environ['PATH']}")
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24", "fd00:1::/64"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24", "fd00:2::/64"])
    bundles = lab_bundles(tmp_path / "bundles", [alpha, beta])
    for router in (alpha, beta):
        fw4(router, "start")
        start(router, bundles[router.fqdn])
    wait_for(lambda: alpha.lan_host.ping(beta.lan_host_address6, count=1), 15, "alpha -> beta")

    counted = alpha.link_counters("wg0")
    assert alpha.lan_host.ping(beta.lan_host_address6, count=5)
    assert beta.lan_host.ping(alpha.lan_host_address6, count=5)
    rx, tx = (now - then for now, then in zip(alpha.link_counters("wg0"), counted, strict=True))
    assert rx >= 10 * PING6_PACKET_BYTES and tx >= 10 * PING6_PACKET_BYTES
    assert 'ip6 saddr fd00:1::/64 oifname "wg0" accept' in table(alpha)
    assert plan(alpha, bundles[alpha.fqdn]) == "" and plan(beta, bundles[beta.fqdn]) == ""
