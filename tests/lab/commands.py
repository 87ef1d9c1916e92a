"""Running commands for the lab: print each one first, fail loudly.

Every command is printed as `<where>$ argv` before it runs (like netns.sh's `n1 wg ...`), so
`pytest -s` and a failing test's captured output show exactly what the lab did and where.
Standard input (`input=`) is never printed: that is where key material travels.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence


class CommandFailed(subprocess.CalledProcessError):
    """A lab command exited non-zero; says where it ran, what it was and what it printed."""

    def __init__(self, where: str, argv: list[str], done: subprocess.CompletedProcess[str]):
        super().__init__(done.returncode, argv, done.stdout, done.stderr)
        self.where = where

    def __str__(self) -> str:
        said = (self.stderr or "").strip() or (self.stdout or "").strip() or "(no output)"
        return f"{self.where}$ {shlex.join(self.cmd)}: exit {self.returncode}: {said}"


def say(where: str, argv: Sequence[str]) -> None:
    print(f"{where}$ {shlex.join(argv)}", flush=True)


def run(
    where: str,
    argv: Sequence[str],
    *,
    actual: Sequence[str] | None = None,
    input: str | None = None,
    check: bool = True,
    timeout: float = 30,
) -> subprocess.CompletedProcess[str]:
    """Print `argv`, run `actual` (argv wrapped for a namespace) or argv itself.

    The result carries `argv` as its args, so failures read like the command a person would
    type inside the namespace, not like the wrapper around it.
    """
    argv = [str(a) for a in argv]
    say(where, argv)
    done = subprocess.run(
        [str(a) for a in actual] if actual is not None else argv,
        input="" if input is None else input,  # never inherit the terminal: nothing may prompt
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    result = subprocess.CompletedProcess(argv, done.returncode, done.stdout, done.stderr)
    if check and done.returncode != 0:
        raise CommandFailed(where, argv, result)
    return result
