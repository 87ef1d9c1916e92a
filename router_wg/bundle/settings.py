"""Reading `wg.conf`, router-wg's own settings in a site's bundle, into a `Site`.

wg.conf is TOML written by makeconf (`router_wg.bundle.render`); its tables and fields are
declared in `router_wg.bundle.settings_schema`, and README.md's "wg.conf: reference" (rendered
from those declarations) lists them. Every value is checked before anything uses it, whatever
the file holds (a hand edit, a truncated copy, binary junk): each problem names the file, the
table and the field, and says what to do; nothing here raises anything but `ConfigError`.
Standard library only (the router's hot path).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from router_wg.bundle.settings_schema import BUNDLE, PEER, SITE, WATCHDOG, Table
from router_wg.bundle.site import (
    RECOPY,
    SITE_FILE,
    Peer,
    Site,
    Stamp,
    Watchdog,
    watchdog_conflict,
)
from router_wg.errors import ConfigError, Problem


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
    """Reads tables against their declarations, collecting every problem in one pass, so
    the user sees all of them at once. A value with a problem reads as None."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def contents(self, data: dict, table: Table) -> Any:
        """What the file holds under the table's name, of the table's kind (a list for
        [[name]]); None when that is left out or of another kind."""
        where, kind = table.header, list if table.many else dict
        if table.name not in data:
            if table.required:
                self.fail(where, f"field {table.name} is missing; {RECOPY}")
            return None
        found = data[table.name]
        if not isinstance(found, kind):
            self.fail(where, _not_kind(table.name, kind, found))
            return None
        return found

    def values(self, found: dict, table: Table, where: str) -> dict[str, Any]:
        """Each declared field's value: checked, its default when left out, None when wrong.
        One loop, no call per field: `check` runs this every minute."""
        values = {}
        for name, kind, _help, _example, check, default, required in table.options:
            if name not in found:
                if required:
                    self.fail(where, f"field {name} is missing; {RECOPY}")
                values[name] = default
                continue
            value = found[name]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
                self.fail(where, _not_kind(name, kind, value))
                value = None
            elif check is not None:
                try:
                    value = check(value)
                except (ValueError, TypeError) as exc:
                    self.fail(where, f"field {name}: {exc}")
                    value = None
            values[name] = value
        return values


def _not_kind(name: str, kind: type, value: Any) -> str:
    text = repr(value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    return f"field {name} must be a {kind.__name__}, not {shown}"


def _read_site(r: _Reader, data: dict) -> Site:
    stamp = _read_stamp(r, data)
    values = r.values(r.contents(data, SITE) or {}, SITE, SITE.header)  # {}: all missing
    address, prefix = values["tunnel_address"], values["tunnel_prefix"]
    if address is not None and prefix is not None and not 0 <= prefix <= address.max_prefixlen:
        r.fail(SITE.header, f"field tunnel_prefix: {prefix} is not a prefix length; {RECOPY}")
    return Site(**values, peers=_read_peers(r, data), watchdog=_read_watchdog(r, data), stamp=stamp)


def _read_stamp(r: _Reader, data: dict) -> Stamp | None:
    """None when there is no [bundle]: `start` refuses that, `check` does without."""
    found = r.contents(data, BUNDLE)
    if found is None:
        return None
    values = r.values(found, BUNDLE, BUNDLE.header)
    return None if None in values.values() else Stamp(**values)


def _read_watchdog(r: _Reader, data: dict) -> Watchdog:
    """The [watchdog] table: defaults for what is left out, every value within its limits."""
    values = r.values(r.contents(data, WATCHDOG) or {}, WATCHDOG, WATCHDOG.header)
    if None in values.values():  # reported above; the caller raises
        return Watchdog()
    watchdog = Watchdog(**values)
    conflict = watchdog_conflict(watchdog)
    if conflict:
        r.fail(WATCHDOG.header, f"field probe_timeout: {conflict}")
    return watchdog


def _read_peers(r: _Reader, data: dict) -> tuple[Peer, ...]:
    tables, header = r.contents(data, PEER) or [], PEER.header
    if not all(isinstance(table, dict) for table in tables):
        r.fail(header, f"must be tables written {header}; {RECOPY}")
        return ()
    peers = []
    for index, table in enumerate(tables):
        name = table.get("fqdn")
        where = f"{header} #{index + 1}" + (f" ({name})" if isinstance(name, str) else "")
        peers.append(Peer(**r.values(table, PEER, where)))
    return tuple(peers)
