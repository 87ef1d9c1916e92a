"""`router-wg watch`: the resident watcher, in the foreground until SIGTERM (what `start`
starts detached, and OpenWrt's procd runs as a service instance)."""

from __future__ import annotations

import signal

from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of
from router_wg.watchdog.watcher import watch


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)
    parser.add_argument(
        "--standby",
        action="store_true",
        help="when another watcher runs, wait for it to end and take over (for a service "
        "manager that respawns it) instead of exiting at once",
    )


def run(args) -> int:
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        return watch(Paths(args.root), conf_dir_of(args), standby=args.standby)
    except KeyboardInterrupt:
        return 0
