"""`router-wg plan`: print what start would change, one action per line; change nothing."""

from __future__ import annotations

import sys

from router_wg.converge.bundle import (
    add_conf_dir_argument,
    build_desired,
    conf_dir_of,
    load_bundle,
    resolve_for,
)
from router_wg.converge.planner import plan_start
from router_wg.converge.system import System, observe
from router_wg.paths import Paths


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)


def run(args) -> int:
    paths, conf_dir = Paths(args.root), conf_dir_of(args)
    site, wg_config = load_bundle(conf_dir)
    system = System(paths)
    try:
        desired = build_desired(site, wg_config, paths, conf_dir, resolve_for(wg_config))
        observed = observe(system, site.interface, desired.rp_filter, desired.ipv6)
        plan = plan_start(desired, observed)
    finally:
        system.close()
    for action in plan:
        print(action.describe())
    if not plan:
        print("nothing to do: this router matches its bundle", file=sys.stderr)
    return 0
