"""The applier: carries out a plan, announcing each action before doing it.

`apply_start` stops at the first failure and undoes what this run did, in reverse, then
raises. `apply_stop` keeps going past failures and returns them. Batched actions (one
firewall transaction per family, fw4's one nft transaction) go out as one step at the place
of their batch's first action.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from router_wg.converge.action import Action, Batch
from router_wg.converge.system import System
from router_wg.errors import UserError

Say = Callable[[str], None]


@dataclass
class Step:
    """One thing the applier does: one action, or the actions of one batch."""

    batch: Batch | None
    actions: list[Action]

    def announce(self, say: Say) -> None:
        for x in self.actions:
            say(x.describe())

    def do(self, system: System) -> None:
        if self.batch is None:
            self.actions[0].do(system)
        else:
            self.batch.do(self.actions, system)

    def undo(self, system: System) -> None:
        if self.batch is None:
            self.actions[0].undo(system)
        else:
            self.batch.undo(self.actions, system)


def steps(plan: list[Action]) -> list[Step]:
    """The plan as steps: an action of a batch joins the others of its batch and key, in
    the step at the place of the first of them."""
    out: list[Step] = []
    batches: dict[tuple[int, Hashable], Step] = {}
    for x in plan:
        if x.batch is None:
            out.append(Step(None, [x]))
            continue
        key = (id(x.batch), x.batch.key(x))
        if key not in batches:
            batches[key] = Step(x.batch, [])
            out.append(batches[key])
        batches[key].actions.append(x)
    return out


def apply_start(plan: list[Action], system: System, say: Say) -> None:
    todo, done = steps(plan), []
    try:
        for step in todo:
            step.announce(say)
            step.do(system)
            done.append(step)
    except Exception as exc:
        reason = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        if done:
            say(f"failed: {reason}; rolling back what this run changed")
            for step in reversed(done):
                try:
                    step.undo(system)
                except Exception as undo_exc:  # keep undoing the rest
                    say(f"rollback step failed: {undo_exc}")
        raise UserError(f"start failed: {reason}") from exc


def apply_stop(plan: list[Action], system: System, say: Say) -> list[str]:
    failures = []
    for step in steps(plan):
        step.announce(say)
        try:
            step.do(system)
        except Exception as exc:
            failures.append(str(exc))
            say(f"failed: {exc}")
    return failures
