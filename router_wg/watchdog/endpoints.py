"""Peers dialled by name whose address may have moved (dynamic DNS): looked up again."""

from __future__ import annotations

import ipaddress
import time

from router_wg.backends.runner import Runner
from router_wg.bundle.site import Site
from router_wg.watchdog import kernel

REJECT_AFTER_TIME = 180  # seconds: WireGuard gives up on a session this old


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
    handshakes = kernel.latest_handshakes(Runner(), site.interface)
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
