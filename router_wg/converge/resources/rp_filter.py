"""Loose reverse-path filtering on the WireGuard interface and the fallback interface:
traffic of one peer may arrive on either while its routes move, and strict filtering would
drop it. The value start replaced on the fallback interface (which outlives us) is kept in
a record, and `stop` puts it back where it still has ours."""

from __future__ import annotations

from dataclasses import dataclass, field

from router_wg.backends import sysctl
from router_wg.converge.action import Action, StopOnly
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
        return [
            RestoreRpFilter(name, value)
            for name, value in sorted(observed.replaced.items())
            if name != observed.own
        ]
    plan: list[Action] = []
    for interface, value in wanted.values.items():
        current = observed.values.get(interface)
        if interface == wanted.own and current is None:  # the link is being created
            plan.append(SetRpFilter(interface, value, None))
        # an absent fallback interface (tinc not up yet) is set by a later start
        elif current is not None and current != value:
            plan.append(SetRpFilter(interface, value, current))
    return plan


@dataclass(frozen=True)
class SetRpFilter(Action):
    interface: str
    value: int
    previous: int | None

    def describe(self) -> str:
        return f"set rp_filter={self.value} on {self.interface}"

    def do(self, system: System) -> None:
        if self.previous is not None:
            sysctl.remember_replaced(system.paths, self.interface, self.previous)
        sysctl.write_rp_filter(self.interface, self.value)

    def undo(self, system: System) -> None:
        """The previous value back; ours on an interface this run created has none."""
        if self.previous is not None:
            sysctl.write_rp_filter(self.interface, self.previous)


@dataclass(frozen=True)
class RestoreRpFilter(StopOnly, Action):
    """Put back the value start replaced on an interface that outlives us (the fallback's),
    where it still has ours."""

    interface: str
    value: int

    def describe(self) -> str:
        return f"restore rp_filter={self.value} on {self.interface}"

    def do(self, system: System) -> None:
        # only where it still has our value: a change made since then is someone's choice
        if sysctl.read_rp_filter(self.interface) == LOOSE:
            sysctl.write_rp_filter(self.interface, self.value)
        sysctl.forget_replaced(system.paths, self.interface)


RP_FILTER = Resource("rp_filter", wanted, observe, changes)
