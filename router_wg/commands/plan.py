"""`router-wg plan`: print what start would change, one action per line; change nothing."""

from __future__ import annotations

import sys

from router_wg.bundle.load import load_bundle
from router_wg.converge.inputs import resolve_for
from router_wg.converge.service import plan_only
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of
from router_wg.watchdog.state import withdrawn_peers


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)


def run(args) -> int:
    paths, conf_dir = Paths(args.root), conf_dir_of(args)
    bundle = load_bundle(conf_dir)
    withdrawn = withdrawn_peers(paths.watchdog_state)
    plan = plan_only(paths, conf_dir, bundle, withdrawn, resolved=resolve_for(bundle.wireguard))
    for action in plan:
        print(action.describe())
    if not plan:
        print("nothing to do: this router matches its bundle", file=sys.stderr)
    return 0
