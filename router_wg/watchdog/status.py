"""The watcher's own account of itself, for `show`: its pid, since when it runs (wall clock
for people, monotonic for arithmetic), and its last verdict on each peer that moved.

One small JSON file in the volatile state folder, rewritten (atomically) when the watcher
starts and at each verdict, never on a quiet second. Whether the watcher runs is not this
file's word but its lock's (backends.daemon.running).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from router_wg.files import write_atomic
from router_wg.paths import Paths
from router_wg.watchdog.health import Change


@dataclass(frozen=True)
class Verdict:
    withdrawn: bool
    at: float  # monotonic
    reason: str


@dataclass(frozen=True)
class WatcherStatus:
    pid: int
    started_wall: float  # time.time() at start (may be 1970 on a router before NTP)
    started: float  # monotonic
    conf_dir: str
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # peer -> its last move

    @classmethod
    def starting(cls, conf_dir: Path, now: float) -> WatcherStatus:
        return cls(os.getpid(), time.time(), now, str(conf_dir))

    def with_changes(self, changes: list[Change], now: float) -> WatcherStatus:
        verdicts = dict(self.verdicts)
        for change in changes:
            verdicts[change.peer] = Verdict(change.withdraw, now, change.reason)
        return replace(self, verdicts=verdicts)


def write_status(paths: Paths, status: WatcherStatus) -> None:
    paths.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(paths.watcher_status, json.dumps(asdict(status), indent=1) + "\n", mode=0o644)


def read_status(paths: Paths) -> WatcherStatus | None:
    """The last status written, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(Path(paths.watcher_status).read_text())
        verdicts = {name: Verdict(**v) for name, v in data.pop("verdicts").items()}
        return WatcherStatus(**data, verdicts=verdicts)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
