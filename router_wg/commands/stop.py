"""`router-wg stop`: remove everything router-wg added, and nothing else."""

from __future__ import annotations

import sys

from router_wg.backends import lock
from router_wg.bundle.settings import load_site
from router_wg.converge.service import stop
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)


def run(args) -> int:
    paths = Paths(args.root)
    site = load_site(conf_dir_of(args))  # wg.conf alone: a damaged wg0.conf can still go
    with lock.held(paths):
        failures = stop(paths, site, lambda text: print(f"[-] {text}", flush=True))
    for failure in failures:
        print(f"router-wg stop: {failure}", file=sys.stderr)
    return 1 if failures else 0
