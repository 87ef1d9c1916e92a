"""The watchdog's memory between ticks: one small JSON file in a volatile folder.

It holds each peer's health (including whether its routes are withdrawn, which `start`
honours too). It is tied to the boot it was written in: monotonic times mean nothing
after a reboot. A missing, unreadable or corrupt file is not an error: the watchdog starts
from what the kernel shows (a peer whose LAN routes are absent is withdrawn) and says so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from router_wg.files import write_atomic
from router_wg.watchdog.health import PeerHealth

log = logging.getLogger("router_wg")
FORMAT_VERSION = 1


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def load_state(path: Path) -> dict[str, PeerHealth] | None:
    """Each peer's health, or None when there is no usable state for this boot."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != FORMAT_VERSION or data.get("boot_id") != boot_id():
            return None
        return {name: _peer(fields) for name, fields in data["peers"].items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning(
            "watchdog state %s is unreadable (%s); rebuilding it from the kernel", path, exc
        )
        return None


def _peer(fields: dict) -> PeerHealth:
    health = PeerHealth(
        withdrawn=bool(fields["withdrawn"]),
        streak=int(fields["streak"]),
        changed_at=None if fields["changed_at"] is None else float(fields["changed_at"]),
        hold_down=None if fields["hold_down"] is None else float(fields["hold_down"]),
        answered=bool(fields.get("answered", True)),  # a state from before: it had answered
    )
    if health.streak < 0:
        raise ValueError(f"negative streak {health.streak}")
    return health


def save_state(path: Path, peers: dict[str, PeerHealth]) -> None:
    """Write atomically: a tick killed mid-write leaves the previous file whole. The temp
    name is fixed (writers hold the lock), so a killed write leaves no litter behind:
    the next save replaces it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": FORMAT_VERSION,
        "boot_id": boot_id(),
        "peers": {name: asdict(health) for name, health in sorted(peers.items())},
    }
    write_atomic(path, json.dumps(data, indent=1), mode=0o644, unique_temporary=False)


def withdrawn_peers(path: Path) -> frozenset[str]:
    """The peers whose LAN routes must stay withdrawn (what `start` reads)."""
    peers = load_state(path) or {}
    return frozenset(name for name, health in peers.items() if health.withdrawn)
