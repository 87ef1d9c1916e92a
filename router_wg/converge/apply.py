"""The applier: carries out a plan, announcing each action before doing it.

`apply_start` stops at the first failure and undoes what this run did, in reverse, then
raises. `apply_stop` keeps going past failures and returns them. What each kind of action
does and how it is undone is the table in `kinds.py`; batched kinds (the firewall: one
iptables-restore transaction per family, IPv4 and IPv6 apart) go out as one step at the
place of their batch's first action. An action with no entry there is a TypeError, raised
before anything is done.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from router_wg.converge import actions as a
from router_wg.converge.kinds import Kind, kind_of
from router_wg.converge.system import System
from router_wg.errors import UserError

Say = Callable[[str], None]


@dataclass
class Step:
    """One thing the applier does: one action, or a batch of them (one transaction)."""

    kind: Kind
    actions: list[a.Action]

    def announce(self, say: Say) -> None:
        for x in self.actions:
            say(x.describe())

    def do(self, system: System) -> None:
        self.kind.do(self.actions if self.kind.batch else self.actions[0], system)

    def undo(self, system: System) -> None:
        self.kind.undo(self.actions if self.kind.batch else self.actions[0], system)


def steps(plan: list[a.Action]) -> list[Step]:
    """The plan as steps: an action of a batched kind joins the others of its kind and
    batch key, in the step at the place of the first of them."""
    out: list[Step] = []
    batches: dict[tuple[Kind, Hashable], Step] = {}
    for x in plan:
        kind = kind_of(x)
        if kind.batch is None:
            out.append(Step(kind, [x]))
            continue
        key = (kind, kind.batch(x))
        if key not in batches:
            batches[key] = Step(kind, [])
            out.append(batches[key])
        batches[key].actions.append(x)
    return out


def apply_start(plan: list[a.Action], system: System, say: Say) -> None:
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


def apply_stop(plan: list[a.Action], system: System, say: Say) -> list[str]:
    failures = []
    for step in steps(plan):
        step.announce(say)
        try:
            step.do(system)
        except Exception as exc:
            failures.append(str(exc))
            say(f"failed: {exc}")
    return failures
