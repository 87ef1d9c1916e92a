"""The fields of the mesh file, declared once: type, help, example, default and check.

The loader validates a file against these, the wizard asks its questions from them (the help
is the question, the example the hint) and `makeconf --help` points at them. Standard library
only.
"""

from __future__ import annotations

from router_wg import fields
from router_wg.bundle import settings_schema
from router_wg.options import Option

MESH_OPTIONS: tuple[Option, ...] = (
    Option(
        "interface",
        str,
        "WireGuard interface name on every router",
        '"wg0"',
        fields.interface,
        default="wg0",
    ),
    Option(
        "listen_port",
        int,
        "default UDP port every router listens on",
        "51820",
        fields.port,
        default=51820,
    ),
    Option(
        "tunnel_network",
        str,
        "network for the routers' own tunnel addresses",
        '"192.168.100.0/24"',
        fields.network,
        required=True,
    ),
    Option(
        "fallback_network",
        str,
        "wide route the fallback VPN (tinc) carries; every LAN must lie inside it",
        '"10.0.0.0/16"',
        fields.network,
    ),
    Option(
        "fallback_interface",
        str,
        "interface that carries the fallback route",
        '"tinc"',
        fields.interface,
    ),
    Option(
        "keepalive",
        int,
        "seconds between keepalives on links from a site behind NAT",
        "25",
        fields.keepalive,
        default=25,
    ),
    Option("mtu", int, "MTU of the WireGuard interface", "1420", fields.mtu),
)

SITE_OPTIONS: tuple[Option, ...] = (
    Option(
        "fqdn",
        str,
        "the site's name (also the name of its bundle folder)",
        '"alpha.example.net"',
        fields.host,
        required=True,
    ),
    Option(
        "endpoint",
        str,
        "host name or IP the other routers dial; leave out for a site nobody can dial (behind NAT)",
        '"alpha.example.net"',
        fields.host,
    ),
    Option(
        "listen_port", int, "UDP port of this site, if not [mesh].listen_port", "51821", fields.port
    ),
    Option(
        "tunnel_address",
        str,
        "this router's address in tunnel_network (assigned in order when left out)",
        '"192.168.100.1"',
        fields.address,
    ),
    Option(
        "lans", list, "networks behind this router", '["10.0.1.0/24"]', fields.lans, required=True
    ),
    Option(
        "nat",
        bool,
        "true when the site is behind NAT and must keep its tunnels alive",
        "false",
        default=False,
    ),
)


# [watchdog] (every router) and [site.watchdog] (one router, after its [[site]] lines): wg.conf's
# own [watchdog] fields, so mesh.toml accepts exactly what `check` accepts in wg.conf. No
# default here: a mesh file keeps only the values it sets, and wg.conf gets the watchdog's
# default for the rest.
WATCHDOG_OPTIONS: tuple[Option, ...] = tuple(
    option._replace(default=None) for option in settings_schema.WATCHDOG.options
)


def _record_key(value: str) -> str:
    """A key in the record: a broken one is made anew once removed."""
    try:
        return fields.wireguard_key(value)
    except ValueError as exc:
        raise ValueError(f"{exc}; remove it and makeconf makes a new one") from None


# Written by makeconf into the record (OUT/mesh.toml), never asked for.
SITE_KEY_OPTIONS: tuple[Option, ...] = (
    Option(
        "private_key",
        str,
        "the site's WireGuard private key (secret)",
        "(wg genkey)",
        _record_key,
    ),
    Option("public_key", str, "the site's WireGuard public key", "(wg pubkey)", _record_key),
)


def _serial(value: int) -> int:
    if value < 1:
        raise ValueError(f"{value} is not a serial; makeconf writes 1 or more (or remove it)")
    return value


# Written by makeconf into the record's [mesh] table, never asked for.
MESH_RECORD_OPTIONS: tuple[Option, ...] = (
    Option(
        "serial",
        int,
        "the version of the mesh makeconf wrote last; it grows whenever the bundles change",
        "3",
        _serial,
    ),
)

PAIR_OPTIONS: tuple[Option, ...] = (
    Option(
        "sites",
        list,
        "the two sites' fqdns, sorted",
        '["a.example.net", "b.example.net"]',
        required=True,
    ),
    Option(
        "preshared_key",
        str,
        "the pair's preshared key (secret)",
        "(wg genpsk)",
        _record_key,
        required=True,
    ),
)


def by_name(options: tuple[Option, ...]) -> dict[str, Option]:
    return {option.name: option for option in options}
