"""Everything router-wg owns on a router, one resource each, in the order `start` converges
them (`stop` goes backwards). A new thing to own is a new module here and one line below."""

from __future__ import annotations

from router_wg.converge.resources.cron import CRON
from router_wg.converge.resources.fallback import FALLBACK
from router_wg.converge.resources.fw4 import FW4
from router_wg.converge.resources.iptables import IPTABLES
from router_wg.converge.resources.link import LINK
from router_wg.converge.resources.routes import ROUTES
from router_wg.converge.resources.rp_filter import RP_FILTER
from router_wg.converge.resources.watcher import WATCHER

RESOURCES = (
    LINK,  # the module, the interface, its WireGuard configuration, MTU, address, state
    ROUTES,  # the peers' LANs through the interface (not the withdrawn peers')
    FALLBACK,  # an unreachable route for the fallback network, behind tinc's
    IPTABLES,  # chains RWG_* and their jumps, IPv4 and IPv6 (not under fw4)
    FW4,  # chains rwg_* in table inet fw4, their jumps and include files (under fw4 only)
    RP_FILTER,  # loose reverse-path filtering on our and the fallback interface
    CRON,  # the watchdog's cron entry (the watcher's supervisor)
    WATCHER,  # the resident watcher process, where no service manager runs it
)
