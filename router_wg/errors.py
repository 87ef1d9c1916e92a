"""Errors meant for people: each says where the problem is and what to do about it.

The CLI turns any `UserError` into its message on stderr and an exit code; nothing else
reaches the user as a traceback unless `-v` asks for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXIT_OK = 0
EXIT_FAILURE = 1  # something went wrong while acting (a command failed, a lock timed out)
EXIT_USAGE = 2  # the command line was wrong
EXIT_CONFIG = 3  # a configuration file is invalid; nothing was changed


class UserError(Exception):
    """A failure the user can fix; `str()` is the whole message."""

    exit_code = EXIT_FAILURE


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a configuration file."""

    file: str
    where: str  # "site alpha.example.net, field lans" or "line 4"
    message: str  # what is wrong and how to fix it

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}"


class ConfigError(UserError):
    """A configuration file has one or more problems; printed one line per problem."""

    exit_code = EXIT_CONFIG

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# What a WireGuard key looks like (44 characters of base64), and what `wg` quotes back when
# it refuses one ("Key is not the correct length or format: `...'"): neither may reach a
# message or a log, whatever the key was.
_KEY_LIKE = re.compile(r"[A-Za-z0-9+/]{42,43}=")
_QUOTED_KEY = re.compile(r"(?i)(key[^`\n]*`)[^'\n]*(')")


def hide_keys(text: str) -> str:
    return _QUOTED_KEY.sub(r"\1(hidden)\2", _KEY_LIKE.sub("(key hidden)", text))


class CommandError(UserError):
    """An external command failed. Carries argv, exit code and stderr (never stdin), with
    anything that looks like a key hidden."""

    def __init__(self, argv: list[str], returncode: int, stderr: str):
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = hide_keys(stderr.strip())
        detail = f": {self.stderr}" if self.stderr else ""
        super().__init__(f"command failed (exit {returncode}): {' '.join(argv)}{detail}")
