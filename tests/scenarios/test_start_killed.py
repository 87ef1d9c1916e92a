"""`start` killed with SIGKILL (the OOM killer, an admin's kill -9) at a known step, the router
shown half-way there by ip, wg and iptables-save, then the next `start` converges and `stop`
leaves nothing.

Each kill lands at a line of `start -v`'s output (`[#] argv` before every command, `[+]`
before every action), read as start prints it. Where start would run on past that line
before the kill could land, it is held: a stand-in for the program of that step, first on
start's PATH, does the real program's work (or none), then waits on a lock the test holds.

    alpha (10.0.1.0/24) -- transit -- beta (10.0.2.0/24)    gamma (10.0.3.0/24): no router,
                                                            one more peer and route on alpha
"""

from __future__ import annotations

import fcntl
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from lab import names
from lab.underlay import Lab
from scenarios.bundles import (
    addresses,
    assert_nothing_ours,
    crontab,
    iptables_rules,
    link_details,
    links,
    mesh_view,
    our_routes,
    ours,
    plan,
    start,
    wait_for,
    write_bundles,
)

# Host only: where the kernel module is there, netlink makes wg0, and no program runs
# between making the interface and marking it ours to hold start in.
pytestmark = [pytest.mark.root, pytest.mark.host_only, pytest.mark.slow]

BETA_LAN, GAMMA_LAN = "10.0.2.0/24", "10.0.3.0/24"
ADDRESS = "192.168.100.1/24"
BOUND = 30.0  # s for start to reach a kill point (it imports pyroute2 first)


def peers(router) -> list[str]:
    return router.run(["wg", "show", "wg0", "peers"]).stdout.split()


def firewall_and_cron_untouched(router, iptables: str) -> None:
    assert ours(iptables_rules(router, iptables)) == []
    assert crontab(router) == ""


def interface_made_not_marked(router, iptables: str) -> None:
    assert "wg0" in links(router)
    assert link_details(router).get("ifalias") != "router-wg"
    assert peers(router) == []
    assert our_routes(router) == []
    firewall_and_cron_untouched(router, iptables)


def peers_set_no_address_yet(router, iptables: str) -> None:
    assert link_details(router).get("ifalias") == "router-wg"
    assert len(peers(router)) == 2
    assert addresses(router) == []
    assert our_routes(router) == []
    firewall_and_cron_untouched(router, iptables)


def first_route_no_firewall_yet(router, iptables: str) -> None:
    assert addresses(router) == [ADDRESS]
    assert f"{BETA_LAN} dev wg0 " in our_routes(router)
    firewall_and_cron_untouched(router, iptables)


def every_route_no_firewall_yet(router, iptables: str) -> None:
    assert sorted(our_routes(router)) == [f"{BETA_LAN} dev wg0 ", f"{GAMMA_LAN} dev wg0 "]
    firewall_and_cron_untouched(router, iptables)


@dataclass(frozen=True)
class KillPoint:
    line: str  # start is killed once it printed a line that begins so ({iptables}: backend)
    half_way: Callable[[object, str], None]  # what the router shows then
    held: str  # the program whose stand-in holds start ({iptables}: the backend)
    only: str | None = None  # held only when its arguments hold this word
    runs_real: bool = True  # the stand-in does the real program's work before holding
    wait_until_held: bool = True  # killed only once start waits on the stand-in


KILL_POINTS = {
    "interface-made-not-marked": KillPoint(
        "[#] wireguard-go wg0", interface_made_not_marked, held="wireguard-go"
    ),
    "after-wg-syncconf": KillPoint(
        "[#] wg syncconf wg0", peers_set_no_address_yet, held="wg", only="syncconf"
    ),
    # killed as start announces the second route, the firewall held back: the first route
    # is in, the rules are not
    "between-the-routes": KillPoint(
        f"[+] add route {GAMMA_LAN} dev wg0",
        first_route_no_firewall_yet,
        held="{iptables}-restore",
        runs_real=False,
        wait_until_held=False,
    ),
    "before-the-firewall-transaction": KillPoint(
        "[#] {iptables}-restore",
        every_route_no_firewall_yet,
        held="{iptables}-restore",
        runs_real=False,
    ),
}


@dataclass
class Mesh:
    alpha: object
    beta: object
    bundle: Path
    converged: tuple  # alpha's view after a start nobody interrupted


@pytest.fixture(scope="module")
def mesh(wireguard_impl, tmp_path_factory):
    """One lab for every kill point: beta started, alpha stopped (each test begins from that
    and leaves it so), and alpha's view after an uninterrupted start."""
    if wireguard_impl == "kernel":
        pytest.skip("the kernel module makes wg0 by netlink: no program to hold start in")
    iptables = names.iptables()
    names.require("ip", "sysctl", "mount", "ping", "flock", iptables)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ROUTER_WG_IPTABLES", iptables)
        lab = Lab()
        try:
            alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
            beta = lab.add_router("beta.example.net", [BETA_LAN])
            sites = [(r.fqdn, r.lans, r.fqdn) for r in (alpha, beta)]
            sites.append(("gamma.example.net", [GAMMA_LAN], None))
            bundles = write_bundles(tmp_path_factory.mktemp("killed") / "bundles", sites)
            start(beta, bundles[beta.fqdn])
            start(alpha, bundles[alpha.fqdn])
            converged = mesh_view(alpha, iptables)
            alpha.router_wg("stop", "--conf-dir", bundles[alpha.fqdn])
            yield Mesh(alpha, beta, bundles[alpha.fqdn], converged)
        finally:
            lab.close()


@pytest.mark.parametrize("point", KILL_POINTS.values(), ids=KILL_POINTS.keys())
def test_start_killed_half_way_then_start_converges_and_stop_clears(
    mesh, point, tmp_path, iptables_backend
):
    alpha, bundle = mesh.alpha, mesh.bundle
    alpha.router_wg("stop", "--conf-dir", bundle)  # what a failed test before may have left
    assert_nothing_ours(alpha, iptables_backend)

    said = kill_start_at(alpha, bundle, point, tmp_path, iptables_backend)
    print("start said, up to the kill:", *said, sep="\n  ")
    point.half_way(alpha, iptables_backend)

    start(alpha, bundle)
    assert mesh_view(alpha, iptables_backend) == mesh.converged
    wait_for(lambda: alpha.lan_host.ping(mesh.beta.lan_host_address, count=1), 15, "ping beta")
    assert plan(alpha, bundle) == ""
    alpha.router_wg("stop", "--conf-dir", bundle)
    assert_nothing_ours(alpha, iptables_backend)


def kill_start_at(router, bundle: Path, point: KillPoint, folder: Path, iptables: str):
    """`start -v` with the stand-in first on its PATH, SIGKILLed at `point`; returns what it
    printed up to there. The lock is let go after the kill, so a stand-in still waiting
    ends, without doing the real program's work if it had not done it yet."""
    program = point.held.format(iptables=iptables)
    lock, held = folder / "hold.lock", folder / "held"
    write_stand_in(folder / "bin" / program, point, lock, held)
    env = {**os.environ, "PATH": f"{folder / 'bin'}:{os.environ['PATH']}"}
    argv = [sys.executable, "-m", "router_wg", "--root", router.root, "-v", "start"]
    with lock.open("w") as holding:
        fcntl.flock(holding, fcntl.LOCK_EX)
        child = router.popen(
            [*argv, "--conf-dir", bundle], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
        try:
            said = lines_until(child, point.line.format(iptables=iptables))
            if point.wait_until_held:
                wait_for(held.exists, BOUND, f"start to wait on the stand-in for {program}")
        finally:
            os.kill(child.pid, signal.SIGKILL)  # `ip netns exec` and the wrapper exec: python
            child.wait()
            child.stdout.close()
    return said


def write_stand_in(path: Path, point: KillPoint, lock: Path, held: Path) -> None:
    real = shutil.which(path.name)
    assert real, f"{path.name} is not installed"
    real_work = f'{real} "$@"\nstatus=$?\n' if point.runs_real else "status=1\n"
    only = f'case " $* " in *" {point.only} "*) ;; *) exec {real} "$@" ;; esac\n'
    path.parent.mkdir()
    path.write_text(
        "#!/bin/sh\n"
        f"# {path.name} for a test: holds its caller until {lock} is let go\n"
        + (only if point.only else "")
        + real_work
        + f"touch {shlex.quote(str(held))}\n"
        + f"flock {shlex.quote(str(lock))} true\n"
        + "exit $status\n"
    )
    path.chmod(0o755)


def lines_until(child: subprocess.Popen, wanted: str) -> list[str]:
    """The child's output lines up to the first that begins with `wanted` (it runs on)."""
    lines, pending = [], b""
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        ready, _, _ = select.select([child.stdout], [], [], deadline - time.monotonic())
        chunk = os.read(child.stdout.fileno(), 65536) if ready else b""
        if ready and not chunk:
            raise AssertionError(f"start ended before printing {wanted!r}: {lines}")
        *complete, pending = (pending + chunk).split(b"\n")
        for line in complete:
            lines.append(line.decode())
            if lines[-1].startswith(wanted):
                return lines
    raise AssertionError(f"start did not print {wanted!r} within {BOUND} s: {lines}")
