"""Our firewall in iptables (FreshTomato, OpenWrt before fw4, plain Linux): chains RWG_*,
one jump into each from a built-in chain, and the same in ip6tables for a mesh with IPv6.

ip6tables is read only when the bundle wants IPv6 or an earlier run left chains there (the
marker file says so): an IPv4-only router never pays for reading it. Under fw4 this resource
does nothing (see resources/fw4).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from router_wg.backends import firewall, iptables
from router_wg.backends.resolve import split_endpoint
from router_wg.bundle.site import Site
from router_wg.converge.action import Action
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.resources.iptables.rules import (
    FAMILIES,
    IPV4,
    IPV6,
    Chain,
    TableState,
    desired_chains,
    parse_save,
)
from router_wg.converge.system import System
from router_wg.errors import CommandError

log = logging.getLogger("router_wg")
Tables = dict[str, TableState]  # table name -> our part of it


@dataclass(frozen=True)
class Wanted:
    chains: tuple[Chain, ...]

    @property
    def ipv6(self) -> bool:
        return any(chain.family == IPV6 for chain in self.chains)


@dataclass(frozen=True)
class Observed:
    tables: dict[str, Tables] = field(default_factory=dict)  # family -> our tables


def wanted(inputs: Inputs) -> Wanted | None:
    if inputs.firewall != firewall.IPTABLES:
        return Wanted(())
    site = inputs.site
    endpoints = [p.endpoint for p in inputs.resolved_device.peers if p.endpoint]
    return Wanted(
        desired_chains(site.interface, site.listen_port, site.lans, ipv6=uses_ipv6(site, endpoints))
    )


def observe(system: System, inputs: Inputs, wanted: Wanted | None) -> Observed | None:
    if inputs.firewall != firewall.IPTABLES:
        return None
    tables = {IPV4: parse_save(iptables.save(system.runner))}
    if (wanted is not None and wanted.ipv6) or system.paths.ip6tables_marker.exists():
        tables[IPV6] = _observe_ip6tables(system)
    return Observed(tables)


def _observe_ip6tables(system: System) -> Tables:
    """Our ip6tables chains, read whatever the bundle says (an earlier start of an IPv6
    bundle may have left some); none on a router without ip6tables."""
    if not iptables.installed(ipv6=True):
        log.debug("no %s: skipping the IPv6 firewall", iptables.program("save", ipv6=True))
        return {}
    try:
        return parse_save(iptables.save(system.runner, ipv6=True))
    except CommandError as exc:  # e.g. a kernel built without IPv6: IPv4 must still work
        log.warning("warning: cannot read ip6tables (%s); taking it as holding none of ours", exc)
        return {}


def changes(wanted: Wanted | None, observed: Observed | None) -> list[Action]:
    if observed is None:
        return []
    plan: list[Action] = []
    for family in FAMILIES:
        have = observed.tables.get(family, {})
        if wanted is None:
            plan += _remove_all(family, have)
        else:
            plan += _family_changes(family, [c for c in wanted.chains if c.family == family], have)
    return plan


def _family_changes(family: str, wanted: list[Chain], have: Tables) -> list[Action]:
    plan: list[Action] = []
    wanted_names = {(c.table, c.name) for c in wanted}
    for chain in wanted:
        table = have.get(chain.table)
        current = table.chains.get(chain.name) if table else None
        if current != chain.rules:
            plan.append(
                _actions().WriteChain(chain.table, chain.name, chain.rules, current, family)
            )
        jumps = table.jumps.get(chain.jump, 0) if table else 0
        if jumps == 0:
            plan.append(_actions().AddJump(chain.table, chain.jump, family))
        elif jumps > 1:
            plan.append(_actions().RemoveJump(chain.table, chain.jump, jumps - 1, family))
    # chains of ours the bundle no longer wants (and the jumps into them): in ip6tables all
    # of them once a bundle has no IPv6 left
    for table_name, table in sorted(have.items()):
        for rule, count in sorted(table.jumps.items()):
            if (table_name, rule.split()[-1]) not in wanted_names:
                plan.append(_actions().RemoveJump(table_name, rule, count, family))
        for chain_name, rules in sorted(table.chains.items()):
            if (table_name, chain_name) not in wanted_names:
                plan.append(_actions().DeleteChain(table_name, chain_name, rules, family))
    return plan


def _remove_all(family: str, have: Tables) -> list[Action]:
    plan: list[Action] = []
    for table_name, table in sorted(have.items()):
        plan += [
            _actions().RemoveJump(table_name, r, n, family) for r, n in sorted(table.jumps.items())
        ]
        chains = sorted(table.chains.items())
        plan += [_actions().DeleteChain(table_name, c, rules, family) for c, rules in chains]
    return plan


def settle(system: System, wanted: Wanted | None) -> None:
    """After a clean run that leaves nothing of ours in ip6tables, stop reading it."""
    if wanted is None or not wanted.ipv6:
        system.paths.ip6tables_marker.unlink(missing_ok=True)


def uses_ipv6(site: Site, endpoints: Iterable[str]) -> bool:
    """Whether this router needs the ip6tables chains: an IPv6 LAN (its own or a peer's),
    an IPv6 tunnel address, or a peer reached at an IPv6 endpoint (`endpoints`: the
    "ip:port" each peer gets, names already resolved). An IPv4-only mesh gets none."""
    return (
        site.tunnel_address.version == 6
        or any(lan.version == 6 for lan in site.lans)
        or any(lan.version == 6 for peer in site.peers for lan in peer.lans)
        or any(_is_ipv6(split_endpoint(e)[0]) for e in endpoints)
    )


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:  # not an address: a name nothing resolved
        return False


def _actions():
    """This resource's actions, imported only when something must change: a no-op start
    (every firewall restart) defines none of them."""
    from router_wg.converge.resources.iptables import actions

    return actions


IPTABLES = Resource("iptables", wanted, observe, changes, settle)
