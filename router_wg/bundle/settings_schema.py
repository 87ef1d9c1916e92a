"""wg.conf's tables and fields, declared once: the reader (router_wg.bundle.settings) loops
over these, README.md's "wg.conf: reference" is rendered from them
(router_wg.bundle.settings_reference), and tests/unit/test_settings_schema.py holds the
template that writes wg.conf (templates/wg.conf.j2) to them. Standard library only: the
router's hot path imports it.

Each field's name is the name of the `Site`, `Peer`, `Watchdog` or `Stamp` attribute it fills.
"""

from __future__ import annotations

from functools import partial

from router_wg import fields
from router_wg.bundle.site import (
    MODE_HELP,
    RECOPY,
    WATCHDOG_LIMITS,
    Watchdog,
    check_mode,
    check_watchdog_value,
)
from router_wg.options import Option

HEX_DIGITS = frozenset("0123456789abcdef")


class Table:
    """A table of wg.conf and its fields. A plain class: `check` defines it every minute, and
    a NamedTuple or dataclass costs twenty times more to define."""

    __slots__ = ("name", "help", "required", "many", "options", "header")

    def __init__(
        self,
        name: str,
        help: str,
        *,
        required: bool = False,
        many: bool = False,  # an array of tables, [[name]]
        options: tuple[Option, ...],
    ):
        self.name, self.help, self.required, self.many = name, help, required, many
        self.options = options
        self.header = f"[[{name}]]" if many else f"[{name}]"


def _serial(value: int) -> int:
    if value < 1:
        raise ValueError(f"{value} is not a serial (1 or more); {RECOPY}")
    return value


def _fingerprint(value: str) -> str:
    if len(value) != 16 or not HEX_DIGITS.issuperset(value):
        raise ValueError(f"is not 16 hex digits; {RECOPY}")
    return value


def _watchdog_option(name: str) -> Option:
    """Type, default, limits and meaning are the watchdog's own (router_wg.bundle.site)."""
    default = getattr(Watchdog(), name)
    check = partial(check_watchdog_value, name)
    return Option(name, type(default), WATCHDOG_LIMITS[name].help, str(default), check, default)


BUNDLE = Table(
    "bundle",
    "which makeconf run wrote the bundle; `start` and `plan` refuse a wg.conf without it "
    "(from a makeconf older than serials)",
    options=(
        Option(
            "serial",
            int,
            "the mesh record's serial (it grows whenever the mesh changes); the first line of "
            "`<interface>.conf` names the same",
            "4",
            _serial,
            required=True,
        ),
        Option(
            "fingerprint",
            str,
            "a hash of that version of the mesh record (it reveals no key), 16 hex digits",
            '"3f9a0c2e51d7b864"',
            _fingerprint,
            required=True,
        ),
    ),
)

SITE = Table(
    "site",
    "this router",
    required=True,
    options=(
        Option(
            "fqdn",
            str,
            "this site's name, also its bundle folder's name in makeconf's output",
            '"alpha.example.net"',
            fields.host,
            required=True,
        ),
        Option(
            "interface",
            str,
            "the WireGuard interface router-wg creates and owns",
            '"wg0"',
            fields.interface,
            required=True,
        ),
        Option(
            "tunnel_address",
            str,
            "this router's address in the tunnel network",
            '"192.168.100.1"',
            fields.address,
            required=True,
        ),
        Option(
            "tunnel_prefix",
            int,
            "the tunnel network's prefix length (at most 32 for IPv4, 128 for IPv6)",
            "24",
            required=True,
        ),
        Option(
            "listen_port",
            int,
            "the UDP port WireGuard listens on",
            "51820",
            fields.port,
            required=True,
        ),
        Option(
            "lans",
            list,
            "the networks behind this router",
            '["10.0.1.0/24"]',
            fields.lans,
            required=True,
        ),
        Option("mtu", int, "MTU of the WireGuard interface", "1420", fields.mtu),
        Option(
            "fallback_network",
            str,
            "the wide route tinc carries for every site",
            '"10.0.0.0/16"',
            fields.network,
        ),
        Option(
            "fallback_interface",
            str,
            "the interface that carries it (`start` sets loose rp_filter on it)",
            '"tinc"',
            fields.interface,
        ),
    ),
)

WATCHDOG = Table(
    "watchdog",
    "the watchdog's thresholds, from mesh.toml's [watchdog] and the site's [site.watchdog]; "
    "a field left out (or the whole table) gets its default",
    options=(
        Option("mode", str, MODE_HELP, '"resident"', check_mode, Watchdog().mode),
        *(_watchdog_option(name) for name in WATCHDOG_LIMITS),
    ),
)

PEER = Table(
    "peer",
    "one table per other site, in the order of mesh.toml",
    many=True,
    options=(
        Option("fqdn", str, "the peer's name", '"beta.example.net"', fields.host, required=True),
        Option(
            "public_key",
            str,
            "its WireGuard public key (no secret: private keys are only in `<interface>.conf`)",
            '"x4uJw7uaGWbDCBRvaVm2CWtvfAMGd7yNAVYkPJt8XGE="',
            fields.wireguard_key,
            required=True,
        ),
        Option(
            "endpoint",
            str,
            "where this router dials it, host:port (a name is looked up again and again); left "
            "out when nobody can dial it (behind NAT)",
            '"beta.example.net:51820"',
            fields.endpoint,
        ),
        Option(
            "tunnel_address",
            str,
            "its address in the tunnel network: what the watchdog probes",
            '"192.168.100.2"',
            fields.address,
            required=True,
        ),
        Option(
            "lans",
            list,
            "its networks: the routes the watchdog withdraws and restores",
            '["10.0.2.0/24"]',
            fields.lans,
            required=True,
        ),
        Option(
            "keepalive",
            int,
            "seconds between keepalives to it (a link with a site behind NAT)",
            "25",
            fields.keepalive,
        ),
    ),
)

TABLES = (BUNDLE, SITE, WATCHDOG, PEER)  # in the order makeconf writes them
