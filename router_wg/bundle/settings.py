"""Reading `wg.conf`, router-wg's own settings in a site's bundle, into a `Site`.

wg.conf is TOML written by makeconf (`router_wg.bundle.render`). Every value is checked
before anything uses it, whatever the file holds (a hand edit, a truncated copy, binary
junk): each problem names the file, the table and the field, and says what to do; nothing
here raises anything but `ConfigError`. Standard library only (the router's hot path).
Example:

    [bundle]
    serial = 4                          # the makeconf run; <interface>.conf carries it too
    fingerprint = "3f9a0c2e51d7b864"

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

    [watchdog]           # from mesh.toml's [watchdog]; bounds in WATCHDOG_LIMITS
    fall = 3
    rise = 2
    probe_timeout = 2.0
    hold_down = 120
    loop_interval = 3

    [[peer]]
    fqdn = "beta.example.net"
    public_key = "..."                  # not a secret; private keys live only in wg0.conf
    endpoint = "beta.example.net:51820" # optional: host:port, host may be a name
    tunnel_address = "192.168.100.2"    # what the watchdog probes
    lans = ["10.0.2.0/24"]              # the routes it withdraws and restores
    keepalive = 25                      # optional
"""

from __future__ import annotations

import re
import tomllib
from functools import partial
from pathlib import Path

from router_wg import fields
from router_wg.bundle.site import (
    SITE_FILE,
    WATCHDOG_LIMITS,
    Peer,
    Site,
    Stamp,
    Watchdog,
    check_watchdog_value,
    watchdog_conflict,
)
from router_wg.errors import ConfigError, Problem

FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")
RECOPY = "copy the site's bundle folder from makeconf's output again"


def read_text(path: Path) -> str:
    """A bundle file's text, or ConfigError naming the file and the fix."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [Problem(str(path), "file", f"not found; {RECOPY} (or pass it with --conf-dir)")]
        ) from None
    except OSError as exc:
        raise ConfigError(
            [Problem(str(path), "file", f"cannot be read ({exc.strerror}); {RECOPY}")]
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    "file",
                    f"is not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x}), so not a "
                    f"file makeconf wrote; {RECOPY}",
                )
            ]
        ) from None


def load_site(conf_dir: Path) -> Site:
    """Read `conf_dir/wg.conf`; raise `ConfigError` listing every problem found."""
    path = conf_dir / SITE_FILE
    text = read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(str(path), "syntax", f"{exc}; {RECOPY}")]) from None
    reader = _Reader(str(path))
    site = _read_site(reader, data)
    if reader.problems:
        raise ConfigError(reader.problems)
    return site


class _Reader:
    """Collects every problem in one pass, so the user sees all of them at once. Each
    getter returns a checked value, or the default after noting the problem."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def get(self, table: dict, key: str, kind: type, where: str, default=...):
        if key not in table:
            if default is ...:
                self.fail(where, f"field {key} is missing; {RECOPY}")
                return None
            return default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            self.fail(where, f"field {key} must be a {kind.__name__}, not {_shown(value)}")
            return None if default is ... else default
        return value

    def checked(self, table: dict, key: str, kind: type, check, where: str, default=...):
        """`get`, then the value's own check (router_wg.fields)."""
        value = self.get(table, key, kind, where, default)
        if value is None or value is default:
            return value
        try:
            return check(value)
        except (ValueError, TypeError) as exc:
            self.fail(where, f"field {key}: {exc}")
            return None

    def networks(self, table: dict, where: str) -> tuple:
        items = self.get(table, "lans", list, where) or []
        if not all(isinstance(item, str) for item in items):
            self.fail(where, f"field lans must be a list of networks as strings; {RECOPY}")
            return ()
        found = []
        for item in items:
            try:
                found.append(fields.network(item))
            except ValueError as exc:
                self.fail(where, f"field lans: {exc}")
        return tuple(found)

    def tables(self, data: dict, key: str, where: str) -> list[dict]:
        items = self.get(data, key, list, where, [])
        if not all(isinstance(item, dict) for item in items):
            self.fail(where, f"must be tables written {where}; {RECOPY}")
            return []
        return items


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _read_site(r: _Reader, data: dict) -> Site:
    w = "[site]"
    table = r.get(data, "site", dict, w) or {}
    address = r.checked(table, "tunnel_address", str, fields.address, w)
    prefix = r.get(table, "tunnel_prefix", int, w)
    if address is not None and prefix is not None and not 0 <= prefix <= address.max_prefixlen:
        r.fail(w, f"field tunnel_prefix: {prefix} is not a prefix length; {RECOPY}")
    fallback = r.checked(table, "fallback_network", str, fields.network, w, None)
    return Site(
        fqdn=r.checked(table, "fqdn", str, fields.host, w),
        interface=r.checked(table, "interface", str, fields.interface, w),
        tunnel_address=address,
        tunnel_prefix=prefix,
        listen_port=r.checked(table, "listen_port", int, fields.port, w),
        lans=r.networks(table, w),
        peers=tuple(_read_peer(r, i, p) for i, p in enumerate(r.tables(data, "peer", "[[peer]]"))),
        watchdog=_read_watchdog(r, r.get(data, "watchdog", dict, "[watchdog]", {})),
        mtu=r.checked(table, "mtu", int, fields.mtu, w, None),
        fallback_network=fallback,
        fallback_interface=r.checked(table, "fallback_interface", str, fields.interface, w, None),
        stamp=_read_stamp(r, data),
    )


def _read_stamp(r: _Reader, data: dict) -> Stamp | None:
    w = "[bundle]"
    table = r.get(data, "bundle", dict, w, None)
    if table is None:
        return None
    serial = r.get(table, "serial", int, w)
    fingerprint = r.get(table, "fingerprint", str, w)
    if serial is not None and serial < 1:
        r.fail(w, f"field serial: {serial} is not a serial (1 or more); {RECOPY}")
    if fingerprint is not None and not FINGERPRINT.match(fingerprint):
        r.fail(w, f"field fingerprint is not 16 hex digits; {RECOPY}")
    if serial is None or fingerprint is None:
        return None
    return Stamp(serial, fingerprint)


def _read_watchdog(r: _Reader, table: dict) -> Watchdog:
    """The [watchdog] table: defaults for what is left out, every value within its limits."""
    w = "[watchdog]"
    defaults = Watchdog()
    values = {}
    for name in WATCHDOG_LIMITS:
        default = getattr(defaults, name)
        values[name] = r.checked(
            table, name, type(default), partial(check_watchdog_value, name), w, default
        )
    if None in values.values():  # reported above; the caller raises
        return defaults
    watchdog = Watchdog(**values)
    conflict = watchdog_conflict(watchdog)
    if conflict:
        r.fail(w, f"field probe_timeout: {conflict}")
    return watchdog


def _read_peer(r: _Reader, index: int, table: dict) -> Peer:
    name = table.get("fqdn")
    w = f"[[peer]] #{index + 1}" + (f" ({name})" if isinstance(name, str) else "")
    return Peer(
        fqdn=r.checked(table, "fqdn", str, fields.host, w),
        public_key=r.checked(table, "public_key", str, fields.wireguard_key, w),
        tunnel_address=r.checked(table, "tunnel_address", str, fields.address, w),
        lans=r.networks(table, w),
        endpoint=r.checked(table, "endpoint", str, fields.endpoint, w, None),
        keepalive=r.checked(table, "keepalive", int, fields.keepalive, w, None),
    )
