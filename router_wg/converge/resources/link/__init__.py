"""The WireGuard link: the kernel module, the interface (ours by its alias), its device
configuration (keys, peers, endpoints), MTU, address and state.

An interface of our name without our alias is someone else's (FreshTomato's own wg0, say):
refused, never touched. One that a killed run created but never marked is ours (the
pending file says so) and gets its mark.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from router_wg.backends import module, wireguard
from router_wg.backends.netlink import Link
from router_wg.backends.wireguard import DumpDevice
from router_wg.bundle.wireguard import WgDevice
from router_wg.converge.action import Action
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.resources.link.device import (
    dump_as_config,
    endpoint_choices,
    wireguard_changes,
)
from router_wg.converge.system import System
from router_wg.errors import UserError

DEFAULT_MTU = 1420


class ForeignInterfaceError(UserError):
    def __init__(self, interface: str):
        super().__init__(
            f"interface {interface} exists but is not router-wg's (its alias is not "
            f"'router-wg'); refusing to touch it. Remove it, or choose another interface "
            f"name in makeconf."
        )


@dataclass(frozen=True)
class Wanted:
    interface: str
    mtu: int
    address: str  # "192.168.100.1/24"
    device: WgDevice = field(repr=False)  # endpoint names resolved
    # public key -> every "ip:port" its endpoint name resolved to: any counts as right
    endpoint_choices: dict[str, frozenset[str]] = field(default_factory=dict)
    peer_names: dict[str, str] = field(default_factory=dict)  # public key -> fqdn


@dataclass(frozen=True)
class Observed:
    interface: str
    module_loaded: bool
    link: Link | None  # the interface of our name, ours or not
    device: DumpDevice | None = field(repr=False)  # None when there is no link of ours
    creation_pending: bool = False  # a run was killed between creating and marking it


def wanted(inputs: Inputs) -> Wanted:
    site = inputs.site
    return Wanted(
        interface=site.interface,
        mtu=site.mtu or DEFAULT_MTU,
        address=f"{site.tunnel_address}/{site.tunnel_prefix}",
        device=inputs.resolved_device,
        endpoint_choices=endpoint_choices(inputs.device, inputs.resolved),
        peer_names={p.public_key: p.fqdn for p in site.peers},
    )


def observe(system: System, inputs: Inputs, wanted: Wanted | None) -> Observed:
    name = inputs.site.interface
    link = system.netlink.link(name)
    pending = bool(link) and system.paths.creation_pending(name).exists()
    ours = link is not None and (link.ours or pending)
    return Observed(
        interface=name,
        module_loaded=module.loaded(),
        link=link,
        device=wireguard.dump(system.runner, name) if ours else None,
        creation_pending=pending,
    )


def changes(wanted: Wanted | None, observed: Observed) -> list[Action]:
    if wanted is None:
        return _stop(observed)
    name, link = wanted.interface, observed.link
    if link is not None and not link.ours and not observed.creation_pending:
        raise ForeignInterfaceError(name)
    creating = link is None
    differences = wireguard_changes(
        wanted.device,
        None if creating else observed.device,
        wanted.endpoint_choices,
        wanted.peer_names,
    )
    if (
        link is not None
        and link.ours
        and not differences
        and link.mtu == wanted.mtu
        and link.addresses == {wanted.address}
        and link.up
    ):
        return []
    a = _actions()
    plan: list[Action] = []
    if link is not None and not link.ours:
        plan.append(a.MarkInterface(name))
    if creating:
        if not observed.module_loaded:
            plan.append(a.LoadModule())
        plan.append(a.CreateInterface(name))
    device = None if creating else observed.device
    if differences:
        previous = dump_as_config(device) if device else None
        plan.append(a.SyncWireGuard(name, tuple(differences), wanted.device, previous))
    if creating or link.mtu != wanted.mtu:
        plan.append(a.SetMtu(name, wanted.mtu, None if creating else link.mtu))
    addresses = frozenset() if creating else link.addresses
    if wanted.address not in addresses:
        plan.append(a.AddAddress(name, wanted.address))
    plan += [a.RemoveAddress(name, x) for x in sorted(addresses - {wanted.address})]
    if creating or not link.up:
        plan.append(a.SetLinkUp(name))
    return plan


def _stop(observed: Observed) -> list[Action]:
    """The interface if it is ours (never a foreign one), then the module if unused."""
    plan: list[Action] = []
    if observed.link is not None and (observed.link.ours or observed.creation_pending):
        plan.append(_actions().DeleteInterface(observed.interface))
    if observed.module_loaded:
        plan.append(_actions().UnloadModule())
    return plan


def _actions():
    """This resource's actions, imported only when something must change: a no-op start
    (every firewall restart) defines none of them."""
    from router_wg.converge.resources.link import actions

    return actions


LINK = Resource("link", wanted, observe, changes)
