"""The OpenWrt init script under procd (the stand-ins of lab.openwrt), on a lab router where
the ipk was installed as opkg does (conftest's openwrt_router): what `/etc/init.d/router-wg
start|stop|boot` leave running, procd respawning the watcher, and cron's check giving procd
the watcher back after procd gave up on it. Checked with the system's tools: `ip`,
`iptables-save`, flock and /proc (the processes of the router's namespace, /proc/locks), and
procd's own listing.

alpha (router-wg from the ipk) --+-- transit        (its peer beta is only named in the bundle)
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from lab import names
from lab.commands import run
from pkgtools import write_script
from scenarios.bundles import (
    crontab,
    iptables_rules,
    links,
    our_routes,
    wait_for,
    write_bundles,
)
from scenarios.watchdog_lab import set_watchdog
from scenarios.watcher_lab import lock_is_held, watcher_pids

# Host only: the init script's shell and procd's rules; the ARM guest runs the init script's
# start and stop with the kernel module in test_ipk_guest.py.
pytestmark = [pytest.mark.root, pytest.mark.host_only]
BOUND = 3.0  # seconds beyond procd's own timings, for Python's start on a busy machine
SETTLED = 30.0  # seconds for a watcher to hold its lock after start


@pytest.fixture
def alpha(lab, wireguard_impl, openwrt_router, tmp_path):
    router = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    sites = [(router.fqdn, router.lans, router.fqdn), ("beta.example.net", ["10.0.2.0/24"], None)]
    bundle = write_bundles(tmp_path / "bundles", sites)[router.fqdn]
    return openwrt_router(router, bundle)


def one_watcher(alpha) -> int:
    return wait_for(alpha.holding_watcher, SETTLED, "one watcher holding the lock")


def router_wg_processes(alpha) -> list[str]:
    """Command lines in the router's namespace that are router-wg's (procd's aside)."""
    found = []
    for pid in run("alpha", ["ip", "netns", "pids", alpha.router.name]).stdout.split():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended meanwhile
        if "router_wg" in command or "/usr/bin/router-wg" in command or "router-wg.sh" in command:
            found.append(command)
    return found


def started(alpha) -> None:
    done = alpha.service("start")
    assert done.returncode == 0, done.stdout + done.stderr


def test_start_converges_and_leaves_one_watcher_a_second_start_keeps(alpha):
    started(alpha)
    assert "wg0" in links(alpha.router)
    assert "-A INPUT -j RWG_INPUT" in iptables_rules(alpha.router, names.iptables())
    assert f"{alpha.root}/usr/bin/router-wg check # router-wg" in crontab(alpha.router)
    pid = one_watcher(alpha)
    assert lock_is_held(alpha.router)
    instance = alpha.watcher()  # procd's instance, with the respawn the init script chose
    assert instance["pid"] == pid
    assert instance["respawn"] == {"threshold": 60, "timeout": 1, "retry": 5}
    assert "--standby" in Path(f"/proc/{pid}/cmdline").read_text().split("\0")

    started(alpha)  # by hand again: converged, and procd leaves its running watcher alone
    assert one_watcher(alpha) == pid


def test_a_refused_bundle_is_start_s_exit_code_and_output(alpha):
    (alpha.conf_dir / "wg.conf").write_text("not a wg.conf\n")
    done = alpha.service("start")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "wg.conf" in done.stderr
    assert "wg0" not in links(alpha.router)


def test_a_killed_watcher_is_back_within_the_respawn_timeout(alpha):
    started(alpha)
    first = one_watcher(alpha)
    timeout = alpha.watcher()["respawn"]["timeout"]
    os.kill(first, signal.SIGKILL)
    killed = time.monotonic()
    second = wait_for(
        lambda: (pid := alpha.holding_watcher()) not in (None, first) and pid,
        timeout + BOUND,
        "a new watcher",
    )
    assert time.monotonic() - killed >= timeout - 0.1  # procd's respawn, not anything sooner
    assert alpha.watcher()["pid"] == second


def test_stop_leaves_no_router_wg_process_and_nothing_of_router_wg_s(alpha):
    started(alpha)
    one_watcher(alpha)
    term_timeout = alpha.watcher()["term_timeout"]
    done = alpha.service("stop")
    assert done.returncode == 0, done.stdout + done.stderr
    wait_for(lambda: not router_wg_processes(alpha), term_timeout + BOUND, "no router-wg left")
    assert "wg0" not in links(alpha.router)
    assert not [r for r in iptables_rules(alpha.router, names.iptables()) if "RWG_" in r]
    assert our_routes(alpha.router) == []
    assert "# router-wg" not in crontab(alpha.router)
    assert "router-wg" not in alpha.procd.services()
    assert not lock_is_held(alpha.router)


def test_cron_check_gives_procd_back_a_watcher_it_gave_up_on(alpha):
    started(alpha)
    one_watcher(alpha)
    retry = alpha.watcher()["respawn"]["retry"]
    killed: set[int] = set()
    for _ in range(retry + 1):  # quick deaths in a row, one more than procd's retry
        pid = wait_for(
            lambda: (w := alpha.watcher()) and w["running"] and w["pid"] not in killed and w["pid"],
            1 + BOUND,
            "procd's respawn",
        )
        os.kill(pid, signal.SIGKILL)
        killed.add(pid)
    wait_for(lambda: "router-wg::watcher s in a crash loop" in alpha.procd.log(), BOUND, "give-up")
    assert alpha.watcher()["running"] is False
    assert watcher_pids(alpha.router) == [] and not lock_is_held(alpha.router)

    done = alpha.run_cron_command()  # the minute's `router-wg check`
    assert done.returncode == 0, done.stdout + done.stderr
    assert "watcher: was not running; started it" in done.stderr
    pid = one_watcher(alpha)
    assert pid not in killed and alpha.watcher()["pid"] == pid


def test_boot_returns_at_once_and_the_watcher_waits_for_the_mesh(alpha, tmp_path):
    clock = tmp_path / "clock"  # the router's clock still at 1970: the boot path waits
    write_script(clock / "date", "#!/bin/sh\necho 1970\n")
    began = time.monotonic()
    done = alpha.service("boot", path_first=clock)
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - began < 10
    pid = one_watcher(alpha)  # registered with procd at once; it idles without wg0
    wait_for(lambda: "boot: waiting up to" in alpha.logged(), SETTLED, "the boot path waiting")
    assert "wg0" not in links(alpha.router)
    # the waiting boot path does not hold rc.common's procd lock: other runs go on
    assert (alpha.root / "tmp" / "router-wg" / "boot.lock").is_symlink()  # still waiting
    procd_lock = alpha.root / "var" / "lock" / "procd_router-wg.lock"
    assert subprocess.run(["flock", "-n", str(procd_lock), "true"]).returncode == 0

    (clock / "date").unlink()  # the clock is set: the boot path goes on to start
    wait_for(lambda: "boot: start ended with exit 0" in alpha.logged(), SETTLED, "boot's start")
    assert "wg0" in links(alpha.router)
    assert one_watcher(alpha) == pid


def test_a_cron_mode_bundle_gets_no_watcher_and_procd_ends_the_one_it_ran(alpha):
    started(alpha)
    pid = one_watcher(alpha)
    term_timeout = alpha.watcher()["term_timeout"]
    set_watchdog(alpha.conf_dir, {"mode": "cron"})
    started(alpha)  # procd gets the service without its instance, and ends the watcher
    wait_for(lambda: alpha.watcher() is None, term_timeout + BOUND, f"watcher {pid} ended")
    assert watcher_pids(alpha.router) == []
    assert "router-wg" in alpha.procd.services()  # the service stays, with no instance
    assert "wg0" in links(alpha.router)
