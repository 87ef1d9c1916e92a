"""`router-wg plan`: print what start would change, one action per line; change nothing."""

from __future__ import annotations

import sys

from router_wg.bundle.load import load_bundle
from router_wg.converge.inputs import build_desired, resolve_for
from router_wg.converge.planner import plan_start
from router_wg.converge.system import System, observe
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)


def run(args) -> int:
    paths, conf_dir = Paths(args.root), conf_dir_of(args)
    bundle = load_bundle(conf_dir)
    system = System(paths)
    try:
        desired = build_desired(bundle, paths, conf_dir, resolve_for(bundle.wireguard))
        observed = observe(system, desired.interface, desired.rp_filter, desired.ipv6)
        plan = plan_start(desired, observed)
    finally:
        system.close()
    for action in plan:
        print(action.describe())
    if not plan:
        print("nothing to do: this router matches its bundle", file=sys.stderr)
    return 0
