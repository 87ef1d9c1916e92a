"""What the watchdog reads from the kernel, cheaply: routes through the rtnetlink reader
(the same one start, plan and show use), handshakes through one `wg` call. No netlink
library is imported: a quiet tick must stay cheap."""

from __future__ import annotations

import socket

from router_wg.backends.rtnetlink import Reader
from router_wg.backends.runner import Runner

MAIN_TABLE = 254


def interface_index(name: str) -> int | None:
    try:
        return socket.if_nametoindex(name)
    except OSError:
        return None


def has_default_route(reader: Reader) -> bool:
    """An uplink: an IPv4 or IPv6 default route in the main table (IPv6's unreachable
    default on lo is no uplink)."""
    loopback = interface_index("lo")
    return any(
        route.destination is None and route.table == MAIN_TABLE and route.oif != loopback
        for family in (socket.AF_INET, socket.AF_INET6)
        for route in reader.routes(family)
    )


def routed_networks(reader: Reader, interface: str) -> set[str]:
    """The IPv4 and IPv6 networks the main table routes through `interface` (what is
    left of the peers' LAN routes)."""
    index = interface_index(interface)
    if index is None:
        return set()
    return {
        route.destination
        for family in (socket.AF_INET, socket.AF_INET6)
        for route in reader.routes(family)
        if route.oif == index and route.table == MAIN_TABLE and route.destination is not None
    }


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
