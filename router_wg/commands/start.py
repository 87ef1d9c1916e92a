"""`router-wg start`: bring this router to the state its bundle describes."""

from __future__ import annotations

import contextlib
import logging

from router_wg.backends import lock
from router_wg.bundle.load import load_bundle
from router_wg.converge.inputs import build_desired, resolve_for
from router_wg.converge.planner import plan_start
from router_wg.converge.system import System, ip6tables_marker, observe
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of

log = logging.getLogger("router_wg")


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)


def run(args) -> int:
    converge(Paths(args.root), conf_dir_of(args), lambda text: print(f"[+] {text}", flush=True))
    return 0


def converge(paths: Paths, conf_dir, report, *, take_lock: bool = True):
    """Bring the router to its bundle's state; the watchdog calls this with the lock
    already held. Returns the plan that was applied."""
    bundle = load_bundle(conf_dir)  # both files checked before anything touches the kernel
    resolved = resolve_for(bundle.wireguard)  # before the lock: it may wait for DNS
    system = System(paths)
    try:  # pyroute2 is imported only if the plan changes a link, an address or a route
        with lock.held(paths) if take_lock else contextlib.nullcontext():
            desired = build_desired(bundle, paths, conf_dir, resolved)
            observed = observe(system, desired.interface, desired.rp_filter, desired.ipv6)
            plan = plan_start(desired, observed)
            if plan:  # the applier and its backends, only when there is something to do
                from router_wg.converge.apply import apply_start

                apply_start(plan, system, report)
            if not desired.ipv6:  # and the plan removed any leftovers there
                ip6tables_marker(paths).unlink(missing_ok=True)
    finally:
        system.close()
        log.info("%d processes spawned", system.runner.spawned)
    return plan
