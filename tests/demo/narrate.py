"""The demo's voice: one heading per step with what it proves, the commands that matter and
their key output, an ok or a failure with the reason, and a closing summary with timings.

Everything goes to the terminal the demo started on; the lab's own command log goes to a
file (see run.py), so what a newcomer reads is the story, not every `ip` call.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TextIO

INDENT = "    "


class StepFailed(Exception):
    """A step did not do what it said; the message says what was expected and what was seen."""


def expect(condition: object, why: str) -> None:
    if not condition:
        raise StepFailed(why)


@dataclass
class Outcome:
    number: int
    name: str
    seconds: float
    result: str  # "ok", "FAILED", "interrupted", "skipped"
    reason: str = ""


class Narrator:
    def __init__(self, terminal: TextIO, total_steps: int) -> None:
        self.terminal = terminal
        self.total = total_steps
        self.outcomes: list[Outcome] = []
        self.started = time.monotonic()

    def line(self, text: str = "") -> None:
        print(text, file=self.terminal, flush=True)

    def say(self, text: str) -> None:
        for part in text.splitlines() or [""]:
            self.line(INDENT + part)

    def command(self, where: str, text: str) -> None:
        """A command as a person would type it on that machine."""
        self.line(f"{INDENT}{where}# {text}")

    def output(self, text: str, limit: int = 40) -> None:
        """Key output of the command above, indented under it (at most `limit` lines)."""
        lines = text.rstrip().splitlines()
        for part in lines[:limit]:
            self.line(f"{INDENT}  {part}")
        if len(lines) > limit:
            self.line(f"{INDENT}  ... ({len(lines) - limit} more lines)")

    def ok(self, text: str) -> None:
        self.line(f"{INDENT}ok: {text}")

    @contextlib.contextmanager
    def step(self, number: int, name: str, proves: str):
        """One step: heading, timing, and its outcome (a failure is re-raised to stop the
        demo; cleanup and the summary still run)."""
        label = f"Step {number}/{self.total}" if number else "Setup"
        self.line()
        self.line(f"== {label}: {name} ==")
        self.say(f"proves: {proves}")
        started = time.monotonic()
        outcome = Outcome(number, name, 0.0, "ok")
        self.outcomes.append(outcome)
        try:
            yield
        except KeyboardInterrupt:
            outcome.result, outcome.reason = "interrupted", "Ctrl-C or SIGTERM"
            raise
        except Exception as failure:
            outcome.result, outcome.reason = "FAILED", str(failure) or type(failure).__name__
            self.line(f"{INDENT}FAILED: {outcome.reason}")
            raise
        finally:
            outcome.seconds = time.monotonic() - started
            if outcome.result == "ok":
                self.line(f"{INDENT}({outcome.seconds:.1f} s)")

    def summary(self, cleanup_problem: str = "") -> int:
        """The closing table; returns the exit code (0 only when every step was ok)."""
        self.line()
        self.line("== Summary ==")
        for o in self.outcomes:
            label = f"{o.number}/{self.total}" if o.number else "setup"
            self.line(f"{INDENT}{label:>5}  {o.name:<48} {o.result:<11} {o.seconds:7.1f} s")
        wall = time.monotonic() - self.started
        failed = next((o for o in self.outcomes if o.result != "ok"), None)
        if cleanup_problem:
            self.line(f"{INDENT}cleanup: {cleanup_problem}")
        if failed is None and len(self.outcomes) == self.total + 1 and not cleanup_problem:
            self.line(f"demo: PASSED: every step did what it said ({wall:.0f} s in all)")
            return 0
        if failed is not None and failed.result == "interrupted":
            self.line(f"demo: INTERRUPTED during {_name(failed, self.total)}; cleaned up")
            return 130
        if failed is not None:
            self.line(f"demo: FAILED at {_name(failed, self.total)}: {failed.reason}")
        else:
            self.line(f"demo: FAILED: {cleanup_problem or 'not every step ran'}")
        return 1


def _name(outcome: Outcome, total: int) -> str:
    if not outcome.number:
        return f"setup ({outcome.name})"
    return f"step {outcome.number}/{total} ({outcome.name})"
