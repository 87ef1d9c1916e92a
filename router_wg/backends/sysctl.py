"""rp_filter through /proc (never re-rooted: it belongs to this network namespace), and the
record of the values `start` replaced, so that `stop` can put them back (state dir: a reboot
resets both)."""

from __future__ import annotations

import json
from pathlib import Path

from router_wg.files import write_atomic
from router_wg.paths import Paths


def rp_filter_path(interface: str) -> Path:
    return Path("/proc/sys/net/ipv4/conf") / interface / "rp_filter"


def read_rp_filter(interface: str) -> int | None:
    try:
        return int(rp_filter_path(interface).read_text())
    except (OSError, ValueError):
        return None


def write_rp_filter(interface: str, value: int) -> None:
    rp_filter_path(interface).write_text(f"{value}\n")


def replaced(paths: Paths) -> dict[str, int]:
    """interface -> the rp_filter value it had before start changed it."""
    try:
        record = json.loads(paths.rp_filter_record.read_text())
    except (OSError, ValueError):
        return {}  # none, or unreadable: nothing to put back
    if not isinstance(record, dict):
        return {}
    return {k: v for k, v in record.items() if isinstance(v, int) and not isinstance(v, bool)}


def remember_replaced(paths: Paths, interface: str, value: int) -> None:
    """Keep the first value seen: a later start replaces only what it set itself."""
    record = replaced(paths)
    if interface not in record:
        _write_record(paths, {**record, interface: value})


def forget_replaced(paths: Paths, interface: str) -> None:
    record = replaced(paths)
    if record.pop(interface, None) is not None:
        _write_record(paths, record)


def _write_record(paths: Paths, record: dict[str, int]) -> None:
    path = paths.rp_filter_record
    if not record:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(record, sort_keys=True) + "\n", mode=0o644)
