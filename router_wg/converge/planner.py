"""The planner: a loop over the resources in their fixed order (`resources.RESOURCES`).
`start` takes them in that order, `stop` in reverse; only differences become actions, so a
converged router gets an empty plan, and a router whose firewall was flushed gets only the
firewall back (the tunnel is not touched)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from router_wg.converge.action import Action
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.resources import RESOURCES
from router_wg.converge.system import System

State = dict[str, Any]  # resource name -> its wanted or observed state


def chosen(only: Iterable[str] = ()) -> tuple[Resource, ...]:
    """The resources, in order; `only` names a subset (the watcher moves routes alone)."""
    names = set(only)
    unknown = names - {r.name for r in RESOURCES}
    if unknown:
        raise ValueError(f"no such resource: {', '.join(sorted(unknown))}")
    return tuple(r for r in RESOURCES if not names or r.name in names)


def wanted_state(inputs: Inputs, resources: tuple[Resource, ...]) -> State:
    return {r.name: r.wanted(inputs) for r in resources}


def observe(
    system: System, inputs: Inputs, wanted: State | None, resources: tuple[Resource, ...]
) -> State:
    """What each resource finds of ours; `wanted` None when stopping."""
    return {
        r.name: r.observe(system, inputs, None if wanted is None else wanted[r.name])
        for r in resources
    }


def plan_start(wanted: State, observed: State, resources=RESOURCES) -> list[Action]:
    return [x for r in resources for x in r.changes(wanted[r.name], observed[r.name])]


def plan_stop(observed: State, resources=RESOURCES) -> list[Action]:
    return [x for r in reversed(resources) for x in r.changes(None, observed[r.name])]
