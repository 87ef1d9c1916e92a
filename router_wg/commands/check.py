"""`router-wg check`: one watchdog tick (what cron runs every minute), or `--loop`."""

from __future__ import annotations

import signal
import time

from router_wg.bundle.settings import load_site
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of
from router_wg.watchdog.tick import loop, tick


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)
    parser.add_argument(
        "--loop",
        action="store_true",
        help="tick again and again (every [watchdog] loop_interval seconds of wg.conf) for "
        "faster failover than cron's one minute; stop it with SIGTERM or Ctrl-C",
    )


def run(args) -> int:
    paths, conf_dir = Paths(args.root), conf_dir_of(args)
    site = load_site(conf_dir)
    if not args.loop:
        tick(site, paths, conf_dir, time.monotonic())
        return 0
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        loop(site, paths, conf_dir)
    except KeyboardInterrupt:
        return 0
