"""The mesh record, `OUT/mesh.toml`: the answers plus every key and assigned tunnel address.

It is itself a valid mesh file, so makeconf reads it back (and a later `--answers` may be a
copy of it). Sites in mesh order, pairs sorted by their two fqdns. Standard library only.
"""

from __future__ import annotations

from router_wg.bundle import toml
from router_wg.model import Mesh, pair_key

HEADER = (
    "The mesh record, written by router-wg makeconf: the answers plus every key.",
    "Keep it safe and private (mode 0600): it holds every router's private key.",
    "makeconf reads it back and keeps these keys, preshared keys and tunnel addresses.",
)


def _text(item: object) -> object:
    return None if item is None else str(item)


def render_record(mesh: Mesh) -> str:
    if not mesh.is_complete:
        raise ValueError("render_record needs a complete mesh (keys and tunnel addresses)")
    settings = mesh.settings
    tables = [
        toml.table(
            "[mesh]",
            {
                "serial": mesh.serial or None,
                "interface": settings.interface,
                "listen_port": settings.listen_port,
                "tunnel_network": str(settings.tunnel_network),
                "fallback_network": _text(settings.fallback_network),
                "fallback_interface": settings.fallback_interface,
                "keepalive": settings.keepalive,
                "mtu": settings.mtu,
            },
        )
    ]
    if settings.watchdog:  # only what the answers set: the rest follows router-wg's defaults
        tables.append(toml.table("[watchdog]", dict(settings.watchdog)))
    for site in mesh.sites:
        tables.append(
            toml.table(
                "[[site]]",
                {
                    "fqdn": site.fqdn,
                    "endpoint": site.endpoint,
                    "listen_port": site.listen_port,
                    "tunnel_address": str(site.tunnel_address),
                    "lans": [str(lan) for lan in site.lans],
                    "nat": site.nat,
                    "private_key": site.private_key,
                    "public_key": site.public_key,
                },
            )
        )
        if site.watchdog:  # a sub-table of the [[site]] just written
            tables.append(toml.table("[site.watchdog]", dict(site.watchdog)))
    pairs = sorted(pair_key(a.fqdn, b.fqdn) for a, b in mesh.pairs())
    for pair in pairs:
        tables.append(
            toml.table(
                "[[pair]]", {"sites": list(pair), "preshared_key": mesh.preshared_keys[pair]}
            )
        )
    return toml.document(HEADER, tables)
