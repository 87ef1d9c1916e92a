"""The iptables actions. All of one family's in a plan go out as one
`iptables-restore --noflush` (or `ip6tables-restore`) transaction, undone by its inverse.

Declaring `:RWG_X - [0:0]` creates our chain or, with --noflush, flushes only it; the
built-in chains get `-I <chain> 1 -j RWG_X` / `-D <chain> -j RWG_X`, nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from router_wg.backends import iptables
from router_wg.converge.action import Action, Batch
from router_wg.converge.resources.iptables.rules import IPV4, IPV6
from router_wg.converge.system import System

log = logging.getLogger("router_wg")


def _where(family: str, table: str) -> str:
    """How a description names the table: "filter" in iptables, "ipv6 filter" in ip6tables."""
    return f"ipv6 {table}" if family == IPV6 else table


def _restore(batch: list[Action], system: System) -> None:
    text, ipv6 = transaction(batch), batch[0].family == IPV6
    if ipv6:  # before the change: a run killed during it leaves the next run looking
        marker = system.paths.ip6tables_marker
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    log.info("%s --noflush <<\n%s", iptables.program("restore", ipv6=ipv6), text.rstrip())
    iptables.restore(system.runner, text, ipv6=ipv6)


def _restore_inverse(batch: list[Action], system: System) -> None:
    iptables.restore(system.runner, transaction(inverse(batch)), ipv6=batch[0].family == IPV6)


# one transaction per family: iptables and ip6tables are two programs
FAMILY_TRANSACTION = Batch(key=lambda action: action.family, do=_restore, undo=_restore_inverse)


@dataclass(frozen=True)
class WriteChain(Action):
    """Create our chain, or replace its rules (declaring it in iptables-restore flushes it)."""

    batch = FAMILY_TRANSACTION
    table: str
    chain: str
    rules: tuple[str, ...]
    previous: tuple[str, ...] | None  # None: the chain did not exist
    family: str = IPV4

    def describe(self) -> str:
        verb = "create" if self.previous is None else "rewrite"
        where = _where(self.family, self.table)
        return f"firewall {where}: {verb} chain {self.chain} ({len(self.rules)} rules)"


@dataclass(frozen=True)
class AddJump(Action):
    batch = FAMILY_TRANSACTION
    table: str
    rule: str  # "-A INPUT -j RWG_INPUT"
    family: str = IPV4

    def describe(self) -> str:
        return f"firewall {_where(self.family, self.table)}: insert jump {self.rule[3:]}"


@dataclass(frozen=True)
class RemoveJump(Action):
    batch = FAMILY_TRANSACTION
    table: str
    rule: str
    count: int = 1
    family: str = IPV4

    def describe(self) -> str:
        times = f" ({self.count}x)" if self.count > 1 else ""
        return f"firewall {_where(self.family, self.table)}: remove jump {self.rule[3:]}{times}"


@dataclass(frozen=True)
class DeleteChain(Action):
    batch = FAMILY_TRANSACTION
    table: str
    chain: str
    rules: tuple[str, ...] = ()
    family: str = IPV4

    def describe(self) -> str:
        return f"firewall {_where(self.family, self.table)}: delete chain {self.chain}"


def transaction(actions: list[Action]) -> str:
    """The iptables-restore text of one family's actions."""
    if len({x.family for x in actions}) > 1:  # one program reads it: one family
        raise ValueError("one transaction per family: iptables and ip6tables apart")
    tables: dict[str, list[Action]] = {}
    for action in actions:
        tables.setdefault(action.table, []).append(action)
    out = []
    for table, items in tables.items():
        writes = [x for x in items if isinstance(x, WriteChain)]
        out.append(f"*{table}")
        out += [f":{x.chain} - [0:0]" for x in writes]
        out += [rule for x in writes for rule in x.rules]
        out += [_insert(x.rule) for x in items if isinstance(x, AddJump)]
        out += [
            f"-D {x.rule[3:]}" for x in items if isinstance(x, RemoveJump) for _ in range(x.count)
        ]
        for x in items:
            if isinstance(x, DeleteChain):
                out += [f"-F {x.chain}", f"-X {x.chain}"]
        out.append("COMMIT")
    return "\n".join(out) + "\n"


def _insert(rule: str) -> str:
    builtin, rest = rule[3:].split(" ", 1)
    return f"-I {builtin} 1 {rest}"


def inverse(actions: list[Action]) -> list[Action]:
    """The actions that undo these (for a start that fails halfway)."""
    undo: list[Action] = []
    for x in actions:
        if isinstance(x, WriteChain):
            undo.append(
                DeleteChain(x.table, x.chain, family=x.family)
                if x.previous is None
                else replace(x, rules=x.previous, previous=x.rules)
            )
        elif isinstance(x, AddJump):
            undo.append(RemoveJump(x.table, x.rule, family=x.family))
        elif isinstance(x, RemoveJump):
            undo += [AddJump(x.table, x.rule, x.family)] * x.count
        elif isinstance(x, DeleteChain):
            undo.append(WriteChain(x.table, x.chain, x.rules, None, x.family))
    return undo
