"""The fallback resource's actions: add and remove our unreachable route."""

from __future__ import annotations

from dataclasses import dataclass

from router_wg.converge.action import Action
from router_wg.converge.system import System
from router_wg.marks import ROUTE_PROTOCOL


@dataclass(frozen=True)
class AddUnreachable(Action):
    destination: str
    metric: int

    def describe(self) -> str:
        return (
            f"add route unreachable {self.destination} metric {self.metric} (no fallback: dropped)"
        )

    def do(self, system: System) -> None:
        system.netlink.unreachable("add", self.destination, self.metric, ROUTE_PROTOCOL)

    def undo(self, system: System) -> None:
        system.netlink.unreachable("del", self.destination, self.metric, ROUTE_PROTOCOL)


@dataclass(frozen=True)
class RemoveUnreachable(Action):
    destination: str
    metric: int

    def describe(self) -> str:
        return f"remove route unreachable {self.destination} metric {self.metric}"

    def do(self, system: System) -> None:
        system.netlink.unreachable("del", self.destination, self.metric, ROUTE_PROTOCOL)

    def undo(self, system: System) -> None:
        system.netlink.unreachable("add", self.destination, self.metric, ROUTE_PROTOCOL)
