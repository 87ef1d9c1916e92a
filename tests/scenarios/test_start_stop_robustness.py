"""start under adversity: no module, twenty at once, a changed bundle, no DNS, a failing
firewall (rolled back); killed halfway: test_start_killed.py. Checked with the system tools."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from scenarios.bundles import (
    crontab,
    handshakes,
    ifindex,
    iptables_rules,
    lab_bundles,
    links,
    mesh_view,
    our_routes,
    plan,
    start,
    wait_for,
    wg_dump,
    write_bundles,
)

pytestmark = pytest.mark.root


@pytest.fixture
def pair(lab, wireguard_impl, tmp_path):
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    return alpha, beta, lab_bundles(tmp_path / "bundles", [alpha, beta])


def assert_same_as_one_clean_start(router, bundle, iptables):
    """Nothing left to do, and the router looks as after a stop and one start on its own:
    every rule, route, peer and cron line once."""
    assert plan(router, bundle) == ""
    now = mesh_view(router, iptables)
    router.router_wg("stop", "--conf-dir", bundle)
    start(router, bundle)
    assert mesh_view(router, iptables) == now


@pytest.mark.host_only
def test_missing_module_without_userspace_fallback_changes_nothing(
    pair, wireguard_impl, tmp_path, iptables_backend
):
    if wireguard_impl == "kernel":
        pytest.skip("the kernel module is there: this simulates a firmware without it")
    alpha, _, bundles = pair
    shim = tmp_path / "bin"  # a PATH with wg and iptables, a failing modprobe, no wireguard-go
    shim.mkdir()
    (shim / "modprobe").write_text(
        "#!/bin/sh\necho 'modprobe: module wireguard not found in modules.dep' >&2\nexit 1\n"
    )
    (shim / "modprobe").chmod(0o755)
    for tool in ("wg", f"{iptables_backend}-save", f"{iptables_backend}-restore"):
        (shim / tool).symlink_to(subprocess.check_output(["which", tool], text=True).strip())
    before = (iptables_rules(alpha, iptables_backend), links(alpha), crontab(alpha))

    failed = start_with_only(alpha, shim, bundles[alpha.fqdn])

    assert failed.returncode == 1
    assert "module wireguard not found in modules.dep" in failed.stderr  # the firmware's words
    assert "install" in failed.stderr and "wireguard-go" in failed.stderr  # and a hint
    assert "Traceback" not in failed.stderr
    assert (iptables_rules(alpha, iptables_backend), links(alpha), crontab(alpha)) == before


@pytest.mark.slow
@pytest.mark.host_only
def test_twenty_concurrent_starts_converge_without_duplicates(pair, iptables_backend):
    alpha, _, bundles = pair
    bundle = bundles[alpha.fqdn]
    argv = [sys.executable, "-m", "router_wg", "--root", alpha.root, "start", "--conf-dir", bundle]
    children = [
        alpha.popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(20)
    ]
    results = [(c.wait(timeout=300), c.stderr.read()) for c in children]
    assert [r for r in results if r[0] != 0] == []
    assert_same_as_one_clean_start(alpha, bundle, iptables_backend)


def test_changed_bundle_applies_only_the_difference(lab, wireguard_impl, tmp_path):
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    gamma = lab.add_router("gamma.example.net", ["10.0.3.0/24"])
    out = tmp_path / "bundles"
    sites = [(r.fqdn, r.lans, r.fqdn) for r in (alpha, beta, gamma)]
    bundles = write_bundles(out, sites)
    for router in (alpha, beta, gamma):
        start(router, bundles[router.fqdn])
    for peer in (beta, gamma):
        wait_for(
            lambda p=peer: alpha.lan_host.ping(p.lan_host_address, count=1),
            15,
            f"alpha -> {peer.fqdn}",
        )
    beta_key = next(k for k in handshakes(alpha) if k in wg_dump(beta)[0][1])
    shook, index = handshakes(alpha)[beta_key], ifindex(alpha)
    rx_before = int(next(r for r in wg_dump(alpha) if r[0] == beta_key)[5])

    # gamma leaves, delta (no router yet) joins, beta gets a second LAN
    changed = [
        sites[0],
        (beta.fqdn, [*beta.lans, "10.0.12.0/24"], beta.fqdn),
        ("delta.example.net", ["10.0.4.0/24"], None),
    ]
    bundles = write_bundles(out, changed)
    done = start(alpha, bundles[alpha.fqdn]).stdout.splitlines()

    assert done[0].startswith("[+] wireguard wg0: ")
    assert "add peer delta.example.net" in done[0]
    assert "remove peer" in done[0]
    assert "peer beta.example.net: change allowed ips" in done[0]
    assert sorted(done[1:]) == sorted(
        [
            "[+] add route 10.0.12.0/24 dev wg0",
            "[+] add route 10.0.4.0/24 dev wg0",
            f"[+] remove route 10.0.3.0/24 (ifindex {index})",
        ]
    )
    assert handshakes(alpha)[beta_key] == shook  # beta's session untouched
    assert int(next(r for r in wg_dump(alpha) if r[0] == beta_key)[5]) >= rx_before
    assert ifindex(alpha) == index
    assert alpha.lan_host.ping(beta.lan_host_address, count=2)
    assert plan(alpha, bundles[alpha.fqdn]) == ""


@pytest.mark.host_only
def test_unresolvable_endpoint_leaves_that_peer_without_one(lab, wireguard_impl, tmp_path):
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    sites = [(r.fqdn, r.lans, r.fqdn) for r in (alpha, beta)]
    sites.append(("nowhere.example.net", ["10.0.9.0/24"], "nowhere.invalid"))
    bundles = write_bundles(tmp_path / "bundles", sites)
    start(beta, bundles[beta.fqdn])

    began = time.monotonic()
    done = start(alpha, bundles[alpha.fqdn])
    assert time.monotonic() - began < 20  # resolution waits 3 s at most, plus the start itself
    assert "nowhere.invalid:51820 does not resolve" in done.stderr
    endpoints = {row[0]: row[2] for row in wg_dump(alpha)[1:]}
    assert sorted(endpoints.values()) == ["(none)", f"{beta.underlay_address}:51820"]
    wait_for(lambda: alpha.lan_host.ping(beta.lan_host_address, count=1), 15, "alpha -> beta")
    assert plan(alpha, bundles[alpha.fqdn]) == ""


@pytest.mark.host_only
def test_failure_halfway_rolls_back_what_this_start_did(pair, tmp_path, iptables_backend):
    alpha, _, bundles = pair
    shim = tmp_path / "bin"  # everything real, except an iptables-restore that fails
    shim.mkdir()
    for tool in ("wg", "wireguard-go", "modprobe", f"{iptables_backend}-save"):
        found = subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip()
        if found:
            (shim / tool).symlink_to(found)
    (shim / f"{iptables_backend}-restore").write_text(
        "#!/bin/sh\necho 'iptables-restore: line 3 failed' >&2\nexit 1\n"
    )
    (shim / f"{iptables_backend}-restore").chmod(0o755)
    before = (iptables_rules(alpha, iptables_backend), links(alpha), our_routes(alpha))

    failed = start_with_only(alpha, shim, bundles[alpha.fqdn])

    assert failed.returncode == 1
    assert "start failed" in failed.stderr and "line 3 failed" in failed.stderr
    assert "rolling back" in failed.stdout
    assert (iptables_rules(alpha, iptables_backend), links(alpha), our_routes(alpha)) == before
    assert crontab(alpha) == ""
    start(alpha, bundles[alpha.fqdn])  # and the real thing converges afterwards
    assert_same_as_one_clean_start(alpha, bundles[alpha.fqdn], iptables_backend)


def start_with_only(router, tools, bundle):
    """`start` with PATH holding only the programs in `tools` (a firmware without some)."""
    argv = [sys.executable, "-m", "router_wg", "--root", router.root, "start"]
    return router.run(["env", f"PATH={tools}", *argv, "--conf-dir", bundle], check=False)
