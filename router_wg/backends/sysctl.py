"""rp_filter through /proc (never re-rooted: it belongs to this network namespace)."""

from __future__ import annotations

from pathlib import Path


def rp_filter_path(interface: str) -> Path:
    return Path("/proc/sys/net/ipv4/conf") / interface / "rp_filter"


def read_rp_filter(interface: str) -> int | None:
    try:
        return int(rp_filter_path(interface).read_text())
    except (OSError, ValueError):
        return None


def write_rp_filter(interface: str, value: int) -> None:
    rp_filter_path(interface).write_text(f"{value}\n")
