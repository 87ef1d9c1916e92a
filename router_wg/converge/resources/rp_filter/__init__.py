"""Loose reverse-path filtering on the WireGuard interface and the fallback interface:
traffic of one peer may arrive on either while its routes move, and strict filtering would
drop it. The value start replaced on the fallback interface (which outlives us) is kept in
a record, and `stop` puts it back where it still has ours."""

from __future__ import annotations

from dataclasses import dataclass, field

from router_wg.backends import sysctl
from router_wg.converge.action import Action
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.system import System

LOOSE = 2


@dataclass(frozen=True)
class Wanted:
    own: str  # our interface: created by the link resource, so absent before a first start
    values: dict[str, int]  # interface -> wanted value


@dataclass(frozen=True)
class Observed:
    own: str
    values: dict[str, int | None]  # None: interface absent
    replaced: dict[str, int] = field(default_factory=dict)  # what start changed, and from what


def wanted(inputs: Inputs) -> Wanted:
    site = inputs.site
    values = {site.interface: LOOSE}
    if site.fallback_interface:
        values[site.fallback_interface] = LOOSE
    return Wanted(site.interface, values)


def observe(system: System, inputs: Inputs, wanted: Wanted | None) -> Observed:
    replaced = sysctl.replaced(system.paths)
    interfaces = {*(wanted.values if wanted else ()), *replaced}
    return Observed(
        inputs.site.interface, {name: sysctl.read_rp_filter(name) for name in interfaces}, replaced
    )


def changes(wanted: Wanted | None, observed: Observed) -> list[Action]:
    if wanted is None:  # ours goes with the interface
        put_back = [(n, v) for n, v in sorted(observed.replaced.items()) if n != observed.own]
        return [_actions().RestoreRpFilter(n, v, LOOSE) for n, v in put_back]
    plan: list[Action] = []
    for interface, value in wanted.values.items():
        current = observed.values.get(interface)
        if interface == wanted.own and current is None:  # the link is being created
            plan.append(_actions().SetRpFilter(interface, value, None))
        # an absent fallback interface (tinc not up yet) is set by a later start
        elif current is not None and current != value:
            plan.append(_actions().SetRpFilter(interface, value, current))
    return plan


def _actions():
    """This resource's actions, imported only when something must change: a no-op start
    (every firewall restart) defines none of them."""
    from router_wg.converge.resources.rp_filter import actions

    return actions


RP_FILTER = Resource("rp_filter", wanted, observe, changes)
