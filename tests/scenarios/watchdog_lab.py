"""A three-router mesh for the watchdog: WireGuard by `router-wg start`, tinc underneath.

Bundles come from makeconf with a fallback network and faster watchdog thresholds than the
defaults, given as an admin does: the `[watchdog]` table of the mesh file. A test that changes
them halfway rewrites that table in one router's wg.conf (`set_watchdog`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from lab import names
from lab.meshes import FALLBACK_NETWORK, fields_toml
from lab.underlay import Lab
from scenarios.bundles import start, wait_for, write_bundles

FALLBACK = FALLBACK_NETWORK
# The cron tick judges (mode "cron": no resident watcher; tests/scenarios/watcher_lab.py has
# the watcher's mesh). fall 2: a withdrawal still needs more than one failed tick (the
# hysteresis stays testable), one tick less than the default 3 (each tick is a Python start
# in the guest).
FAST = {
    "mode": "cron",
    "fall": 2,
    "rise": 2,
    "probe_timeout": 1.0,
    "hold_down": 2,
    "loop_interval": 1,
}


def write_mesh_bundles(out: Path, routers, watchdog: dict | None = None) -> dict[str, Path]:
    """makeconf (in this process) with endpoints = fqdns and tinc as the fallback."""
    sites = [(r.fqdn, r.lans, r.fqdn) for r in routers]
    fallback = {"fallback_network": FALLBACK, "fallback_interface": "tinc"}
    return write_bundles(out, sites, watchdog=watchdog or FAST, **fallback)


def set_watchdog(bundle: Path, settings: dict) -> None:
    """Replace the `[watchdog]` table of wg.conf (it ends where the first [[peer]] starts)."""
    path = bundle / "wg.conf"
    table = "[watchdog]\n" + fields_toml(settings)
    text = re.sub(r"\[watchdog\]\n(?:[^\[\n][^\n]*\n|\n)*", table + "\n", path.read_text())
    path.write_text(text)


def start_mesh(lab, routers, bundles) -> None:
    for router in routers:
        start(router, bundles[router.fqdn])
    for a in routers:
        for b in routers:
            if a is not b:
                wait_for(lambda a=a, b=b: lab.ping(a, b, count=1), 15, f"{a.label} -> {b.label}")


def tick(router, bundle: Path, *, check: bool = True):
    """One watchdog tick, one process, as cron runs it."""
    return router.router_wg("check", "--conf-dir", bundle, check=check)


def timed_tick(router, bundle: Path) -> float:
    started = time.monotonic()
    done = tick(router, bundle)
    assert "Traceback" not in done.stderr, done.stderr
    return time.monotonic() - started


def routed_lans(router) -> set[str]:
    """The LANs router-wg routes over WireGuard right now: its unicast routes (`ip route
    show proto 0x57 type unicast`; the unreachable one for the fallback network is not)."""
    done = router.run(["ip", "route", "show", "proto", "0x57", "type", "unicast"])
    return {line.split()[0] for line in done.stdout.splitlines()}


def state_file(router) -> Path:
    return router.root / "tmp" / "router-wg" / "watchdog.json"


def tunnel_address(router) -> str:
    return f"192.168.100.{router.index}"


@dataclass
class Mesh:
    lab: Lab
    routers: list
    bundles: dict[str, Path]
    used: bool = False  # a test ran on it since it was built or reset

    def fresh(self) -> Mesh:
        """For the next test on a shared mesh: reset it if a test used it before (so the
        first test gets it as built, and nothing resets it after the last)."""
        if self.used:
            reset(self)
        self.used = True
        return self

    def tick(self, *routers) -> None:
        for router in routers:
            tick(router, self.bundles[router.fqdn])


def three_routers(work: Path):
    """alpha, beta, gamma: tinc first (start sets rp_filter on it too), then `start` each.
    A generator for a module-scoped fixture: yields the Mesh, removes the lab afterwards."""
    names.require("ip", "sysctl", "mount", "ping", "tincd", names.iptables())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ROUTER_WG_IPTABLES", names.iptables())  # the legacy backend, as on routers
        lab = Lab()
        try:
            routers = [
                lab.add_router("alpha.example.net", ["10.0.1.0/24"]),
                lab.add_router("beta.example.net", ["10.0.2.0/24"]),
                lab.add_router("gamma.example.net", ["10.0.3.0/24"]),
            ]
            lab.start_tinc(FALLBACK)
            bundles = write_mesh_bundles(work / "bundles", routers)
            start_mesh(lab, routers, bundles)
            yield Mesh(lab, routers, bundles)
        finally:
            lab.close()


def reset(mesh: Mesh) -> None:
    """Between tests on a shared mesh: heal everything, forget withdrawals and hold-downs
    (start puts every route back), and wait until every LAN pair pings over WireGuard."""
    lab, routers = mesh.lab, mesh.routers
    for i, a in enumerate(routers):
        lab.set_uplink(a, True)
        for b in routers[i + 1 :]:
            lab.heal(a, b)
    for router in routers:
        state_file(router).unlink(missing_ok=True)
    start_mesh(lab, routers, mesh.bundles)
