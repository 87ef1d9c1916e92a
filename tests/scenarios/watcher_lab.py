"""A three-router mesh whose watchdog is the resident watcher (the default installation):
WireGuard by `router-wg start`, tinc underneath, a watcher per router started by `start`.

The thresholds are the defaults but the hold-down, shortened (HOLD) so that a failback need
not wait two minutes. What the tests read back they read with the system's own tools: the
routes (`ip route`), the processes in a router's namespace (`ip netns pids`, /proc), the
lock the watcher holds (`flock`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from lab import names
from lab.commands import run
from lab.processes import router_wg_processes, watchers
from lab.underlay import Lab
from scenarios.bundles import start, wait_for
from scenarios.watchdog_lab import FALLBACK, routed_lans, start_mesh, write_mesh_bundles

HOLD = 5  # seconds of hold-down: a failback waits for it, so short, but longer than a flap
FAILOVER_BOUND = 3.0  # seconds from a cut to traffic answered over tinc, both ways
WATCHER = {"mode": "resident", "hold_down": HOLD}


def watcher_pids(router) -> list[int]:
    return [pid for pid, _ in watchers(router)]


def router_wg_pids(router) -> list[int]:
    return [pid for pid, _ in router_wg_processes(router)]


def lock_is_held(router) -> bool:
    """`flock -n` on the watcher's lock file fails while a process holds it."""
    lock = router.root / "tmp" / "router-wg" / "watcher.lock"
    return run(router.label, ["flock", "-n", lock, "true"], check=False).returncode != 0


@dataclass
class WatchedMesh:
    lab: Lab
    routers: list
    bundles: dict[str, Path]
    used: bool = False

    def fresh(self) -> WatchedMesh:
        if self.used:
            heal_all(self)
        self.used = True
        return self

    def lans_of(self, *routers) -> set[str]:
        return {lan for r in routers for lan in r.lans}

    def others(self, router) -> set[str]:
        return self.lans_of(*(r for r in self.routers if r is not router))


def three_watched_routers(work: Path):
    """A generator for a module-scoped fixture: yields the mesh, removes the lab after."""
    names.require("ip", "sysctl", "mount", "ping", "tincd", "flock", names.iptables())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ROUTER_WG_IPTABLES", names.iptables())
        lab = Lab()
        try:
            routers = [
                lab.add_router("alpha.example.net", ["10.0.1.0/24"]),
                lab.add_router("beta.example.net", ["10.0.2.0/24"]),
                lab.add_router("gamma.example.net", ["10.0.3.0/24"]),
            ]
            lab.start_tinc(FALLBACK)
            bundles = write_mesh_bundles(work / "bundles", routers, WATCHER)
            start_mesh(lab, routers, bundles)
            for router in routers:
                wait_for(lambda r=router: lock_is_held(r), 30, f"{router.label}'s watcher")
            yield WatchedMesh(lab, routers, bundles)
        finally:
            lab.close()


def heal_all(mesh: WatchedMesh) -> None:
    """Heal every pair and wait until every watcher has put every route back (the
    hold-down, then a few answered probes), and every LAN pair pings over WireGuard."""
    lab, routers = mesh.lab, mesh.routers
    for i, a in enumerate(routers):
        lab.set_uplink(a, True)
        for b in routers[i + 1 :]:
            lab.heal(a, b)
    for router in routers:
        if not watcher_pids(router):
            start(router, mesh.bundles[router.fqdn])
    deadline = 8 * HOLD + 30  # a hold-down doubled by flapping tests, then the probes
    for router in routers:
        wait_for(
            lambda r=router: routed_lans(r) == mesh.others(r), deadline, f"{router.label} healed"
        )
    for a in routers:
        for b in routers:
            if a is not b:
                wait_for(lambda a=a, b=b: lab.ping(a, b, count=1), 15, f"{a.label} -> {b.label}")


def when_routes_change(router, expected: set[str], timeout: float) -> float:
    """Poll `router`'s LAN routes until they are `expected`; the time.time() they were."""
    deadline = time.monotonic() + timeout
    while routed_lans(router) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{router.label}: routes {sorted(routed_lans(router))}, not {sorted(expected)}, "
                f"after {timeout} s"
            )
        time.sleep(0.05)
    return time.time()
