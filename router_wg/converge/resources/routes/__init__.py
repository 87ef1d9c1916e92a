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
    want = set() if wanted is None else {(dst, observed.index) for dst in wanted.destinations}
    if want == have:
        return []
    a = _actions()
    plan: list[Action] = [
        a.AddRoute(dst, wanted.interface) for dst, _ in sorted(want - have, key=str)
    ]
    plan += [a.RemoveRoute(dst, index) for dst, index in sorted(have - want)]
    return plan


def _actions():
    """This resource's actions, imported only when something must change: a no-op start
    (every firewall restart) defines none of them."""
    from router_wg.converge.resources.routes import actions

    return actions


ROUTES = Resource("routes", wanted, observe, changes)
