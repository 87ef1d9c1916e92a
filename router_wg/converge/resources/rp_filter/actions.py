"""The rp_filter resource's actions: set the value (remembering the one it replaced) and,
at stop, put back what start replaced."""

from __future__ import annotations

from dataclasses import dataclass

from router_wg.backends import sysctl
from router_wg.converge.action import Action, StopOnly
from router_wg.converge.system import System


@dataclass(frozen=True)
class SetRpFilter(Action):
    interface: str
    value: int
    previous: int | None

    def describe(self) -> str:
        return f"set rp_filter={self.value} on {self.interface}"

    def do(self, system: System) -> None:
        if self.previous is not None:
            sysctl.remember_replaced(system.paths, self.interface, self.previous)
        sysctl.write_rp_filter(self.interface, self.value)

    def undo(self, system: System) -> None:
        """The previous value back; ours on an interface this run created has none."""
        if self.previous is not None:
            sysctl.write_rp_filter(self.interface, self.previous)


@dataclass(frozen=True)
class RestoreRpFilter(StopOnly, Action):
    """Put back the value start replaced on an interface that outlives us (the fallback's),
    where it still has ours."""

    interface: str
    value: int
    ours: int  # the value start set; another one now is someone's choice, and stays

    def describe(self) -> str:
        return f"restore rp_filter={self.value} on {self.interface}"

    def do(self, system: System) -> None:
        # only where it still has our value: a change made since then is someone's choice
        if sysctl.read_rp_filter(self.interface) == self.ours:
            sysctl.write_rp_filter(self.interface, self.value)
        sysctl.forget_replaced(system.paths, self.interface)
