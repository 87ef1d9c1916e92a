"""The cron resource's actions: add (or replace) our entry, remove it."""

from __future__ import annotations

from dataclasses import dataclass

from router_wg.converge.action import Action, StopOnly
from router_wg.converge.system import System


@dataclass(frozen=True)
class AddCron(Action):
    line: str
    replaces: tuple[str, ...] = ()  # our stale entries

    def describe(self) -> str:
        return f"register the watchdog in cron: {self.line}"

    def do(self, system: System) -> None:
        system.cron.add(self.line)

    def undo(self, system: System) -> None:
        """Our stale entry back if there was one (the first), else no entry."""
        if self.replaces:
            system.cron.add(self.replaces[0])
        else:
            system.cron.remove()


@dataclass(frozen=True)
class RemoveCron(StopOnly, Action):
    lines: tuple[str, ...]

    def describe(self) -> str:
        return "remove the watchdog's cron entry"

    def do(self, system: System) -> None:
        system.cron.remove()
