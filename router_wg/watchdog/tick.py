"""One watchdog tick, what cron runs every minute (`router-wg check`), and the loop of
ticks (`check --loop`).

A tick probes every peer through the tunnel at once, feeds the answers to the hysteresis
(health.py), saves the new state, and only when a peer's routes must move (or its endpoint
name must be looked up again, or the kernel is out of step with the state) converges the
router through the same service as `start`, handing it the peers it withdrew. A quiet tick
imports no netlink library and spawns no process.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from router_wg.backends import lock
from router_wg.backends.rtnetlink import Reader
from router_wg.bundle.site import Site
from router_wg.events import send_event
from router_wg.paths import Paths
from router_wg.watchdog import kernel
from router_wg.watchdog.health import Change, Thresholds, decide
from router_wg.watchdog.kernel import peers_to_look_up, routes_out_of_step, state_from_kernel
from router_wg.watchdog.probe import probe
from router_wg.watchdog.state import load_state, save_state

log = logging.getLogger("router_wg")
LOCK_WAIT = 20.0  # a tick that cannot get the lock skips; the next one will try again


def loop(site: Site, paths: Paths, conf_dir: Path) -> None:
    """Tick every loop_interval seconds until SIGTERM or Ctrl-C (KeyboardInterrupt)."""
    interval = site.watchdog.loop_interval
    # A loop lives long: it pays the imports of a converge once, here, so that the tick
    # which withdraws a dead peer's routes does not first spend seconds importing pyroute2.
    from router_wg.backends.netlink import load_pyroute2
    from router_wg.converge import service  # noqa: F401

    load_pyroute2()
    while True:
        started = time.monotonic()
        tick(site, paths, conf_dir, started)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def thresholds_of(site: Site) -> Thresholds:
    return Thresholds(site.watchdog.fall, site.watchdog.rise, float(site.watchdog.hold_down))


def tick(site: Site, paths: Paths, conf_dir: Path, now: float) -> list[Change]:
    """One tick at monotonic time `now`; returns the route changes it made."""
    if kernel.interface_index(site.interface) is None:
        log.info(
            "%s does not exist: router-wg is not started here, nothing to watch", site.interface
        )
        return []
    with lock.held(paths, wait=LOCK_WAIT), Reader() as reader:
        routes = kernel.main_routes(reader)
        previous = load_state(paths.watchdog_state)
        rebuilt = previous is None
        if rebuilt:
            previous = state_from_kernel(site, routes)
        answered = probe([str(p.tunnel_address) for p in site.peers], site.watchdog.probe_timeout)
        alive = {p.fqdn: answered[str(p.tunnel_address)] for p in site.peers}
        health, changes = decide(
            previous, alive, now, thresholds_of(site), kernel.has_default_route(routes)
        )
        save_state(paths.watchdog_state, health)  # first: start reads the withdrawn peers
        lookup = peers_to_look_up(site, alive)
        moved: list[str] = []
        # a tick killed between saving and applying, or a hand-made change, leaves the
        # kernel out of step with the state: cheap to see, put right like a change
        drifted = routes_out_of_step(site, health, routes)
        if changes or rebuilt or lookup or drifted:
            log.info(
                "converging: %d route changes, names to look up: %s, out of step: %s",
                len(changes),
                lookup,
                drifted,
            )
            from router_wg.bundle.load import load_bundle  # a quiet tick reads wg.conf alone
            from router_wg.watchdog.act import converge_to

            moved = converge_to(load_bundle(conf_dir), paths, conf_dir, health)
    for change in changes:
        send_event(paths.syslog_socket, change.describe())
    for line in moved:
        send_event(paths.syslog_socket, line)
    return changes
