"""The processes running in a lab namespace, read as `ip netns pids` and /proc show them."""

from __future__ import annotations

import subprocess
from pathlib import Path


def processes(namespace) -> list[tuple[int, list[str]]]:
    """(pid, argv) of every process in `namespace` (a lab Namespace)."""
    listed = subprocess.run(
        ["ip", "netns", "pids", namespace.name], capture_output=True, text=True, check=False
    )
    found = []
    for pid in map(int, listed.stdout.split()):
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # ended meanwhile
        found.append((pid, [part.decode(errors="replace") for part in raw.split(b"\0") if part]))
    return found


def router_wg_processes(namespace) -> list[tuple[int, list[str]]]:
    """Those running router-wg (`python3 -m router_wg ...`)."""
    return [(pid, argv) for pid, argv in processes(namespace) if "router_wg" in argv]


def watchers(namespace) -> list[tuple[int, list[str]]]:
    """router-wg's resident watchers (`... router_wg ... watch ...`)."""
    return [(pid, argv) for pid, argv in router_wg_processes(namespace) if "watch" in argv]
