"""What the watchdog reads from the kernel, cheaply: routes through the rtnetlink reader
(the same one start, plan and show use), handshakes through one `wg` call; and what it
makes of them: the state a boot without one starts from, routes out of step with the state,
peers dialled by name whose address may have moved (dynamic DNS). No netlink library is
imported: a quiet tick must stay cheap."""

from __future__ import annotations

import ipaddress
import socket
import time

from router_wg.backends.rtnetlink import Reader, RouteInfo
from router_wg.backends.runner import Runner
from router_wg.bundle.site import Site
from router_wg.watchdog.health import PeerHealth

MAIN_TABLE = 254
REJECT_AFTER_TIME = 180  # seconds: WireGuard gives up on a session this old


def interface_index(name: str) -> int | None:
    try:
        return socket.if_nametoindex(name)
    except OSError:
        return None


def main_routes(reader: Reader) -> list[RouteInfo]:
    """The main table's IPv4 and IPv6 routes: one dump per family, for a whole tick."""
    return [
        route
        for family in (socket.AF_INET, socket.AF_INET6)
        for route in reader.routes(family)
        if route.table == MAIN_TABLE
    ]


def has_default_route(routes: list[RouteInfo]) -> bool:
    """An uplink: an IPv4 or IPv6 default route (IPv6's unreachable default on lo is no
    uplink)."""
    loopback = interface_index("lo")
    return any(route.destination is None and route.oif != loopback for route in routes)


def routed_networks(routes: list[RouteInfo], interface: str) -> set[str]:
    """The networks routed through `interface` (what is left of the peers' LAN routes)."""
    index = interface_index(interface)
    if index is None:
        return set()
    return {r.destination for r in routes if r.oif == index and r.destination is not None}


def latest_handshakes(runner: Runner, interface: str) -> dict[str, int]:
    """public key -> unix time of the latest handshake (0: never). Public keys only: the
    `latest-handshakes` view prints no secret."""
    done = runner.run(["wg", "show", interface, "latest-handshakes"], check=False, timeout=10)
    handshakes = {}
    for line in done.stdout.splitlines():
        key, _, when = line.partition("\t")
        if when.strip().isdigit():
            handshakes[key] = int(when)
    return handshakes


def state_from_kernel(site: Site, routes: list[RouteInfo]) -> dict[str, PeerHealth]:
    """No state for this boot: a peer none of whose LAN routes is there is withdrawn."""
    routed = routed_networks(routes, site.interface)
    return {
        peer.fqdn: PeerHealth(
            withdrawn=bool(peer.lans) and not routed & {str(n) for n in peer.lans}
        )
        for peer in site.peers
    }


def routes_out_of_step(
    site: Site, health: dict[str, PeerHealth], routes: list[RouteInfo]
) -> list[str]:
    """Peers whose LAN routes are not as the state says: some present while withdrawn,
    or some missing while not withdrawn."""
    routed = routed_networks(routes, site.interface)
    out = []
    for peer in site.peers:
        lans = {str(n) for n in peer.lans}
        withdrawn = health.get(peer.fqdn, PeerHealth()).withdrawn
        if (lans & routed) if withdrawn else (lans - routed):
            out.append(peer.fqdn)
    return out


def peers_to_look_up(site: Site, alive: dict[str, bool]) -> list[str]:
    """Silent peers dialled by name whose session is older than WireGuard's reject time:
    their address may have changed behind the name (dynamic DNS)."""
    named = [
        p
        for p in site.peers
        if not alive[p.fqdn] and p.endpoint and not _is_address(p.endpoint.rpartition(":")[0])
    ]
    if not named:
        return []
    handshakes = latest_handshakes(Runner(), site.interface)
    now = time.time()
    return [
        p.fqdn
        for p in named
        if handshakes.get(p.public_key, 0) == 0
        or not 0 <= now - handshakes[p.public_key] <= REJECT_AFTER_TIME
    ]


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False
