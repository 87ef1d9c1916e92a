"""The resident watcher (router_wg.watchdog.watcher): one process per router, started
detached by `start` (and by cron when none runs), ended by `stop`.

Where a service manager supervises it instead (OpenWrt's procd, through the init script:
ROUTER_WG_WATCHER_SERVICE names that script) it is that manager's, and this resource leaves
it alone. A site that chose `mode = "cron"` in `[watchdog]` keeps no resident process: a
watcher still running from before is ended.
"""

from __future__ import annotations

from dataclasses import dataclass

from router_wg.backends import daemon
from router_wg.converge.action import Action
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.system import System


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
        return [] if observed.running else [_actions().StartWatcher(wanted.argv)]
    return [_actions().StopWatcher(observed.pid)] if observed.running else []


def _actions():
    """This resource's actions, imported only when something must change: a no-op start
    (every firewall restart) defines none of them."""
    from router_wg.converge.resources.watcher import actions

    return actions


WATCHER = Resource("watcher", wanted, observe, changes)
