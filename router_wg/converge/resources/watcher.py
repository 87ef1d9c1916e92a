"""The resident watcher (router_wg.watchdog.watcher): one process per router, started
detached by `start` (and by cron when none runs), ended by `stop`.

Where a service manager supervises it instead (OpenWrt's procd, through the init script:
ROUTER_WG_WATCHER_SERVICE names that script) it is that manager's, and this resource leaves
it alone. A site that chose `mode = "cron"` in `[watchdog]` keeps no resident process: a
watcher still running from before is ended.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from router_wg.backends import daemon
from router_wg.converge.action import Action, StopOnly
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.system import System

log = logging.getLogger("router_wg")
STARTUP_WAIT = 10.0  # seconds for a new watcher to take its lock (Python's start on a router)


@dataclass(frozen=True)
class Wanted:
    argv: tuple[str, ...] | None  # how to start it; None: none of ours should run


@dataclass(frozen=True)
class Observed:
    running: bool
    pid: int | None
    ours: bool  # not a service manager's


def wanted(inputs: Inputs) -> Wanted:
    resident = inputs.site.watchdog.mode == "resident"
    return Wanted(inputs.watcher_argv if resident and inputs.watcher_argv else None)


def observe(system: System, inputs: Inputs, wanted: Wanted | None) -> Observed:
    lock = system.paths.watcher_lock
    running = daemon.running(lock)
    return Observed(
        running, daemon.holder(lock) if running else None, inputs.watcher_argv is not None
    )


def changes(wanted: Wanted | None, observed: Observed) -> list[Action]:
    if not observed.ours:
        return []
    if wanted is not None and wanted.argv is not None:
        return [] if observed.running else [StartWatcher(wanted.argv)]
    return [StopWatcher(observed.pid)] if observed.running else []


@dataclass(frozen=True)
class StartWatcher(Action):
    argv: tuple[str, ...]

    def describe(self) -> str:
        return "start the watcher (router-wg watch), detached"

    def do(self, system: System) -> None:
        daemon.spawn(list(self.argv))
        lock, deadline = system.paths.watcher_lock, time.monotonic() + STARTUP_WAIT
        while not daemon.running(lock):
            if time.monotonic() > deadline:
                log.warning(
                    "warning: the watcher did not start within %g s; cron will try again",
                    STARTUP_WAIT,
                )
                return
            time.sleep(0.05)

    def undo(self, system: System) -> None:
        daemon.stop(system.paths.watcher_lock)


@dataclass(frozen=True)
class StopWatcher(StopOnly, Action):
    pid: int | None

    def describe(self) -> str:
        return f"stop the watcher (pid {self.pid})"

    def do(self, system: System) -> None:
        if not daemon.stop(system.paths.watcher_lock):
            raise OSError(f"the watcher (pid {self.pid}) did not end")


WATCHER = Resource("watcher", wanted, observe, changes)
