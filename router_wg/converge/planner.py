"""The planner: `plan_start(desired, observed)` and `plan_stop(observed)` return the list
of actions that closes the gap. Pure functions of plain data: no I/O, no clock.

Only differences become actions, so a converged router gets an empty plan, and a router
whose firewall was flushed gets only the firewall back (the tunnel is not touched).
"""

from __future__ import annotations

from router_wg.backends.wireguard import DumpDevice
from router_wg.bundle.wireguard import WgDevice, WgPeer
from router_wg.converge import actions as a
from router_wg.converge.firewall_rules import FAMILIES, TableState
from router_wg.converge.nft_plan import fw4_changes
from router_wg.converge.state import Desired, Observed
from router_wg.errors import UserError


class ForeignInterfaceError(UserError):
    def __init__(self, interface: str):
        super().__init__(
            f"interface {interface} exists but is not router-wg's (its alias is not "
            f"'router-wg'); refusing to touch it. Remove it, or choose another interface "
            f"name in makeconf."
        )


def plan_start(desired: Desired, observed: Observed) -> list[a.Action]:
    name = desired.interface
    link = observed.link
    if link is not None and not link.ours and not observed.creation_pending:
        raise ForeignInterfaceError(name)
    creating = link is None
    plan: list[a.Action] = []
    if link is not None and not link.ours:
        plan.append(a.MarkInterface(name))
    if creating:
        if not observed.module_loaded:
            plan.append(a.LoadModule())
        plan.append(a.CreateInterface(name))
    device = None if creating else observed.device
    changes = wireguard_changes(desired, device)
    if changes:
        previous = dump_as_config(device) if device else None
        plan.append(a.SyncWireGuard(name, tuple(changes), desired.wireguard, previous))
    if creating or link.mtu != desired.mtu:
        plan.append(a.SetMtu(name, desired.mtu, None if creating else link.mtu))
    addresses = frozenset() if creating else link.addresses
    if desired.address not in addresses:
        plan.append(a.AddAddress(name, desired.address))
    plan += [a.RemoveAddress(name, x) for x in sorted(addresses - {desired.address})]
    if creating or not link.up:
        plan.append(a.SetLinkUp(name))
    plan += _routes(desired, observed)
    plan += _firewall(desired, observed)
    if observed.nft is not None:
        plan += fw4_changes(desired.nft_chains, observed.nft)
    plan += _rp_filter(desired, observed, creating)
    if observed.cron_lines != (desired.cron_line,):
        plan.append(a.AddCron(desired.cron_line, observed.cron_lines))
    return plan


def wireguard_changes(desired: Desired, device: DumpDevice | None) -> list[str]:
    """What differs between the bundle and the device, one human phrase per difference."""
    want = desired.wireguard
    if device is None:
        return [f"configure {len(want.peers)} peers"]
    changes = []
    if device.private_key != want.private_key:
        changes.append("set the private key")
    if want.listen_port is not None and device.listen_port != want.listen_port:
        changes.append(f"listen port {device.listen_port} -> {want.listen_port}")
    wanted = {p.public_key: p for p in want.peers}
    for key in device.peers.keys() - wanted.keys():
        changes.append(f"remove peer {key[:8]}...")
    for key, peer in wanted.items():
        name = desired.peer_names.get(key, key[:8] + "...")
        have = device.peers.get(key)
        if have is None:
            changes.append(f"add peer {name}")
            continue
        differs = _peer_differences(peer, have, desired.endpoint_choices.get(key, frozenset()))
        if differs:
            changes.append(f"peer {name}: change {', '.join(differs)}")
    return changes


def _peer_differences(want: WgPeer, have, endpoint_choices: frozenset[str]) -> list[str]:
    differs = []
    if (want.preshared_key or None) != have.preshared_key:
        differs.append("preshared key")
    if want.allowed_networks != have.allowed_ips:
        differs.append("allowed ips")
    if (want.keepalive or None) != have.keepalive:
        differs.append("keepalive")
    # no endpoint wanted (unresolved, or a peer behind NAT): whatever the device learned is fine
    if want.endpoint and have.endpoint not in endpoint_choices | {want.endpoint}:
        differs.append(f"endpoint -> {want.endpoint}")
    return differs


def _routes(desired: Desired, observed: Observed) -> list[a.Action]:
    index = observed.link.index if observed.link else None
    wanted = {(dst, index) for dst in desired.routes}
    plan: list[a.Action] = [
        a.AddRoute(dst, desired.interface) for dst, _ in sorted(wanted - observed.routes, key=str)
    ]
    plan += [a.RemoveRoute(dst, i) for dst, i in sorted(observed.routes - wanted)]
    return plan


def _firewall(desired: Desired, observed: Observed) -> list[a.Action]:
    plan: list[a.Action] = []
    for family in FAMILIES:
        wanted = [c for c in desired.chains if c.family == family]
        plan += _firewall_family(family, wanted, observed.tables(family))
    return plan


def _firewall_family(family: str, wanted, observed: dict[str, TableState]) -> list[a.Action]:
    plan: list[a.Action] = []
    wanted_names = {(c.table, c.name) for c in wanted}
    for chain in wanted:
        table = observed.get(chain.table)
        current = table.chains.get(chain.name) if table else None
        if current != chain.rules:
            plan.append(a.WriteChain(chain.table, chain.name, chain.rules, current, family))
        jumps = table.jumps.get(chain.jump, 0) if table else 0
        if jumps == 0:
            plan.append(a.AddJump(chain.table, chain.jump, family))
        elif jumps > 1:
            plan.append(a.RemoveJump(chain.table, chain.jump, jumps - 1, family))
    # chains of ours the bundle no longer wants (and the jumps into them): in ip6tables all
    # of them once a bundle has no IPv6 left
    for table_name, table in sorted(observed.items()):
        for rule, count in sorted(table.jumps.items()):
            if (table_name, rule.split()[-1]) not in wanted_names:
                plan.append(a.RemoveJump(table_name, rule, count, family))
        for chain_name, rules in sorted(table.chains.items()):
            if (table_name, chain_name) not in wanted_names:
                plan.append(a.DeleteChain(table_name, chain_name, rules, family))
    return plan


def _rp_filter(desired: Desired, observed: Observed, creating: bool) -> list[a.Action]:
    plan: list[a.Action] = []
    for interface, value in desired.rp_filter.items():
        if interface == desired.interface and creating:
            plan.append(a.SetRpFilter(interface, value, None))
            continue
        current = observed.rp_filter.get(interface)
        # an absent fallback interface (tinc not up yet) is set by a later start
        if current is not None and current != value:
            plan.append(a.SetRpFilter(interface, value, current))
    return plan


def plan_stop(observed: Observed) -> list[a.Action]:
    """Everything ours, in reverse order of start; a foreign interface is left alone."""
    plan: list[a.Action] = []
    if observed.cron_lines:
        plan.append(a.RemoveCron(observed.cron_lines))
    for family in FAMILIES:
        for table_name, table in sorted(observed.tables(family).items()):
            jumps = sorted(table.jumps.items())
            plan += [a.RemoveJump(table_name, r, n, family) for r, n in jumps]
            chains = sorted(table.chains.items())
            plan += [a.DeleteChain(table_name, c, rules, family) for c, rules in chains]
    if observed.nft is not None:
        plan += fw4_changes((), observed.nft)
    plan += [a.RemoveRoute(dst, i) for dst, i in sorted(observed.routes)]
    for interface, value in sorted(observed.rp_filter_replaced.items()):
        if interface != observed.interface:  # ours goes with the interface
            plan.append(a.RestoreRpFilter(interface, value))
    if observed.link is not None and (observed.link.ours or observed.creation_pending):
        plan.append(a.DeleteInterface(observed.interface))
    if observed.module_loaded:
        plan.append(a.UnloadModule())
    return plan


def dump_as_config(dump: DumpDevice) -> WgDevice:
    """What the device holds, as a config: used to roll a sync back."""
    return WgDevice(
        private_key=dump.private_key or "",
        listen_port=dump.listen_port,
        peers=tuple(
            WgPeer(
                p.public_key, tuple(sorted(p.allowed_ips)), p.preshared_key, p.endpoint, p.keepalive
            )
            for p in dump.peers.values()
        ),
    )
