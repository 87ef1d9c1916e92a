"""The dist wrapper driving real routers of the lab: start, check, the Firewall hook path
after the firmware flushed the firewall, stop. Runs in the ARM guest with the kernel module
and on the host with wireguard-go, wherever the lab fixtures do.

alpha (router-wg from the archive) --+-- transit --+-- beta (router-wg from this tree, its peer)
"""

from __future__ import annotations

import pytest
from jffs_install import Installed
from lab import names
from lab.firmware_rules import firewall_restart
from pkgtools import BARE_PYTHON, VERSION
from scenarios.bundles import ifindex, iptables_rules, lab_bundles, links, start, wait_for
from scenarios.watchdog_lab import set_watchdog

pytestmark = pytest.mark.root


def test_start_check_hook_after_flush_and_stop_through_the_wrapper(
    lab, wireguard_impl, built, tmp_path
):
    if not BARE_PYTHON.exists():
        pytest.fail(f"{BARE_PYTHON} (the interpreter behind the venv) is missing", pytrace=False)
    iptables = names.iptables()
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    bundles = lab_bundles(tmp_path / "bundles", [alpha, beta])
    # cron mode: `check` is the tick this test means; a resident watcher would take the other
    # router's LANs away (for 120 s) while that one is not up yet, or while the firmware's
    # rules drop the tunnel
    for bundle in bundles.values():
        set_watchdog(bundle, {"mode": "cron"})
    # one install: beta only needs to be a peer, and each install compiles pyroute2 at its
    # first run (seconds under emulation)
    installed = Installed(
        alpha, built / f"router-wg-{VERSION}.tar.gz", bundles[alpha.fqdn], iptables
    )
    start(beta, bundles[beta.fqdn])

    done = installed.run("start")
    assert done.returncode == 0, done.stderr
    assert "start: done" in installed.logged()
    wait_for(lambda: alpha.lan_host.ping(beta.lan_host_address, count=1), 15, "alpha -> beta")
    done = installed.run("check")  # one watchdog tick, as cron runs it: all peers healthy
    assert done.returncode == 0, done.stderr

    # the firmware restarts its firewall, then runs the hook line's command
    index = ifindex(alpha)
    firewall_restart(alpha, iptables)
    assert not alpha.lan_host.ping(beta.lan_host_address, count=1)
    done = installed.run("boot")
    assert done.returncode == 0, installed.logged()
    assert "boot: start ended with exit 0" in installed.logged()
    assert "-A INPUT -j RWG_INPUT" in iptables_rules(alpha, iptables)
    assert ifindex(alpha) == index  # the tunnel was not bounced
    assert alpha.lan_host.ping(beta.lan_host_address, count=3)

    done = installed.run("stop")
    assert done.returncode == 0, done.stderr
    assert "wg0" not in links(alpha)
    assert not [r for r in iptables_rules(alpha, iptables) if "RWG_" in r]
    assert "wg0" in links(beta)  # a stop touches its own router only
