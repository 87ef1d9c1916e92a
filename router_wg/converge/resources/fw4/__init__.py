"""Our firewall under fw4 (OpenWrt 22.03+, nftables): chains rwg_* in fw4's table inet fw4,
one commented jump into each from fw4's own chains, and the same rules in fw4's include
folders so that `fw4 reload` keeps them. Under iptables this resource does nothing.

A chain whose rules differ is rewritten alone; a missing jump is inserted, extra copies of
ours are deleted by handle; an include file is written only when its text differs. With no
table inet fw4 (fw4 not started yet, or stopped: nothing filters) only the files are
written: fw4's start includes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from router_wg.backends import firewall
from router_wg.converge.action import Action
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.system import System

if TYPE_CHECKING:  # the rules and the actions are imported only under fw4
    from router_wg.converge.resources.fw4.rules import NftChain, NftState


def wanted(inputs: Inputs) -> tuple[NftChain, ...]:
    if inputs.firewall != firewall.FW4:
        return ()
    from router_wg.converge.resources.fw4.rules import desired_nft_chains

    site = inputs.site
    return desired_nft_chains(site.interface, site.listen_port, site.lans)


def observe(system: System, inputs: Inputs, wanted) -> NftState | None:
    if inputs.firewall != firewall.FW4:
        return None
    return _actions().observe_table(system)


def changes(wanted: tuple[NftChain, ...] | None, observed: NftState | None) -> list[Action]:
    """The chains, jumps and include files that differ from `wanted` (None, or nothing
    wanted: everything of ours goes)."""
    if observed is None:
        return []
    from router_wg.converge.resources.fw4.rules import every_include, include_files

    wanted = wanted or ()
    plan = _live_changes(wanted, observed) if observed.table else []
    files = include_files(wanted) if wanted else {}
    for path in every_include():
        current, text = observed.includes.get(path), files.get(path)
        if text is not None and current != text:
            plan.append(_actions().WriteNftInclude(path, text, current))
        elif text is None and current is not None:
            plan.append(_actions().RemoveNftInclude(path, current))
    return plan


def _live_changes(wanted: tuple[NftChain, ...], observed: NftState) -> list[Action]:
    plan: list[Action] = []
    wanted_names = {c.name for c in wanted}
    for chain in wanted:
        current = observed.chains.get(chain.name)
        if current != chain.rules:
            plan.append(_actions().WriteNftChain(chain.name, chain.rules, current))
        handles = observed.jumps.get((chain.hooked_from, chain.jump), ())
        if not handles:
            plan.append(_actions().AddNftJump(chain.hooked_from, chain.jump))
        elif len(handles) > 1:
            plan.append(_actions().RemoveNftJump(chain.hooked_from, chain.jump, handles[1:]))
    for (hook, rule), handles in sorted(observed.jumps.items()):
        if rule.split()[1] not in wanted_names:
            plan.append(_actions().RemoveNftJump(hook, rule, handles))
    for name, rules in sorted(observed.chains.items()):
        if name not in wanted_names:
            plan.append(_actions().DeleteNftChain(name, rules))
    return plan


def _actions():
    """This resource's actions, imported only when something must change: a no-op start
    (every firewall restart) defines none of them."""
    from router_wg.converge.resources.fw4 import actions

    return actions


FW4 = Resource("fw4", wanted, observe, changes)
