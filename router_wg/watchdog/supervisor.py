"""What cron's `check` does where the resident watcher judges the peers: make sure it runs.

A cron run that finds the watcher alive costs one lock attempt. One that finds none (killed,
crashed, never started) starts it, as `start` does: detached by router-wg itself, or, where
a service manager supervises it (OpenWrt's procd), by asking that service to start (which
gives procd its instance back). Nothing runs while router-wg is not started here.
"""

from __future__ import annotations

import logging
from pathlib import Path

from router_wg.backends import daemon, lock
from router_wg.backends.runner import Runner
from router_wg.bundle.site import Site
from router_wg.events import send_event
from router_wg.paths import Paths
from router_wg.watchdog import kernel

log = logging.getLogger("router_wg")


def supervise(site: Site, paths: Paths, conf_dir: Path) -> bool:
    """Start the watcher if it is not running; True when this run started it."""
    if daemon.running(paths.watcher_lock):
        return False
    if kernel.interface_index(site.interface) is None:
        log.info("%s does not exist: router-wg is not started here", site.interface)
        return False
    from router_wg.converge.inputs import watcher_service

    service = watcher_service()
    if service:
        Runner().run([service, "start"], timeout=120)
    else:
        from router_wg.bundle.load import load_bundle
        from router_wg.converge.service import converge

        with lock.held(paths):
            converge(
                paths,
                conf_dir,
                load_bundle(conf_dir),
                frozenset(),
                log.info,
                resolved={},
                only=("watcher",),
            )
    send_event(paths.syslog_socket, "watcher: was not running; started it", "warning")
    return True
