"""`router-wg stop`: remove everything router-wg added, and nothing else."""

from __future__ import annotations

import logging
import sys

from router_wg.backends import lock
from router_wg.bundle.settings import load_site
from router_wg.converge.apply import apply_stop
from router_wg.converge.planner import plan_stop
from router_wg.converge.system import System, ip6tables_marker, observe
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of

log = logging.getLogger("router_wg")


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)


def run(args) -> int:
    paths = Paths(args.root)
    site = load_site(conf_dir_of(args))
    system = System(paths)
    try:
        with lock.held(paths):
            plan = plan_stop(observe(system, site.interface))
            failures = apply_stop(plan, system, lambda text: print(f"[-] {text}", flush=True))
            if not failures:
                ip6tables_marker(paths).unlink(missing_ok=True)
    finally:
        system.close()
        log.info("%d processes spawned", system.runner.spawned)
    for failure in failures:
        print(f"router-wg stop: {failure}", file=sys.stderr)
    return 1 if failures else 0
