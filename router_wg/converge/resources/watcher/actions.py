"""The watcher resource's actions: start it detached (and wait for it to take its lock), end it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from router_wg.backends import daemon
from router_wg.converge.action import Action, StopOnly
from router_wg.converge.system import System

log = logging.getLogger("router_wg")
STARTUP_WAIT = 10.0  # seconds for a new watcher to take its lock (Python's start on a router)


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
