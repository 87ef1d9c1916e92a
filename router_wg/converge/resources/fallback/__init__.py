"""The fallback's safety net: an unreachable route for the whole fallback network, marked
ours, at a metric far behind any real route (tinc's own route has metric 0).

While tinc carries the fallback network its route wins. When tinc is down (its interface,
and the route with it, gone), a withdrawn peer's LAN traffic meets ours: the router answers
"no route", and not one packet for the mesh leaves through the uplink in clear by the
default route. A mesh without `fallback_network` gets none, and keeps the kernel's default.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from router_wg.converge.action import Action
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.system import System
from router_wg.marks import ROUTE_PROTOCOL

log = logging.getLogger("router_wg")
# Far behind any route someone adds by hand or a VPN's up script (0, or small numbers);
# 0x57 in the top byte, as the protocol number, so `ip route` shows whose it is.
METRIC = 0x57000000


@dataclass(frozen=True)
class Wanted:
    networks: frozenset[str]  # the fallback network, or nothing
    interface: str | None  # the fallback interface, checked to exist (a warning if not)


def wanted(inputs: Inputs) -> Wanted:
    site = inputs.site
    networks = frozenset({str(site.fallback_network)}) if site.fallback_network else frozenset()
    return Wanted(networks, site.fallback_interface)


def observe(system: System, inputs: Inputs, wanted: Wanted | None) -> frozenset[tuple[str, int]]:
    """Our unreachable routes, (destination, metric)."""
    if wanted and wanted.interface and system.netlink.index(wanted.interface) is None:
        log.warning(
            "warning: the fallback interface %s does not exist (is tinc running?): while it "
            "is missing, the LANs of a withdrawn peer are unreachable%s",
            wanted.interface,
            "" if wanted.networks else ", or leave by the default route (no fallback_network)",
        )
    return system.netlink.unreachable_routes(ROUTE_PROTOCOL)


def changes(wanted: Wanted | None, observed: frozenset[tuple[str, int]]) -> list[Action]:
    want = {(n, METRIC) for n in wanted.networks} if wanted else set()
    if want == observed:
        return []
    a = _actions()
    plan: list[Action] = [a.AddUnreachable(n, metric) for n, metric in sorted(want - observed)]
    plan += [a.RemoveUnreachable(n, metric) for n, metric in sorted(observed - want)]
    return plan


def _actions():
    """This resource's actions, imported only when something must change: a no-op start
    (every firewall restart) defines none of them."""
    from router_wg.converge.resources.fallback import actions

    return actions


FALLBACK = Resource("fallback", wanted, observe, changes)
