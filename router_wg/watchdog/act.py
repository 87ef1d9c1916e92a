"""What the watchdog does once it has decided: converge the router through the same service
as `start`, handing it the peers it withdrew, and say which endpoints moved. A quiet cron
tick never imports this module."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from router_wg.bundle.site import Site
from router_wg.paths import Paths
from router_wg.watchdog.health import PeerHealth

if TYPE_CHECKING:
    from router_wg.bundle.load import Bundle

log = logging.getLogger("router_wg")


def withdrawn_of(health: dict[str, PeerHealth]) -> frozenset[str]:
    return frozenset(name for name, peer in health.items() if peer.withdrawn)


def converge_to(
    bundle: Bundle,
    paths: Paths,
    conf_dir: Path,
    health: dict[str, PeerHealth],
    *,
    only: tuple[str, ...] = (),
) -> list[str]:
    """The router to `bundle` with the peers `health` withdrew (`only`: these resources,
    say the routes alone); the syslog lines for endpoints that moved. The caller holds the
    lock. The converge layer is imported here, not at the top: a quiet tick needs none."""
    from router_wg.converge.inputs import resolve_for
    from router_wg.converge.service import converge

    plan = converge(
        paths,
        conf_dir,
        bundle,
        withdrawn_of(health),
        lambda text: log.info("[+] %s", text),
        resolved={} if only else resolve_for(bundle.wireguard),
        only=only,
    )
    return endpoints_changed(bundle.site, plan)


def endpoints_changed(site: Site, plan) -> list[str]:
    """Syslog lines for peers whose endpoint the plan moved (a name now resolving to a
    new address, or resolving at all)."""
    from router_wg.converge.resources.link.actions import SyncWireGuard

    peers = {p.public_key: p for p in site.peers}
    lines = []
    for action in plan:
        if not isinstance(action, SyncWireGuard) or action.previous is None:
            continue
        before = {p.public_key: p.endpoint for p in action.previous.peers}
        for wanted in action.config.peers:
            peer = peers.get(wanted.public_key)
            old = before.get(wanted.public_key)
            if peer and wanted.endpoint and wanted.public_key in before and old != wanted.endpoint:
                lines.append(
                    f"{peer.fqdn}: endpoint changed to {wanted.endpoint} (was {old or 'none'}; "
                    f"{peer.endpoint} resolves to a new address)"
                )
    return lines
