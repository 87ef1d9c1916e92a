"""The one way into convergence, shared by `start`, `plan`, `stop` and the watchdog.

The caller holds the lock (router_wg.backends.lock) and says which peers the watchdog has
withdrawn: `start` reads them from the watchdog's state file, the watchdog hands over what
it just decided. Nothing here reads that file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from router_wg.bundle.load import Bundle
from router_wg.bundle.site import Site
from router_wg.converge import planner
from router_wg.converge.action import Action
from router_wg.converge.inputs import inputs_for, stop_inputs
from router_wg.converge.system import System
from router_wg.files import write_atomic
from router_wg.paths import Paths

log = logging.getLogger("router_wg")
Say = Callable[[str], None]


def converge(
    paths: Paths,
    conf_dir: Path,
    bundle: Bundle,
    withdrawn: frozenset[str],
    say: Say,
    *,
    resolved,
    only: Iterable[str] = (),
) -> list[Action]:
    """Bring the router to its bundle, the `withdrawn` peers' LANs left out; `only` names
    the resources to look at (all by default). Returns the plan that was applied; raises
    UserError, with this run's changes rolled back, when an action fails."""
    resources = planner.chosen(only)
    inputs = inputs_for(bundle, withdrawn, resolved, paths, conf_dir)
    system = System(paths)
    try:
        wanted = planner.wanted_state(inputs, resources)
        plan = planner.plan_start(
            wanted, planner.observe(system, inputs, wanted, resources), resources
        )
        if plan:  # the applier, only when there is something to do
            from router_wg.converge.apply import apply_start

            apply_start(plan, system, say)
        _settle(system, resources, wanted)
        if not only:
            _record_applied(paths, bundle)
    finally:
        system.close()
        log.info("%d processes spawned", system.runner.spawned)
    return plan


def plan_only(
    paths: Paths, conf_dir: Path, bundle: Bundle, withdrawn: frozenset[str], *, resolved
) -> list[Action]:
    """What `converge` would do, doing nothing."""
    inputs = inputs_for(bundle, withdrawn, resolved, paths, conf_dir)
    system = System(paths)
    try:
        wanted = planner.wanted_state(inputs, planner.RESOURCES)
        return planner.plan_start(
            wanted, planner.observe(system, inputs, wanted, planner.RESOURCES)
        )
    finally:
        system.close()


def stop(paths: Paths, site: Site, say: Say) -> list[str]:
    """Remove everything of ours, keeping on past failures; returns them."""
    from router_wg.converge.apply import apply_stop

    inputs = stop_inputs(site)
    system = System(paths)
    try:
        plan = planner.plan_stop(planner.observe(system, inputs, None, planner.RESOURCES))
        failures = apply_stop(plan, system, say)
        if not failures:
            _settle(system, planner.RESOURCES, None)
            paths.applied_bundle.unlink(missing_ok=True)
    finally:
        system.close()
        log.info("%d processes spawned", system.runner.spawned)
    return failures


def _record_applied(paths: Paths, bundle: Bundle) -> None:
    """Which bundle the router now runs, rewritten only when it changed (every firewall
    restart runs start: no write for a no-op)."""
    stamp = bundle.site.stamp
    text = json.dumps({"serial": stamp.serial, "fingerprint": stamp.fingerprint}) + "\n"
    try:
        if paths.applied_bundle.read_text() == text:
            return
    except OSError:
        pass
    write_atomic(paths.applied_bundle, text, mode=0o644)


def _settle(system: System, resources, wanted: dict | None) -> None:
    for resource in resources:
        if resource.settle is not None:
            resource.settle(system, None if wanted is None else wanted[resource.name])
