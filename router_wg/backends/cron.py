"""The watchdog's cron entry, one per router under the fixed id `router-wg`.

FreshTomato: `cru a router-wg "<schedule> <command>"` (cru keeps it as `... #router-wg#`).
OpenWrt and plain Linux: a line ending in `# router-wg` in `crontabs/root` under the root
(OpenWrt's cron is then restarted through its init script). Lines without our id are never touched.
"""

from __future__ import annotations

import logging

from router_wg.backends.platform import FRESHTOMATO, OPENWRT
from router_wg.backends.runner import Runner
from router_wg.errors import CommandError
from router_wg.files import write_atomic
from router_wg.marks import CRON_ID
from router_wg.paths import Paths

log = logging.getLogger("router_wg")
FILE_MARK = f" # {CRON_ID}"
CRU_MARK = f" #{CRON_ID}#"
CRONTAB_MODE = 0o644  # root's crontab: cron reads it as root; nobody else may write it


class Cron:
    def __init__(self, platform: str, paths: Paths, runner: Runner):
        self.platform, self.paths, self.runner = platform, paths, runner

    @property
    def file(self):
        return self.paths.crontab

    def entries(self) -> tuple[str, ...]:
        """Our lines (schedule + command), id stripped."""
        if self.platform == FRESHTOMATO:
            text = self.runner.run(["cru", "l"], check=False).stdout
            mark = CRU_MARK
        else:
            text = self.file.read_text() if self.file.exists() else ""
            mark = FILE_MARK
        return tuple(line[: -len(mark)] for line in text.splitlines() if line.endswith(mark))

    def add(self, line: str) -> None:
        if self.platform == FRESHTOMATO:
            self.runner.run(["cru", "d", CRON_ID], check=False)
            self.runner.run(["cru", "a", CRON_ID, line])
        else:
            self._rewrite(new=line)

    def remove(self) -> None:
        if self.platform == FRESHTOMATO:
            self.runner.run(["cru", "d", CRON_ID])
        else:
            self._rewrite(new=None)

    def _rewrite(self, new: str | None) -> None:
        old = self.file.read_text().splitlines() if self.file.exists() else []
        lines = [x for x in old if not x.endswith(FILE_MARK)]
        if new is not None:
            lines.append(new + FILE_MARK)
        self.file.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(f"{x}\n" for x in lines)
        write_atomic(self.file, text, mode=CRONTAB_MODE, sync_folder=True)  # /etc: flash
        if self.platform == OPENWRT:
            try:
                self.runner.run([self.paths.cron_init_script, "restart"])
            except CommandError as exc:  # the line is written; cron reads it when it starts
                log.warning("warning: cron did not restart: %s", exc)
