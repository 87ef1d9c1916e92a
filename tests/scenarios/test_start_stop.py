"""start/stop/plan on lab routers, checked with the system tools.

alpha (10.0.1.0/24) --+
beta  (10.0.2.0/24) --+-- transit    WireGuard mesh wg0 over the underlay
gamma (10.0.3.0/24) --+
"""

from __future__ import annotations

import pytest
from lab import names
from lab.firmware_rules import ACCEPT_ALL, firewall_restart
from lab.meshes import FALLBACK_NETWORK
from lab.underlay import Lab
from scenarios.bundles import (
    crontab,
    handshakes,
    ifindex,
    iptables_rules,
    lab_bundles,
    links,
    our_routes,
    plan,
    routes,
    start,
    wait_for,
    wg_config_view,
    write_bundles,
)
from scenarios.watchdog_lab import routed_lans

from router_wg.bundle.site import Watchdog

pytestmark = pytest.mark.root


def three_routers(lab, out):
    routers = [
        lab.add_router("alpha.example.net", ["10.0.1.0/24"]),
        lab.add_router("beta.example.net", ["10.0.2.0/24"]),
        lab.add_router("gamma.example.net", ["10.0.3.0/24"]),
    ]
    return routers, lab_bundles(out, routers)


@pytest.fixture(scope="module")
def shared_mesh(wireguard_impl, tmp_path_factory):
    """Three routers shared by the tests that begin from a started mesh (each `start` that
    builds links costs seconds importing pyroute2 in the ARM guest); removed afterwards."""
    names.require("ip", "sysctl", "mount", "ping", names.iptables())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ROUTER_WG_IPTABLES", names.iptables())
        lab = Lab()
        try:
            yield three_routers(lab, tmp_path_factory.mktemp("start-stop") / "bundles")
        finally:
            lab.close()


@pytest.fixture
def bare(shared_mesh):
    """The shared mesh with nothing of router-wg's on it: as built when this is the module's
    first test (it is, in file order); stopped first if a test before started it."""
    routers, bundles = shared_mesh
    for router in routers:
        if "wg0" in links(router):
            router.router_wg("stop", "--conf-dir", bundles[router.fqdn])
    return shared_mesh


@pytest.fixture
def running(shared_mesh, iptables_backend):
    """The shared mesh started and pinging, on the firmware's empty firewall: what a test
    before left (a stop, a flush, rules of the user's) is put back first."""
    for router in shared_mesh[0]:
        firewall_restart(router, iptables_backend, ACCEPT_ALL)
    return started(shared_mesh)


def started(mesh, iptables=None):
    routers, bundles = mesh
    alpha = routers[0]
    if iptables:  # plan on a bare router changes nothing, and start then does what it said
        before = (iptables_rules(alpha, iptables), routes(alpha), links(alpha), crontab(alpha))
        planned = plan(alpha, bundles[alpha.fqdn]).splitlines()
        assert planned
        assert (
            iptables_rules(alpha, iptables),
            routes(alpha),
            links(alpha),
            crontab(alpha),
        ) == before
    announced = {r.fqdn: start(r, bundles[r.fqdn]).stdout.splitlines() for r in routers}
    if iptables:
        assert announced[alpha.fqdn] == [f"[+] {line}" for line in planned]
    alpha, beta, gamma = routers
    for a, b in ((alpha, beta), (alpha, gamma), (beta, gamma)):
        wait_for(
            lambda a=a, b=b: a.lan_host.ping(b.lan_host_address, count=1),
            15,
            f"{a.fqdn} LAN -> {b.fqdn} LAN",
        )
    return routers, bundles


def snapshot(router, iptables):
    return (
        iptables_rules(router, iptables),
        routes(router),
        wg_config_view(router),
        ifindex(router),
        crontab(router),
    )


def test_mesh_pings_cross_wireguard_and_a_second_start_is_a_noop(bare, iptables_backend):
    (alpha, beta, gamma), bundles = started(bare, iptables_backend)
    before_bytes = alpha.link_counters("wg0")
    assert alpha.lan_host.ping(beta.lan_host_address, count=5)
    assert alpha.lan_host.ping(gamma.lan_host_address, count=5)
    after_bytes = alpha.link_counters("wg0")
    assert after_bytes[0] - before_bytes[0] >= 10 * 84  # echo replies came in over wg0
    assert after_bytes[1] - before_bytes[1] >= 10 * 84
    assert sorted(our_routes(alpha)) == ["10.0.2.0/24 dev wg0 ", "10.0.3.0/24 dev wg0 "]

    before, shook = snapshot(alpha, iptables_backend), handshakes(alpha)
    again = start(alpha, bundles[alpha.fqdn])
    assert again.stdout == ""  # nothing done, nothing announced
    assert snapshot(alpha, iptables_backend) == before
    assert handshakes(alpha) == shook
    for router in (alpha, beta, gamma):
        assert plan(router, bundles[router.fqdn]) == ""


def test_firewall_flush_then_start_restores_exactly_our_rules(running, iptables_backend):
    (alpha, beta, _), bundles = running
    # a router runs its firmware's ruleset all along (connection tracking with it), and start
    # has put our chains into it. Loading it the first time turns connection tracking on, so
    # the watchers' probes may be dropped as new until start is done: a watcher may take the
    # other's LANs to the fallback for a hold-down; wait until both route them again.
    firewall_restart(alpha, iptables_backend)
    start(alpha, bundles[alpha.fqdn])
    hold = Watchdog().hold_down
    for router, other in ((alpha, beta), (beta, alpha)):
        wait_for(lambda r=router, o=other: set(o.lans) <= routed_lans(r), 2 * hold + 20, "routes")
    wait_for(lambda: alpha.lan_host.ping(beta.lan_host_address, count=1), 15, "alpha -> beta")
    converged_rules = iptables_rules(alpha, iptables_backend)
    index, shook = ifindex(alpha), handshakes(alpha)
    # the firmware restarts its firewall: its own ruleset, none of our chains
    firewall_restart(alpha, iptables_backend)
    assert not [r for r in iptables_rules(alpha, iptables_backend) if "RWG_" in r]
    assert not alpha.lan_host.ping(beta.lan_host_address, count=1)  # policy DROP bites

    done = start(alpha, bundles[alpha.fqdn])
    assert all(line.startswith("[+] firewall ") for line in done.stdout.splitlines())
    rules = iptables_rules(alpha, iptables_backend)
    ours = [r for r in rules if "RWG_" in r]
    assert len(ours) == len(set(ours))  # each rule, chain and jump exactly once
    assert sorted(ours) == sorted(r for r in converged_rules if "RWG_" in r)
    assert rules.index("-A INPUT -j RWG_INPUT") < rules.index("-A INPUT -i lo -j ACCEPT")
    assert ifindex(alpha) == index  # the interface was not recreated
    assert all(handshakes(alpha)[k] >= v for k, v in shook.items())
    assert alpha.lan_host.ping(beta.lan_host_address, count=3)
    assert plan(alpha, bundles[alpha.fqdn]) == ""


def test_stop_removes_everything_ours_and_keeps_the_users_identical_rule(running, iptables_backend):
    (alpha, beta, _), bundles = running
    beta_wg0 = ifindex(beta)
    user_rule = ["-A", "INPUT", "-i", "wg0", "-j", "ACCEPT"]  # same as one of ours
    alpha.run([iptables_backend, *user_rule])
    alpha.run([iptables_backend, "-t", "nat", "-A", "POSTROUTING", "-o", "wg0", "-j", "ACCEPT"])

    alpha.router_wg("stop", "--conf-dir", bundles[alpha.fqdn])

    rules = iptables_rules(alpha, iptables_backend)
    assert not [r for r in rules if "RWG_" in r]
    assert "-A INPUT -i wg0 -j ACCEPT" in rules
    assert "-A POSTROUTING -o wg0 -j ACCEPT" in rules
    assert "wg0" not in links(alpha)
    assert our_routes(alpha) == []
    assert "router-wg" not in crontab(alpha)
    assert not list(alpha.socket_dir.glob("wg0*"))  # no userspace daemon socket left
    # beta's interface lives in another network namespace, where alpha's stop cannot see
    # it: unloading the module would have deleted it
    assert ifindex(beta) == beta_wg0
    # stop on a clean router is fine, and start again works
    alpha.router_wg("stop", "--conf-dir", bundles[alpha.fqdn])
    start(alpha, bundles[alpha.fqdn])
    assert plan(alpha, bundles[alpha.fqdn]) == ""


def test_foreign_interface_with_our_name_is_refused_and_survives(
    lab, wireguard_impl, tmp_path, iptables_backend
):
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    peer = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    bundles = lab_bundles(tmp_path / "bundles", [alpha, peer])
    alpha.add_wireguard("wg0")
    index, rules = ifindex(alpha), iptables_rules(alpha, iptables_backend)

    refused = start(alpha, bundles[alpha.fqdn], check=False)
    assert refused.returncode == 1
    assert "wg0 exists but is not router-wg's" in refused.stderr
    assert "Traceback" not in refused.stderr
    stopped = alpha.router_wg("stop", "--conf-dir", bundles[alpha.fqdn])
    assert stopped.returncode == 0
    assert ifindex(alpha) == index
    assert iptables_rules(alpha, iptables_backend) == rules
    assert our_routes(alpha) == [] and crontab(alpha) == ""


@pytest.mark.host_only  # its kernel side runs in the guest: tests/guest/test_module_unload.py
@pytest.mark.parametrize("changed_since", [False, True], ids=["ours", "changed-since"])
def test_stop_puts_back_the_fallback_interfaces_rp_filter(
    lab, wireguard_impl, tmp_path, changed_since
):
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    sites = [(r.fqdn, r.lans, r.fqdn) for r in (alpha, beta)]
    fallback = {"fallback_network": FALLBACK_NETWORK, "fallback_interface": "tinc"}
    bundle = write_bundles(tmp_path / "bundles", sites, **fallback)[alpha.fqdn]
    alpha.ip("tuntap", "add", "dev", "tinc", "mode", "tun")  # a tun device, as tincd makes
    alpha.sysctl({"net.ipv4.conf.tinc.rp_filter": 1})

    def tinc_rp_filter() -> str:
        return alpha.run(["sysctl", "-n", "net.ipv4.conf.tinc.rp_filter"]).stdout.strip()

    start(alpha, bundle)
    assert tinc_rp_filter() == "2"
    start(alpha, bundle)  # a second start must not take 2 for the value to put back
    if changed_since:
        alpha.sysctl({"net.ipv4.conf.tinc.rp_filter": 0})  # the admin's choice since

    alpha.router_wg("stop", "--conf-dir", bundle)

    assert tinc_rp_filter() == ("0" if changed_since else "1")
    assert "tinc" in links(alpha)


@pytest.mark.host_only
def test_a_route_made_by_hand_with_our_mark_and_scope_link_is_taken_back(running):
    (alpha, _, _), bundles = running
    # our protocol number is the mark of ownership: start removes what it did not ask for
    alpha.ip("route", "add", "10.0.9.0/24", "dev", "wg0", "proto", "0x57", "scope", "link")

    start(alpha, bundles[alpha.fqdn])

    assert not [r for r in our_routes(alpha) if r.startswith("10.0.9.0/24")]
    assert plan(alpha, bundles[alpha.fqdn]) == ""
