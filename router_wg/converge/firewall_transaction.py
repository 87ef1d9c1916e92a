"""Firewall actions of one family as one `iptables-restore --noflush` (or
`ip6tables-restore`) transaction, and its inverse (which keeps each action's family).

Declaring `:RWG_X - [0:0]` creates our chain or, with --noflush, flushes only it; the
built-in chains get `-I <chain> 1 -j RWG_X` / `-D <chain> -j RWG_X`, nothing else.
"""

from __future__ import annotations

from dataclasses import replace

from router_wg.converge import actions as a


def transaction(firewall_actions: list[a.Action]) -> str:
    if len({x.family for x in firewall_actions}) > 1:  # one program reads it: one family
        raise ValueError("one transaction per family: iptables and ip6tables apart")
    tables: dict[str, list[a.Action]] = {}
    for action in firewall_actions:
        tables.setdefault(action.table, []).append(action)
    out = []
    for table, items in tables.items():
        writes = [x for x in items if isinstance(x, a.WriteChain)]
        out.append(f"*{table}")
        out += [f":{x.chain} - [0:0]" for x in writes]
        out += [rule for x in writes for rule in x.rules]
        out += [_insert(x.rule) for x in items if isinstance(x, a.AddJump)]
        out += [
            f"-D {x.rule[3:]}" for x in items if isinstance(x, a.RemoveJump) for _ in range(x.count)
        ]
        for x in items:
            if isinstance(x, a.DeleteChain):
                out += [f"-F {x.chain}", f"-X {x.chain}"]
        out.append("COMMIT")
    return "\n".join(out) + "\n"


def _insert(rule: str) -> str:
    builtin, rest = rule[3:].split(" ", 1)
    return f"-I {builtin} 1 {rest}"


def inverse(firewall_actions: list[a.Action]) -> list[a.Action]:
    """The actions that undo these (for a start that fails halfway)."""
    undo: list[a.Action] = []
    for x in firewall_actions:
        if isinstance(x, a.WriteChain):
            undo.append(
                a.DeleteChain(x.table, x.chain, family=x.family)
                if x.previous is None
                else replace(x, rules=x.previous, previous=x.rules)
            )
        elif isinstance(x, a.AddJump):
            undo.append(a.RemoveJump(x.table, x.rule, family=x.family))
        elif isinstance(x, a.RemoveJump):
            undo += [a.AddJump(x.table, x.rule, x.family)] * x.count
        elif isinstance(x, a.DeleteChain):
            undo.append(a.WriteChain(x.table, x.chain, x.rules, None, x.family))
    return undo
