"""The watchdog's cron entry, one per router under the id `router-wg` (cru on FreshTomato,
root's crontab elsewhere: backends.cron)."""

from __future__ import annotations

from dataclasses import dataclass

from router_wg.converge.action import Action, StopOnly
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.system import System


def wanted(inputs: Inputs) -> str:
    return inputs.cron_line


def observe(system: System, inputs: Inputs, wanted: str | None) -> tuple[str, ...]:
    """Our entries (schedule + command), id stripped."""
    return system.cron.entries()


def changes(wanted: str | None, observed: tuple[str, ...]) -> list[Action]:
    if wanted is None:
        return [RemoveCron(observed)] if observed else []
    return [] if observed == (wanted,) else [AddCron(wanted, observed)]


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


CRON = Resource("cron", wanted, observe, changes)
