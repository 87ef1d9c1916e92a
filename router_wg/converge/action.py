"""What a plan is made of: actions that say what they do, do it, and undo it.

An action is plain frozen data with a one-line description (keys live only in fields kept
out of repr, and no description mentions them). `do` carries it out; `undo` puts back what
`do` changed, for a start that fails halfway. Actions whose `batch` is set go out together:
every action of one batch (by `Batch.key`) becomes one step, one transaction, at the place of
the first of them in the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from router_wg.converge.system import System


@dataclass(frozen=True)
class Batch:
    """How actions that share a transaction are applied: all of one key at once."""

    key: Callable[[Any], Hashable]
    do: Callable[[list, System], None]
    undo: Callable[[list, System], None]


@dataclass(frozen=True)
class Action:
    batch: ClassVar[Batch | None] = None

    def describe(self) -> str:
        raise NotImplementedError

    def do(self, system: System) -> None:
        raise NotImplementedError(f"{type(self).__name__} is applied in its batch")

    def undo(self, system: System) -> None:
        raise NotImplementedError(f"{type(self).__name__} is undone in its batch")


class StopOnly:
    """For actions only `stop` plans: stop never rolls back, so there is nothing to undo."""

    def undo(self, system: System) -> None:
        pass
