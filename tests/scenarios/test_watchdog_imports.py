"""A quiet tick stays lean: what `python -X importtime` says a cron tick loads.

The target: one tick with every peer healthy must cost a few `python3 -c pass`, so it
must not import the netlink library (seconds under ARM emulation), nor makeconf's
cryptography and jinja2.
"""

from __future__ import annotations

import sys

import pytest
from lab import names
from scenarios.bundles import start, wait_for
from scenarios.watchdog_lab import routed_lans, tick, write_mesh_bundles

# Host only: which modules a tick imports is the same Python logic anywhere.
pytestmark = [pytest.mark.root, pytest.mark.host_only]
HEAVY = ("pyroute2", "jinja2", "cryptography")


def test_a_quiet_tick_imports_no_netlink_templating_or_crypto(
    lab, wireguard_impl, tmp_path, monkeypatch
):
    monkeypatch.setenv("ROUTER_WG_IPTABLES", names.iptables())
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    bundles = write_mesh_bundles(tmp_path / "bundles", [alpha, beta])
    for router in (alpha, beta):
        start(router, bundles[router.fqdn])
    wait_for(lambda: lab.ping(alpha, beta, count=1), 15, "alpha LAN -> beta LAN")
    tick(alpha, bundles[alpha.fqdn])  # the first tick of a boot has no state: it converges

    argv = [sys.executable, "-X", "importtime", "-m", "router_wg", "--root", alpha.root]
    done = alpha.run([*argv, "check", "--conf-dir", bundles[alpha.fqdn]])
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "router_wg" in imported and "socket" in imported  # the report is real
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
    assert routed_lans(alpha) == set(beta.lans)  # and the tick was a healthy, quiet one
