"""The applier: carries out a plan, announcing each action before doing it.

`apply_start` stops at the first failure and undoes what this run did, in reverse, then
raises. `apply_stop` keeps going past failures and returns them. All firewall actions
of a plan go out as one iptables-restore transaction per family (IPv4, then IPv6), each
at the place of its family's first action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from router_wg.backends import firewall, module, sysctl, wireguard
from router_wg.converge import actions as a
from router_wg.converge.firewall_rules import IPV6
from router_wg.converge.firewall_transaction import inverse, transaction
from router_wg.converge.state import INTERFACE_MARK, LOOSE_RP_FILTER, ROUTE_PROTOCOL
from router_wg.converge.system import System, creation_pending_file, ip6tables_marker
from router_wg.errors import CommandError, UserError

log = logging.getLogger("router_wg")
Say = Callable[[str], None]


def _batched(plan: list[a.Action]) -> list[a.Action | list[a.Action]]:
    """The plan with each family's firewall actions gathered into one list, at the place
    of that family's first one."""
    families: dict[str, list[a.Action]] = {}
    for x in plan:
        if isinstance(x, a.FIREWALL_ACTIONS):
            families.setdefault(x.family, []).append(x)
    steps: list[a.Action | list[a.Action]] = []
    for x in plan:
        if not isinstance(x, a.FIREWALL_ACTIONS):
            steps.append(x)
        elif x is families[x.family][0]:
            steps.append(families[x.family])
    return steps


def apply_start(plan: list[a.Action], system: System, say: Say) -> None:
    done: list[a.Action | list[a.Action]] = []
    try:
        for step in _batched(plan):
            for x in step if isinstance(step, list) else [step]:
                say(x.describe())
            _do(step, system)
            done.append(step)
    except Exception as exc:
        reason = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        if done:
            say(f"failed: {reason}; rolling back what this run changed")
            for step in reversed(done):
                try:
                    _undo(step, system)
                except Exception as undo_exc:  # keep undoing the rest
                    say(f"rollback step failed: {undo_exc}")
        raise UserError(f"start failed: {reason}") from exc


def apply_stop(plan: list[a.Action], system: System, say: Say) -> list[str]:
    failures = []
    for step in _batched(plan):
        for x in step if isinstance(step, list) else [step]:
            say(x.describe())
        try:
            _do(step, system)
        except Exception as exc:
            failures.append(str(exc))
            say(f"failed: {exc}")
    return failures


def _do(step, system: System) -> None:
    nl = system.netlink
    if isinstance(step, list):
        text, ipv6 = transaction(step), step[0].family == IPV6
        if ipv6:  # before the change: a run killed during it leaves the next run looking
            marker = ip6tables_marker(system.paths)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        program = firewall.program("restore", ipv6=ipv6)
        log.info("%s --noflush <<\n%s", program, text.rstrip())
        firewall.restore(system.runner, text, ipv6=ipv6)
    elif isinstance(step, a.LoadModule):
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
    elif isinstance(step, a.CreateInterface):
        _create(step.interface, system)
    elif isinstance(step, a.MarkInterface):
        system.netlink.mark(step.interface, INTERFACE_MARK)
        creation_pending_file(system.paths, step.interface).unlink(missing_ok=True)
    elif isinstance(step, a.DeleteInterface):
        _delete(step.interface, system)
    elif isinstance(step, a.SyncWireGuard):
        wireguard.syncconf(system.runner, step.interface, step.config)
    elif isinstance(step, a.SetMtu):
        nl.set_mtu(step.interface, step.mtu)
    elif isinstance(step, a.AddAddress):
        nl.address("add", step.interface, step.address)
    elif isinstance(step, a.RemoveAddress):
        nl.address("del", step.interface, step.address)
    elif isinstance(step, a.SetLinkUp):
        nl.set_up(step.interface)
    elif isinstance(step, a.AddRoute):
        nl.route("add", step.destination, nl._index(step.interface), ROUTE_PROTOCOL)
    elif isinstance(step, a.RemoveRoute):
        nl.route("del", step.destination, step.ifindex, ROUTE_PROTOCOL)
    elif isinstance(step, a.SetRpFilter):
        if step.previous is not None:
            sysctl.remember_replaced(system.paths, step.interface, step.previous)
        sysctl.write_rp_filter(step.interface, step.value)
    elif isinstance(step, a.RestoreRpFilter):
        # only where it still has our value: a change made since then is someone's choice
        if sysctl.read_rp_filter(step.interface) == LOOSE_RP_FILTER:
            sysctl.write_rp_filter(step.interface, step.value)
        sysctl.forget_replaced(system.paths, step.interface)
    elif isinstance(step, a.AddCron):
        system.cron.add(step.line)
    elif isinstance(step, a.RemoveCron):
        system.cron.remove()
    elif isinstance(step, a.UnloadModule):
        if module.loaded() and module.unloadable() and not nl.wireguard_links():
            module.unload(system.runner)
    else:
        raise TypeError(f"no way to apply {step!r}")


def _undo(step, system: System) -> None:
    nl = system.netlink
    if isinstance(step, list):
        firewall.restore(system.runner, transaction(inverse(step)), ipv6=step[0].family == IPV6)
    elif isinstance(step, a.CreateInterface):
        _delete(step.interface, system)
    elif isinstance(step, a.SyncWireGuard) and step.previous is not None:
        wireguard.syncconf(system.runner, step.interface, step.previous)
    elif isinstance(step, a.SetMtu) and step.previous is not None:
        nl.set_mtu(step.interface, step.previous)
    elif isinstance(step, a.AddAddress):
        nl.address("del", step.interface, step.address)
    elif isinstance(step, a.RemoveAddress):
        nl.address("add", step.interface, step.address)
    elif isinstance(step, a.AddRoute) and nl.index(step.interface) is not None:
        nl.route("del", step.destination, nl._index(step.interface), ROUTE_PROTOCOL)
    elif isinstance(step, a.RemoveRoute):
        nl.route("add", step.destination, step.ifindex, ROUTE_PROTOCOL)
    elif isinstance(step, a.SetRpFilter) and step.previous is not None:
        sysctl.write_rp_filter(step.interface, step.previous)
    elif isinstance(step, a.AddCron):
        if step.replaces:
            system.cron.add(step.replaces[0])
        else:
            system.cron.remove()
    # LoadModule, SetLinkUp on a link this run did not create: left as they are


def _create(name: str, system: System) -> None:
    # A link cannot be created with its alias in one step: the pending file says "this is
    # ours" to the next run if this one is killed in between (see observe()).
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


def _delete(name: str, system: System) -> None:
    nl = system.netlink
    if wireguard.stop_userspace(system.paths.wireguard_run_dir, name):
        wireguard.wait_gone(lambda: nl.index(name) is not None)
    if nl.index(name) is not None:
        nl.delete(name)
