"""The one place that runs external commands.

Every command is logged as `[#] argv` before it runs, never goes through a shell, and
fails with a `CommandError` carrying argv, exit code and stderr. Secrets travel on
stdin (`secret_input=`), which is never logged.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

from router_wg.errors import CommandError

log = logging.getLogger("router_wg")


@dataclass
class Runner:
    dry_run: bool = False
    spawned: int = field(default=0, init=False)  # processes started, for the benchmarks

    def run(
        self,
        argv: Sequence[str],
        *,
        secret_input: str | None = None,
        check: bool = True,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        argv = [str(a) for a in argv]
        log.info("[#] %s", " ".join(argv))
        if self.dry_run:
            return subprocess.CompletedProcess(argv, 0, "", "")
        self.spawned += 1
        try:
            done = subprocess.run(
                argv,
                input=secret_input if secret_input is not None else "",
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise CommandError(argv, 127, f"{argv[0]}: not found") from exc
        except subprocess.TimeoutExpired as exc:
            raise CommandError(argv, -1, f"timed out after {timeout:g} s") from exc
        if check and done.returncode != 0:
            raise CommandError(argv, done.returncode, done.stderr)
        return done
