"""A site's own settings, `wg.conf` in its bundle: what start, stop and the watchdog read.

`wg.conf` is TOML written by makeconf. Everything here is standard library only, because
this is on the router's hot path (the cron watchdog). Example:

    [site]
    fqdn = "alpha.example.net"
    interface = "wg0"
    tunnel_address = "192.168.100.1"
    tunnel_prefix = 24
    listen_port = 51820
    lans = ["10.0.1.0/24"]
    mtu = 1420                          # optional
    fallback_network = "10.0.0.0/16"    # optional
    fallback_interface = "tinc"         # optional

    [watchdog]           # set from mesh.toml's [watchdog]; bounds in WATCHDOG_LIMITS
    fall = 3             # failed ticks before a peer's LAN routes are withdrawn
    rise = 2             # good ticks before they are restored
    probe_timeout = 2.0  # seconds to wait for probe answers, all peers at once
    hold_down = 120      # seconds; minimum time between two route changes of one peer
    loop_interval = 3    # seconds between ticks in loop mode (failover within 15 s)

    [[peer]]
    fqdn = "beta.example.net"
    public_key = "..."                  # not a secret; private keys live only in wg0.conf
    endpoint = "beta.example.net:51820" # optional: host:port, host may be a name
    tunnel_address = "192.168.100.2"    # what the watchdog probes
    lans = ["10.0.2.0/24"]              # the routes it withdraws and restores
    keepalive = 25                      # optional
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from router_wg.errors import ConfigError, Problem

SITE_FILE = "wg.conf"


@dataclass(frozen=True)
class Watchdog:
    fall: int = 3
    rise: int = 2
    probe_timeout: float = 2.0
    hold_down: int = 120
    loop_interval: int = 3


@dataclass(frozen=True)
class Limit:
    low: float
    high: float
    unit: str


# What the watchdog accepts, in wg.conf and in mesh.toml alike: the mesh model checks its
# [watchdog] tables with these same limits, so makeconf never writes a wg.conf that
# `check` would refuse. A cron tick must end well inside its minute: probe_timeout <= 10 s.
WATCHDOG_LIMITS = {
    "fall": Limit(1, 20, "failed ticks"),
    "rise": Limit(1, 20, "good ticks"),
    "probe_timeout": Limit(0.5, 10, "seconds"),
    "hold_down": Limit(0, 3600, "seconds, 0 for none"),
    "loop_interval": Limit(1, 60, "seconds"),
}


def check_watchdog_value(name: str, value: float) -> float:
    """One [watchdog] value within its limits, or ValueError saying what to use instead."""
    limit = WATCHDOG_LIMITS[name]
    if not limit.low <= value <= limit.high:
        raise ValueError(
            f"{value} is out of range; use {limit.low} to {limit.high} {limit.unit} "
            f"(default {getattr(Watchdog(), name)})"
        )
    return value


def watchdog_conflict(watchdog: Watchdog) -> str | None:
    """Why these values do not work together, or None. Loop mode waits for the probes
    inside every tick, so a probe wait longer than the interval would stretch each tick."""
    if watchdog.probe_timeout > watchdog.loop_interval:
        return (
            f"probe_timeout {watchdog.probe_timeout} s is longer than loop_interval "
            f"{watchdog.loop_interval} s; shorten probe_timeout or lengthen loop_interval"
        )
    return None


@dataclass(frozen=True)
class Peer:
    fqdn: str
    public_key: str
    tunnel_address: ipaddress.IPv4Address | ipaddress.IPv6Address
    lans: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    endpoint: str | None = None  # "host:port" or "[v6]:port"
    keepalive: int | None = None


@dataclass(frozen=True)
class Site:
    fqdn: str
    interface: str
    tunnel_address: ipaddress.IPv4Address | ipaddress.IPv6Address
    tunnel_prefix: int
    listen_port: int
    lans: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    peers: tuple[Peer, ...]
    watchdog: Watchdog = Watchdog()
    mtu: int | None = None
    fallback_network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    fallback_interface: str | None = None

    @property
    def wireguard_file(self) -> str:
        """The name of the WireGuard configuration beside wg.conf."""
        return f"{self.interface}.conf"


class _Reader:
    """Collects every problem in one pass, so the user sees all of them at once."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def get(self, table: dict, key: str, kind: type, where: str, default=...):
        if key not in table:
            if default is ...:
                self.fail(
                    where, f"field {key} is missing; re-run makeconf to regenerate the bundle"
                )
            return None if default is ... else default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(where, f"field {key} must be a {kind.__name__}, not {value!r}")
            return None if default is ... else default
        return value

    def parse(self, parse, text, where: str, field: str):
        try:
            return parse(text)
        except (ValueError, TypeError) as exc:
            self.fail(where, f"field {field}: {exc}")
            return None


def load_site(conf_dir: Path) -> Site:
    """Read `conf_dir/wg.conf`; raise `ConfigError` listing every problem found."""
    path = conf_dir / SITE_FILE
    reader = _Reader(str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    "file",
                    "not found; pass the site's bundle folder with --conf-dir (makeconf writes it)",
                )
            ]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(str(path), "syntax", f"{exc}; re-run makeconf")]) from None
    site = _read_site(reader, data)
    if reader.problems:
        raise ConfigError(reader.problems)
    return site  # type: ignore[return-value]


def _read_site(r: _Reader, data: dict) -> Site | None:
    table = r.get(data, "site", dict, "[site]") or {}
    w = "[site]"
    lans = tuple(
        r.parse(ipaddress.ip_network, x, w, "lans") for x in r.get(table, "lans", list, w) or []
    )
    fallback = r.get(table, "fallback_network", str, w, None)
    watchdog = _read_watchdog(r, r.get(data, "watchdog", dict, "[watchdog]", {}))
    peers = tuple(
        _read_peer(r, i, p) for i, p in enumerate(r.get(data, "peer", list, "[[peer]]", []))
    )
    address = r.get(table, "tunnel_address", str, w)
    site = Site(
        fqdn=r.get(table, "fqdn", str, w),
        interface=r.get(table, "interface", str, w),
        tunnel_address=r.parse(ipaddress.ip_address, address, w, "tunnel_address"),
        tunnel_prefix=r.get(table, "tunnel_prefix", int, w),
        listen_port=r.get(table, "listen_port", int, w),
        lans=lans,
        peers=peers,
        watchdog=watchdog,
        mtu=r.get(table, "mtu", int, w, None),
        fallback_network=r.parse(ipaddress.ip_network, fallback, w, "fallback_network")
        if fallback
        else None,
        fallback_interface=r.get(table, "fallback_interface", str, w, None),
    )
    return site


def _read_watchdog(r: _Reader, table: dict) -> Watchdog:
    """The [watchdog] table: defaults for what is left out, every value within its limits."""
    defaults = Watchdog()
    values = {}
    for name in WATCHDOG_LIMITS:
        default = getattr(defaults, name)
        value = r.get(table, name, type(default), "[watchdog]", default)
        values[name] = r.parse(partial(check_watchdog_value, name), value, "[watchdog]", name)
    if None in values.values():  # reported above; the caller raises
        return defaults
    watchdog = Watchdog(**values)
    conflict = watchdog_conflict(watchdog)
    if conflict:
        r.fail("[watchdog]", f"field probe_timeout: {conflict}")
    return watchdog


def _read_peer(r: _Reader, index: int, table: dict) -> Peer:
    w = f"[[peer]] #{index + 1} ({table.get('fqdn', '?')})"
    address = r.get(table, "tunnel_address", str, w)
    return Peer(
        fqdn=r.get(table, "fqdn", str, w),
        public_key=r.get(table, "public_key", str, w),
        tunnel_address=r.parse(ipaddress.ip_address, address, w, "tunnel_address"),
        lans=tuple(
            r.parse(ipaddress.ip_network, x, w, "lans") for x in r.get(table, "lans", list, w) or []
        ),
        endpoint=r.get(table, "endpoint", str, w, None),
        keepalive=r.get(table, "keepalive", int, w, None),
    )
