"""`router-wg check`: what cron runs every minute. Where the resident watcher judges the peers
(`[watchdog] mode = "resident"`, the default) it makes sure the watcher runs; in cron mode it
is one watchdog tick. `--loop`: ticks every loop_interval seconds, in the foreground."""

from __future__ import annotations

import signal
import time

from router_wg.bundle.settings import load_site
from router_wg.errors import UserError
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)
    parser.add_argument(
        "--loop",
        action="store_true",
        help="tick again and again (every [watchdog] loop_interval seconds of wg.conf), "
        "judging the peers itself as cron mode does; stop it with SIGTERM or Ctrl-C",
    )


def run(args) -> int:
    paths, conf_dir = Paths(args.root), conf_dir_of(args)
    site = load_site(conf_dir)
    if args.loop and site.watchdog.mode == "resident":
        raise UserError(
            "--loop judges the peers itself, as cron mode does, but here the resident watcher "
            'judges them ([watchdog] mode = "resident" in wg.conf); set mode = "cron" in '
            "mesh.toml's [watchdog] and run makeconf to use --loop instead"
        )
    if args.loop:
        from router_wg.watchdog.tick import loop

        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        try:
            loop(site, paths, conf_dir)
        except KeyboardInterrupt:
            return 0
    if site.watchdog.mode == "resident":
        from router_wg.watchdog.supervisor import supervise

        supervise(site, paths, conf_dir)
        return 0
    from router_wg.watchdog.tick import tick

    tick(site, paths, conf_dir, time.monotonic())
    return 0
