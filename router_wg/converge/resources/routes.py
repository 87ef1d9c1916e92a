"""The peers' LAN routes through the WireGuard interface, marked with our protocol number.

A peer the watchdog withdrew has none: its LANs then follow the wider fallback route. The
watcher moves routes with this resource alone (`service.converge(..., only=("routes",))`).
"""

from __future__ import annotations

from dataclasses import dataclass

from router_wg.converge.action import Action
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.system import System
from router_wg.marks import ROUTE_PROTOCOL


@dataclass(frozen=True)
class Wanted:
    interface: str
    destinations: frozenset[str]  # peer LANs, "10.0.2.0/24"; withdrawn peers left out


@dataclass(frozen=True)
class Observed:
    index: int | None  # of the interface of our name; None: there is none (yet)
    routes: frozenset[tuple[str, int]]  # (destination, ifindex) of every route of ours


def wanted(inputs: Inputs) -> Wanted:
    site = inputs.site
    return Wanted(
        site.interface,
        frozenset(
            str(lan)
            for peer in site.peers
            if peer.fqdn not in inputs.withdrawn
            for lan in peer.lans
        ),
    )


def observe(system: System, inputs: Inputs, wanted: Wanted | None) -> Observed:
    return Observed(
        system.netlink.index(inputs.site.interface), system.netlink.routes(ROUTE_PROTOCOL)
    )


def changes(wanted: Wanted | None, observed: Observed) -> list[Action]:
    have = observed.routes
    if wanted is None:
        return [RemoveRoute(dst, index) for dst, index in sorted(have)]
    want = {(dst, observed.index) for dst in wanted.destinations}
    plan: list[Action] = [
        AddRoute(dst, wanted.interface) for dst, _ in sorted(want - have, key=str)
    ]
    plan += [RemoveRoute(dst, index) for dst, index in sorted(have - want)]
    return plan


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


ROUTES = Resource("routes", wanted, observe, changes)
