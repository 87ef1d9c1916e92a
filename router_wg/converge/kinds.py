"""What each kind of action means to the applier: `KINDS` holds, for every Action class,
how to do it and how to undo it (for a start that fails halfway). An undo that leaves
things as they are says why in its docstring.

The firewall kinds are batched: every firewall action of one family becomes a single
`iptables-restore --noflush` (or `ip6tables-restore`) transaction, and under fw4 every
one becomes a single `nft -f -` followed by fw4's include files, so their `do` and `undo`
take the list of that batch's actions instead of one action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from router_wg.backends import firewall, module, sysctl, wireguard
from router_wg.bundle.wireguard import render_config
from router_wg.converge import actions as a
from router_wg.converge.firewall_rules import IPV6
from router_wg.converge.firewall_transaction import inverse, transaction
from router_wg.converge.nft_apply import fw4_do, fw4_transaction, fw4_undo
from router_wg.converge.state import INTERFACE_MARK, LOOSE_RP_FILTER, ROUTE_PROTOCOL
from router_wg.converge.system import System, creation_pending_file, ip6tables_marker
from router_wg.errors import CommandError, UserError

log = logging.getLogger("router_wg")
Effect = Callable[[Any, System], None]  # a step (an action, or a batch's list) and the system


@dataclass(frozen=True)
class Kind:
    """How the applier does one kind of action, and how it undoes it after a failed start."""

    do: Effect
    undo: Effect
    batch: Callable[[a.Action], Hashable] | None = None
    """None: each action is a step of its own, and `do`/`undo` get the action. Otherwise the
    key of the batch an action joins: a plan's actions with the same key become one step at
    the place of the first of them, and `do`/`undo` get that list."""


def kind_of(action: a.Action) -> Kind:
    try:
        return KINDS[type(action)]
    except KeyError:
        raise TypeError(
            f"no way to apply {action!r}: {type(action).__name__} has no entry in "
            f"router_wg.converge.kinds.KINDS"
        ) from None


def nothing_to_undo(why: str) -> Effect:
    """An undo that leaves things as they are, for the reason `why`."""

    def undo(action, system: System) -> None:
        pass

    undo.__name__ = undo.__qualname__ = "nothing_to_undo"
    undo.__doc__ = f"Nothing to undo: {why}."
    return undo


# -- the firewall: one transaction per family -------------------------------------------
def family_transaction(action) -> tuple[str, str]:
    """The batch a firewall action joins: its family's one iptables-restore transaction."""
    return ("firewall", action.family)


def _restore(batch: list[a.Action], system: System) -> None:
    text, ipv6 = transaction(batch), batch[0].family == IPV6
    if ipv6:  # before the change: a run killed during it leaves the next run looking
        marker = ip6tables_marker(system.paths)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    program = firewall.program("restore", ipv6=ipv6)
    log.info("%s --noflush <<\n%s", program, text.rstrip())
    firewall.restore(system.runner, text, ipv6=ipv6)


def _restore_inverse(batch: list[a.Action], system: System) -> None:
    firewall.restore(system.runner, transaction(inverse(batch)), ipv6=batch[0].family == IPV6)


FIREWALL = Kind(_restore, _restore_inverse, batch=family_transaction)
# fw4: a run's one `nft -f -`, then fw4's include files (nft_apply.py)
FW4 = Kind(fw4_do, fw4_undo, batch=fw4_transaction)


# -- the module --------------------------------------------------------------------------
def _load_module(step: a.LoadModule, system: System) -> None:
    try:
        module.load(system.runner)
    except CommandError as exc:
        if not wireguard.userspace_available():
            raise wireguard.module_missing_error(exc) from None
        log.warning(
            "warning: no WireGuard kernel module (%s); using wireguard-go, which is slower",
            exc.stderr or exc,
        )
        system.userspace = True


def _unload_module(step: a.UnloadModule, system: System) -> None:
    if module.loaded() and module.unloadable() and not system.netlink.wireguard_links():
        module.unload(system.runner)


# -- the interface -----------------------------------------------------------------------
def _create_interface(step: a.CreateInterface, system: System) -> None:
    # A link cannot be created with its alias in one step: the pending file says "this is
    # ours" to the next run if this one is killed in between (see observe()).
    name = step.interface
    pending = creation_pending_file(system.paths, name)
    pending.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pending.touch()
    if not system.userspace:
        try:
            system.netlink.create_wireguard(name)
        except Exception as exc:  # NetlinkError: no module after all (built without it)
            if not wireguard.userspace_available():
                raise UserError(f"cannot create WireGuard interface {name}: {exc}") from None
            log.warning("warning: kernel WireGuard unavailable (%s); using wireguard-go", exc)
            system.userspace = True
    if system.userspace:
        wireguard.start_userspace(system.runner, name)
    system.netlink.mark(name, INTERFACE_MARK)
    pending.unlink()


def _delete_interface(step: a.CreateInterface | a.DeleteInterface, system: System) -> None:
    name, nl = step.interface, system.netlink
    if wireguard.stop_userspace(system.paths.wireguard_run_dir, name):
        wireguard.wait_gone(lambda: nl.index(name) is not None)
    if nl.index(name) is not None:
        nl.delete(name)


def _mark_interface(step: a.MarkInterface, system: System) -> None:
    system.netlink.mark(step.interface, INTERFACE_MARK)
    creation_pending_file(system.paths, step.interface).unlink(missing_ok=True)


def _sync_wireguard(step: a.SyncWireGuard, system: System) -> None:
    wireguard.syncconf(system.runner, step.interface, render_config(step.config))


def _sync_previous(step: a.SyncWireGuard, system: System) -> None:
    """Put the device's previous configuration back; a device this run created has none
    and goes with its interface."""
    if step.previous is not None:
        wireguard.syncconf(system.runner, step.interface, render_config(step.previous))


def _set_mtu(step: a.SetMtu, system: System) -> None:
    system.netlink.set_mtu(step.interface, step.mtu)


def _set_previous_mtu(step: a.SetMtu, system: System) -> None:
    """The previous MTU back; an interface this run created has none."""
    if step.previous is not None:
        system.netlink.set_mtu(step.interface, step.previous)


def _add_address(step: a.AddAddress | a.RemoveAddress, system: System) -> None:
    system.netlink.address("add", step.interface, step.address)


def _remove_address(step: a.AddAddress | a.RemoveAddress, system: System) -> None:
    system.netlink.address("del", step.interface, step.address)


def _set_up(step: a.SetLinkUp, system: System) -> None:
    system.netlink.set_up(step.interface)


# -- routes ------------------------------------------------------------------------------
def _add_route(step: a.AddRoute, system: System) -> None:
    nl = system.netlink
    nl.route("add", step.destination, nl._index(step.interface), ROUTE_PROTOCOL)


def _remove_added_route(step: a.AddRoute, system: System) -> None:
    """Remove the route, unless its interface is already gone (and the route with it)."""
    nl = system.netlink
    if nl.index(step.interface) is not None:
        nl.route("del", step.destination, nl._index(step.interface), ROUTE_PROTOCOL)


def _remove_route(step: a.RemoveRoute, system: System) -> None:
    system.netlink.route("del", step.destination, step.ifindex, ROUTE_PROTOCOL)


def _add_removed_route(step: a.RemoveRoute, system: System) -> None:
    system.netlink.route("add", step.destination, step.ifindex, ROUTE_PROTOCOL)


# -- rp_filter ---------------------------------------------------------------------------
def _set_rp_filter(step: a.SetRpFilter, system: System) -> None:
    if step.previous is not None:
        sysctl.remember_replaced(system.paths, step.interface, step.previous)
    sysctl.write_rp_filter(step.interface, step.value)


def _set_previous_rp_filter(step: a.SetRpFilter, system: System) -> None:
    """The previous value back; ours on an interface this run created has none."""
    if step.previous is not None:
        sysctl.write_rp_filter(step.interface, step.previous)


def _restore_rp_filter(step: a.RestoreRpFilter, system: System) -> None:
    # only where it still has our value: a change made since then is someone's choice
    if sysctl.read_rp_filter(step.interface) == LOOSE_RP_FILTER:
        sysctl.write_rp_filter(step.interface, step.value)
    sysctl.forget_replaced(system.paths, step.interface)


# -- cron --------------------------------------------------------------------------------
def _add_cron(step: a.AddCron, system: System) -> None:
    system.cron.add(step.line)


def _put_back_cron(step: a.AddCron, system: System) -> None:
    """Our stale entry back if there was one (the first), else no entry."""
    if step.replaces:
        system.cron.add(step.replaces[0])
    else:
        system.cron.remove()


def _remove_cron(step: a.RemoveCron, system: System) -> None:
    system.cron.remove()


STOP_ONLY = "stop does it, and stop never rolls back"

KINDS: dict[type[a.Action], Kind] = {
    a.LoadModule: Kind(
        _load_module, nothing_to_undo("a loaded module is harmless, and others may use it")
    ),
    a.CreateInterface: Kind(_create_interface, _delete_interface),
    a.MarkInterface: Kind(
        _mark_interface,
        nothing_to_undo("the link was ours already (an interrupted start made it)"),
    ),
    a.DeleteInterface: Kind(_delete_interface, nothing_to_undo(STOP_ONLY)),
    a.SyncWireGuard: Kind(_sync_wireguard, _sync_previous),
    a.SetMtu: Kind(_set_mtu, _set_previous_mtu),
    a.AddAddress: Kind(_add_address, _remove_address),
    a.RemoveAddress: Kind(_remove_address, _add_address),
    a.SetLinkUp: Kind(
        _set_up,
        nothing_to_undo("a link this run created goes with it; one that was down stays up"),
    ),
    a.AddRoute: Kind(_add_route, _remove_added_route),
    a.RemoveRoute: Kind(_remove_route, _add_removed_route),
    # batched: all of one family's go out as its one iptables-restore transaction
    a.WriteChain: FIREWALL,
    a.AddJump: FIREWALL,
    a.RemoveJump: FIREWALL,
    a.DeleteChain: FIREWALL,
    # batched: the run's one nft transaction, then fw4's include files
    a.WriteNftChain: FW4,
    a.AddNftJump: FW4,
    a.RemoveNftJump: FW4,
    a.DeleteNftChain: FW4,
    a.WriteNftInclude: FW4,
    a.RemoveNftInclude: FW4,
    a.SetRpFilter: Kind(_set_rp_filter, _set_previous_rp_filter),
    a.RestoreRpFilter: Kind(_restore_rp_filter, nothing_to_undo(STOP_ONLY)),
    a.AddCron: Kind(_add_cron, _put_back_cron),
    a.RemoveCron: Kind(_remove_cron, nothing_to_undo(STOP_ONLY)),
    a.UnloadModule: Kind(_unload_module, nothing_to_undo(STOP_ONLY)),
}
