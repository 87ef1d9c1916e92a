"""A site's bundle as plain data: `Site` (with its `Peer`s and `Watchdog` thresholds) is
what wg.conf says, and `Stamp` is the makeconf run both files of the bundle come from.

Standard library only: start, stop and the cron watchdog read this on the router.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import NamedTuple

SITE_FILE = "wg.conf"
RECOPY = "copy the site's bundle folder from makeconf's output again"  # the fix of any bad bundle


@dataclass(frozen=True)
class Watchdog:
    mode: str = "resident"
    probe_interval: float = 0.5
    lost_probes: int = 15
    answered_probes: int = 4
    hold_down: int = 15
    fall: int = 3
    rise: int = 2
    probe_timeout: float = 2.0
    loop_interval: int = 3


# "resident": a watcher process judges every peer continuously (router_wg.watchdog.watcher);
# "cron": the one-minute cron tick alone, for routers that must keep no resident process.
WATCHDOG_MODES = ("resident", "cron")
MODE_HELP = (
    "resident: a watcher process judges every peer continuously, failover in about 2 s; "
    "cron: the one-minute cron tick alone, no resident process, failover in minutes"
)


class Limit(NamedTuple):  # not a dataclass: cheaper to define on the hot path (see Option)
    low: float
    high: float
    unit: str
    help: str  # what the field means, in every reference and in `makeconf --help`


# What the watchdog accepts, in wg.conf and in mesh.toml alike: both declare their [watchdog]
# fields from these (router_wg.bundle.settings_schema), so makeconf never writes a wg.conf
# that `check` would refuse. A cron tick must end well inside its minute: probe_timeout <= 10 s.
# The watcher's probe_interval: 0.1 s at the fastest (lost probes then go out 20 times as
# often), at most 10 s; lost_probes at least 3, or a lossy link flaps.
WATCHDOG_LIMITS = {
    "probe_interval": Limit(
        0.1,
        10,
        "seconds",
        "resident: seconds between probes of a peer that answers (20 a second once one is lost)",
    ),
    "lost_probes": Limit(
        3, 100, "probes", "resident: probes lost in a row before a peer's LANs move to the fallback"
    ),
    "answered_probes": Limit(
        1, 100, "probes", "resident: probes answered in a row before they come back to WireGuard"
    ),
    "hold_down": Limit(
        0,
        3600,
        "seconds, 0 for none",
        "seconds a withdrawn peer stays on the fallback at least; doubles while it flaps (to 8x)",
    ),
    "fall": Limit(
        1,
        20,
        "failed ticks",
        "cron: failed ticks in a row before a peer's LANs move to the fallback",
    ),
    "rise": Limit(
        1, 20, "good ticks", "cron: good ticks in a row before they come back to WireGuard"
    ),
    "probe_timeout": Limit(
        0.5, 10, "seconds", "cron: seconds a tick waits for probe answers, all peers at once"
    ),
    "loop_interval": Limit(1, 60, "seconds", "seconds between ticks of `router-wg check --loop`"),
}


def check_mode(value: str) -> str:
    if value not in WATCHDOG_MODES:
        raise ValueError(f'{value!r} is not a mode; use "resident" (the default) or "cron"')
    return value


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
class Stamp:
    """Which makeconf run wrote a bundle: the mesh record's serial (it grows whenever the
    mesh changes) and the fingerprint of that version of the mesh. Both files of a bundle
    carry it, so a wg.conf and a wg0.conf from different runs are told apart."""

    serial: int
    fingerprint: str  # 16 hex digits

    def __str__(self) -> str:
        return f"serial {self.serial}, fingerprint {self.fingerprint}"


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
    stamp: Stamp | None = None  # None: a wg.conf from before stamps (start refuses it)

    @property
    def wireguard_file(self) -> str:
        """The name of the WireGuard configuration beside wg.conf."""
        return f"{self.interface}.conf"
