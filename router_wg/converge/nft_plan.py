"""The planner's fw4 part: what differs between the chains we want in table inet fw4 (with
their jumps and include files) and what is there. Pure: a function of plain data.

A chain whose rules differ is rewritten alone; a missing jump is inserted, extra copies of
ours are deleted by handle; an include file is written only when its text differs. With
nothing wanted (stop), everything of ours goes, and nothing else. With no table inet fw4
(fw4 not started yet, or stopped: nothing filters) only the files are written: fw4's start
includes them.
"""

from __future__ import annotations

from router_wg.converge import actions as a
from router_wg.converge.nft_rules import NftState, every_include, include_files


def fw4_changes(wanted, observed: NftState) -> list[a.Action]:
    """Under fw4: the chains, jumps and include files that differ from `wanted`."""
    plan = _live_changes(wanted, observed) if observed.table else []
    files = include_files(tuple(wanted)) if wanted else {}
    for path in every_include():
        current, text = observed.includes.get(path), files.get(path)
        if text is not None and current != text:
            plan.append(a.WriteNftInclude(path, text, current))
        elif text is None and current is not None:
            plan.append(a.RemoveNftInclude(path, current))
    return plan


def _live_changes(wanted, observed: NftState) -> list[a.Action]:
    plan: list[a.Action] = []
    wanted_names = {c.name for c in wanted}
    for chain in wanted:
        current = observed.chains.get(chain.name)
        if current != chain.rules:
            plan.append(a.WriteNftChain(chain.name, chain.rules, current))
        handles = observed.jumps.get((chain.hooked_from, chain.jump), ())
        if not handles:
            plan.append(a.AddNftJump(chain.hooked_from, chain.jump))
        elif len(handles) > 1:
            plan.append(a.RemoveNftJump(chain.hooked_from, chain.jump, handles[1:]))
    for (hook, rule), handles in sorted(observed.jumps.items()):
        if rule.split()[1] not in wanted_names:
            plan.append(a.RemoveNftJump(hook, rule, handles))
    for name, rules in sorted(observed.chains.items()):
        if name not in wanted_names:
            plan.append(a.DeleteNftChain(name, rules))
    return plan
