"""The resident watcher (`router-wg watch`): judges every peer continuously and moves a dead
peer's LAN routes to the fallback within seconds, and back once it answers again.

Each peer's tunnel address gets an echo every `probe_interval` while it answers, twenty a
second once one is lost (prober.py, pacing.py). Every outcome goes through the same
hysteresis as the cron tick (health.py), counted in probes: `lost_probes` lost in a row
withdraw, `answered_probes` answered in a row restore, a hold-down between two moves. A
withdrawal waits while the router has no default route (every peer would look dead).

Moving routes is a converge of the routes resource alone, through the service `start` uses,
under the same lock, with everything it needs imported and the bundle read before the cut
comes. Once a second it looks after itself: `start` put another bundle in place (read
again, no restart), the interface gone (probing pauses until `start` brings it back), routes
out of step with its state (put right). One process per router: it holds
`Paths.watcher_lock`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from router_wg.backends import daemon, lock
from router_wg.backends.rtnetlink import Reader
from router_wg.bundle.load import Bundle, load_bundle
from router_wg.errors import UserError
from router_wg.events import send_event
from router_wg.paths import Paths
from router_wg.watchdog import kernel
from router_wg.watchdog.act import converge_to
from router_wg.watchdog.health import Change, PeerHealth, Thresholds, step
from router_wg.watchdog.kernel import routes_out_of_step, state_from_kernel
from router_wg.watchdog.pacing import Pace
from router_wg.watchdog.prober import Prober
from router_wg.watchdog.state import load_state, save_state
from router_wg.watchdog.status import WatcherStatus, write_status

log = logging.getLogger("router_wg")
HOUSEKEEPING = 1.0  # seconds between looks at the bundle files and the interface
DRIFT_CHECK = 10.0  # seconds between comparisons of the kernel's routes with the state
UPLINK_FRESH = 1.0  # seconds a default-route reading is trusted
LOCK_WAIT = 20.0


def thresholds_of(bundle: Bundle) -> Thresholds:
    w = bundle.site.watchdog
    return Thresholds(w.lost_probes, w.answered_probes, float(w.hold_down))


def pace_of(bundle: Bundle) -> Pace:
    w = bundle.site.watchdog
    return Pace(interval=w.probe_interval, fast_losses=w.lost_probes)


def applied_key(paths: Paths) -> tuple | None:
    """What changes when `start` puts another bundle in place (Paths.applied_bundle): the
    watcher follows the bundle the router runs, not files copied but not started yet."""
    try:
        found = paths.applied_bundle.stat()
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


@dataclass
class Watcher:
    paths: Paths
    conf_dir: Path
    clock: object = time.monotonic
    bundle: Bundle | None = None
    key: tuple = ()
    health: dict[str, PeerHealth] = field(default_factory=dict)
    prober: Prober | None = None
    by_address: dict[str, str] = field(default_factory=dict)  # tunnel address -> fqdn
    uplink: tuple[float, bool] = (-1e9, True)  # (read at, default route present)
    status: WatcherStatus | None = None
    saved: dict[str, PeerHealth] = field(default_factory=dict)  # as last written to the state

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> None:
        self._prepare()
        next_housekeeping = next_drift = self.clock()
        try:
            while True:
                now = self.clock()
                if now >= next_housekeeping:
                    self._housekeeping()
                    next_housekeeping = now + HOUSEKEEPING
                if now >= next_drift and self.prober is not None:
                    self._put_right_drift()
                    next_drift = now + DRIFT_CHECK
                if self.prober is None:  # no interface: wait for start
                    time.sleep(max(0.0, next_housekeeping - self.clock()))
                    continue
                outcomes = self.prober.poll(max(0.0, next_housekeeping - self.clock()))
                if outcomes:
                    self._judge(outcomes, self.clock())
        finally:
            if self.prober is not None:
                self.prober.close()

    def _prepare(self) -> None:
        """Everything a failover needs, loaded before the first cut: the bundle, pyroute2
        and the converge layer (seconds of import on a slow router)."""
        from router_wg.backends.netlink import load_pyroute2
        from router_wg.converge import apply, service  # noqa: F401

        load_pyroute2()
        self._load_bundle()
        self.health = load_state(self.paths.watchdog_state) or {}
        self.status = WatcherStatus.starting(self.conf_dir, self.clock())
        write_status(self.paths, self.status)

    # -- judging -------------------------------------------------------------------------
    def _judge(self, outcomes: list[tuple[str, bool]], now: float) -> None:
        thresholds = thresholds_of(self.bundle)
        changes = []
        for address, answered in outcomes:
            name = self.by_address.get(address)
            if name is None:
                continue
            before = self.health.get(name, PeerHealth())
            after, moved = step(before, answered, now, thresholds)
            if moved and after.withdrawn and not self._uplink(now):
                continue  # no default route: every peer looks dead; keep it as it was
            self.health[name] = after
            if moved:
                changes.append(_change(name, before, after, now, thresholds))
        if changes:
            self._act(changes, now)

    def _uplink(self, now: float) -> bool:
        read_at, present = self.uplink
        if now - read_at > UPLINK_FRESH:
            with Reader() as reader:
                present = kernel.has_default_route(kernel.main_routes(reader))
            self.uplink = (now, present)
        return present

    def _act(self, changes: list[Change], now: float) -> None:
        """Save the state (start reads the withdrawn peers from it), then move the routes."""
        try:
            with lock.held(self.paths, wait=LOCK_WAIT):
                save_state(self.paths.watchdog_state, self.health)
                self.saved = dict(self.health)
                converge_to(self.bundle, self.paths, self.conf_dir, self.health, only=("routes",))
        except UserError as exc:  # the interface vanished, the lock is held too long...
            send_event(self.paths.syslog_socket, f"watcher: cannot move routes: {exc}", "error")
        for change in changes:
            send_event(self.paths.syslog_socket, change.describe())
        self.status = self.status.with_changes(changes, now)
        write_status(self.paths, self.status)

    # -- housekeeping --------------------------------------------------------------------
    def _housekeeping(self) -> None:
        if applied_key(self.paths) != self.key:
            self._load_bundle()
        present = kernel.interface_index(self.bundle.site.interface) is not None
        if present and self.prober is None:
            self._start_probing()
        elif not present and self.prober is not None:
            self.prober.close()
            self.prober = None

    def _load_bundle(self) -> None:
        """Read the bundle (again); a broken one is refused and the last good one kept."""
        key = applied_key(self.paths)
        try:
            bundle = load_bundle(self.conf_dir)
        except UserError as exc:
            if self.bundle is None:
                raise
            send_event(
                self.paths.syslog_socket,
                f"watcher: the bundle in {self.conf_dir} is refused, keeping the last good "
                f"one: {exc}",
                "error",
            )
            self.key = key
            return
        if self.bundle is not None:
            send_event(
                self.paths.syslog_socket, f"watcher: read the bundle again ({bundle.site.stamp})"
            )
        self.bundle, self.key = bundle, key
        self.by_address = {str(p.tunnel_address): p.fqdn for p in bundle.site.peers}
        self.health = {n: h for n, h in self.health.items() if n in self.by_address.values()}
        if self.prober is not None:
            self.prober.close()
            self.prober = None  # housekeeping starts it again with the new peers and pace

    def _start_probing(self) -> None:
        if not self.health:
            with Reader() as reader:
                self.health = state_from_kernel(self.bundle.site, kernel.main_routes(reader))
        self.prober = Prober(list(self.by_address), pace_of(self.bundle))

    def _put_right_drift(self) -> None:
        """Routes not as the state says (a hand-made change, a start in between): moved.
        The streaks of the peers go to the state file too, for `show`."""
        if self.health != self.saved:
            save_state(self.paths.watchdog_state, self.health)
            self.saved = dict(self.health)
        with Reader() as reader:
            drifted = routes_out_of_step(self.bundle.site, self.health, kernel.main_routes(reader))
        if drifted:
            log.info("routes out of step for %s: putting them right", drifted)
            try:
                with lock.held(self.paths, wait=LOCK_WAIT):
                    converge_to(
                        self.bundle, self.paths, self.conf_dir, self.health, only=("routes",)
                    )
            except UserError as exc:
                log.info("cannot put the routes right yet: %s", exc)


def _change(name: str, before: PeerHealth, after: PeerHealth, now: float, t: Thresholds) -> Change:
    since = now - before.changed_at if before.changed_at is not None else None
    reason = (
        f"{t.fall} probes through the tunnel lost in a row"
        if after.withdrawn
        else f"{t.rise} probes through the tunnel answered in a row"
    )
    return Change(name, after.withdrawn, reason, since)


def watch(paths: Paths, conf_dir: Path, *, standby: bool) -> int:
    """Run the watcher until SIGTERM; 0 at once when another watcher runs (unless `standby`:
    then wait for it to end and take over)."""
    held = daemon.hold(paths.watcher_lock, wait=standby)
    if held is None:
        log.info("another watcher runs (it holds %s)", paths.watcher_lock)
        return 0
    Watcher(paths, conf_dir).run()
    return 0
