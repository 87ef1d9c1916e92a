"""The routes resource's actions: add and remove one LAN route through our interface."""

from __future__ import annotations

from dataclasses import dataclass

from router_wg.converge.action import Action
from router_wg.converge.system import System
from router_wg.marks import ROUTE_PROTOCOL


@dataclass(frozen=True)
class AddRoute(Action):
    destination: str
    interface: str

    def describe(self) -> str:
        return f"add route {self.destination} dev {self.interface}"

    def do(self, system: System) -> None:
        netlink = system.netlink
        netlink.route("add", self.destination, netlink.must_index(self.interface), ROUTE_PROTOCOL)

    def undo(self, system: System) -> None:
        """The route goes, unless its interface is gone already (and the route with it)."""
        index = system.netlink.index(self.interface)
        if index is not None:
            system.netlink.route("del", self.destination, index, ROUTE_PROTOCOL)


@dataclass(frozen=True)
class RemoveRoute(Action):
    destination: str
    ifindex: int

    def describe(self) -> str:
        return f"remove route {self.destination} (ifindex {self.ifindex})"

    def do(self, system: System) -> None:
        system.netlink.route("del", self.destination, self.ifindex, ROUTE_PROTOCOL)

    def undo(self, system: System) -> None:
        system.netlink.route("add", self.destination, self.ifindex, ROUTE_PROTOCOL)
