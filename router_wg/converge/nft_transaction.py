"""fw4's firewall actions as one `nft -f -` transaction (atomic: all or nothing), its
inverse, and nft's refusal turned back into the statement of ours it names.

`add chain` + `flush chain` creates our chain or empties it (leaving the jumps into it),
then `add rule` puts back its rules; fw4's chains only get `insert rule ... jump rwg_*`
and `delete rule ... handle N`, nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from router_wg.converge import actions as a
from router_wg.converge.nft_rules import TABLE, NftState

# the order inside one transaction: jumps out before the chains they leave go, chains
# written before the jumps into them arrive
_ORDER = (a.RemoveNftJump, a.WriteNftChain, a.AddNftJump, a.DeleteNftChain)


@dataclass(frozen=True)
class Transaction:
    statements: tuple[str, ...]  # one line each, as nft reads them
    sources: tuple[str, ...]  # for each statement, the action it carries out

    @property
    def text(self) -> str:
        return "".join(f"{s}\n" for s in self.statements)


def transaction(live_actions: list[a.Action]) -> Transaction:
    statements: list[str] = []
    sources: list[str] = []

    def say(statement: str, action: a.Action) -> None:
        statements.append(statement)
        sources.append(action.describe())

    for kind in _ORDER:
        for x in (x for x in live_actions if type(x) is kind):
            if isinstance(x, a.RemoveNftJump):
                for handle in x.handles:
                    say(f"delete rule {TABLE} {x.hook} handle {handle}", x)
            elif isinstance(x, a.WriteNftChain):
                say(f"add chain {TABLE} {x.chain}", x)
                say(f"flush chain {TABLE} {x.chain}", x)
                for rule in x.rules:
                    say(f"add rule {TABLE} {x.chain} {rule}", x)
            elif isinstance(x, a.AddNftJump):
                say(f"insert rule {TABLE} {x.hook} {x.rule}", x)
            else:  # DeleteNftChain: a chain must be empty to go
                say(f"flush chain {TABLE} {x.chain}", x)
                say(f"delete chain {TABLE} {x.chain}", x)
    return Transaction(tuple(statements), tuple(sources))


def inverse(live_actions: list[a.Action], now: NftState) -> list[a.Action]:
    """The actions that undo these, given the table as it is `now` (a jump inserted by
    this run is found by its handle there)."""
    undo: list[a.Action] = []
    for x in live_actions:
        if isinstance(x, a.WriteNftChain):
            undo.append(
                a.DeleteNftChain(x.chain)
                if x.previous is None
                else a.WriteNftChain(x.chain, x.previous, x.rules)
            )
        elif isinstance(x, a.AddNftJump):
            handles = now.jumps.get((x.hook, x.rule), ())
            if handles:
                undo.append(a.RemoveNftJump(x.hook, x.rule, handles))
        elif isinstance(x, a.RemoveNftJump):
            undo += [a.AddNftJump(x.hook, x.rule)] * len(x.handles)
        elif isinstance(x, a.DeleteNftChain):
            undo.append(a.WriteNftChain(x.chain, x.rules, None))
    return undo


_ERROR_LINE = re.compile(r"^\S*?:(\d+):[\d-]+: Error: (.*)$", re.MULTILINE)


def rejection(stderr: str, done: Transaction) -> str:
    """nft's refusal, said in terms of ours: the statement at the line nft names, the
    action it belonged to, nft's reason, and what to do."""
    found = _ERROR_LINE.search(stderr)
    if not found or not 0 < int(found.group(1)) <= len(done.statements):
        detail = stderr.strip() or "no message"
        return f"nft refused router-wg's firewall transaction, and changed nothing: {detail}"
    line = int(found.group(1))
    reason = found.group(2).split("; did you mean")[0].strip()  # its guess misleads here
    statement, source = done.statements[line - 1], done.sources[line - 1]
    words = statement.split()
    hint = ""
    if "No such file or directory" in reason:
        missing = f"no chain {words[4]}" if words[:2] != ["add", "chain"] else "no such table"
        hint = (
            f" fw4's table {TABLE} has {missing}: rebuild fw4's ruleset (`fw4 reload`, or "
            f"/etc/init.d/firewall restart); if fw4 is not this router's firewall, set "
            f"ROUTER_WG_FIREWALL=iptables."
        )
    return (
        f"nft refused line {line} of router-wg's firewall transaction, `{statement}` "
        f"({source}): {reason}; nft changed nothing.{hint}"
    )
