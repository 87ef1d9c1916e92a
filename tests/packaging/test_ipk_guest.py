"""The ipk installed on a lab router as an OpenWrt admin gets it (conftest's openwrt_router:
opkg's install, OpenWrt's rc.common and procd as stand-ins, the bundle in /etc/router-wg),
then `/etc/init.d/router-wg start` and `stop`: the mesh up and procd's watcher running, then
nothing of router-wg's left; on a python3 with the standard library only, checked with `ip`,
`wg`, `iptables-save`, flock and /proc. The kernel module in the ARM guest, wireguard-go on
the host.

alpha (router-wg from the ipk) --+-- transit --+-- beta (router-wg from this tree, its peer)
"""

from __future__ import annotations

import json

import pytest
from lab import names
from scenarios.bundles import (
    crontab,  # reads <router.root>/etc/crontabs/root
    handshakes,
    iptables_rules,
    lab_bundles,
    links,
    start,
    wait_for,
    wg_dump,
)
from scenarios.watchdog_lab import set_watchdog
from scenarios.watcher_lab import lock_is_held, watcher_pids

pytestmark = pytest.mark.root
SETTLED = 120  # seconds for the watcher to hold its lock: Python's start under emulation


def test_the_init_script_starts_the_mesh_and_its_watcher_and_stops_both(
    lab, wireguard_impl, openwrt_router, tmp_path
):
    iptables = names.iptables()
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    bundles = lab_bundles(tmp_path / "bundles", [alpha, beta])
    # Each router's watcher may take the other's LANs to the fallback (here: nowhere) while
    # the other is not up yet, 15 probes lost in a second; a short hold-down brings them back
    # within the ping's wait.
    for bundle in bundles.values():
        set_watchdog(bundle, {"hold_down": 2})
    installed = openwrt_router(alpha, bundles[alpha.fqdn])
    root = installed.root
    start(beta, bundles[beta.fqdn])

    done = installed.service("start")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"start: bundle {installed.conf_dir}, {root}/usr/bin/python3" in installed.logged()
    kind = "wireguard" if wireguard_impl == "kernel" else "tun"
    link = json.loads(alpha.run(["ip", "-d", "-j", "link", "show", "wg0"]).stdout)[0]
    assert link["linkinfo"]["info_kind"] == kind
    beta_key = wg_dump(beta)[0][1]
    assert [row[0] for row in wg_dump(alpha)[1:]] == [beta_key]
    assert "-A INPUT -j RWG_INPUT" in iptables_rules(alpha, iptables)
    assert f"{root}/usr/bin/router-wg check # router-wg" in crontab(alpha)
    wait_for(lambda: alpha.lan_host.ping(beta.lan_host_address, count=1), 15, "alpha->beta")
    assert handshakes(alpha)[beta_key] > 0
    # procd's instance: one watcher in alpha, holding its lock
    pid = wait_for(installed.holding_watcher, SETTLED, "one watcher holding the lock")
    assert lock_is_held(alpha) and installed.watcher()["pid"] == pid

    done = installed.service("stop")
    assert done.returncode == 0, done.stdout + done.stderr
    wait_for(lambda: not watcher_pids(alpha), 30, "the watcher ended by procd")
    assert "wg0" not in links(alpha)
    assert not [rule for rule in iptables_rules(alpha, iptables) if "RWG_" in rule]
    assert "# router-wg" not in crontab(alpha)
    assert not lock_is_held(alpha)
