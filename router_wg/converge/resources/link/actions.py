"""The link's actions: the module, the interface and its mark, the device configuration,
MTU, address and state. Each undo puts back what its do changed, for a start that fails
halfway; where there is nothing to put back, its docstring says why."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from router_wg.backends import module, wireguard
from router_wg.bundle.wireguard import WgDevice, render_config
from router_wg.converge.action import Action, StopOnly
from router_wg.converge.system import System
from router_wg.errors import CommandError, UserError
from router_wg.marks import INTERFACE_ALIAS

log = logging.getLogger("router_wg")


@dataclass(frozen=True)
class LoadModule(Action):
    def describe(self) -> str:
        return "load the wireguard kernel module (or fall back to wireguard-go)"

    def do(self, system: System) -> None:
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

    def undo(self, system: System) -> None:
        """Nothing: a loaded module is harmless, and others may use it."""


@dataclass(frozen=True)
class CreateInterface(Action):
    interface: str

    def describe(self) -> str:
        return f"create interface {self.interface} and mark it ours"

    def do(self, system: System) -> None:
        # A link cannot be created with its alias in one step: the pending file says "this
        # is ours" to the next run if this one is killed in between (see link.observe).
        name = self.interface
        pending = system.paths.creation_pending(name)
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
        system.netlink.mark(name, INTERFACE_ALIAS)
        pending.unlink()

    def undo(self, system: System) -> None:
        _delete_interface(self.interface, system)


@dataclass(frozen=True)
class MarkInterface(Action):
    interface: str

    def describe(self) -> str:
        return f"mark interface {self.interface} ours (a previous start was interrupted)"

    def do(self, system: System) -> None:
        system.netlink.mark(self.interface, INTERFACE_ALIAS)
        system.paths.creation_pending(self.interface).unlink(missing_ok=True)

    def undo(self, system: System) -> None:
        """Nothing: the link was ours already (an interrupted start made it)."""


@dataclass(frozen=True)
class DeleteInterface(StopOnly, Action):
    interface: str

    def describe(self) -> str:
        return f"delete interface {self.interface}"

    def do(self, system: System) -> None:
        _delete_interface(self.interface, system)


def _delete_interface(name: str, system: System) -> None:
    netlink = system.netlink
    if wireguard.stop_userspace(system.paths.wireguard_run_dir, name):
        wireguard.wait_gone(lambda: netlink.index(name) is not None)
    if netlink.index(name) is not None:
        netlink.delete(name)


@dataclass(frozen=True)
class SyncWireGuard(Action):
    interface: str
    changes: tuple[str, ...]  # human summary: "add peer X", "peer Y: endpoint ..."
    config: WgDevice = field(repr=False, compare=False)
    previous: WgDevice | None = field(repr=False, compare=False)  # for rollback

    def describe(self) -> str:
        return f"wireguard {self.interface}: " + "; ".join(self.changes)

    def do(self, system: System) -> None:
        wireguard.syncconf(system.runner, self.interface, render_config(self.config))

    def undo(self, system: System) -> None:
        """The device's previous configuration back; a device this run created has none
        and goes with its interface."""
        if self.previous is not None:
            wireguard.syncconf(system.runner, self.interface, render_config(self.previous))


@dataclass(frozen=True)
class SetMtu(Action):
    interface: str
    mtu: int
    previous: int | None = None

    def describe(self) -> str:
        return f"set mtu {self.mtu} on {self.interface}"

    def do(self, system: System) -> None:
        system.netlink.set_mtu(self.interface, self.mtu)

    def undo(self, system: System) -> None:
        """The previous MTU back; an interface this run created has none."""
        if self.previous is not None:
            system.netlink.set_mtu(self.interface, self.previous)


@dataclass(frozen=True)
class AddAddress(Action):
    interface: str
    address: str

    def describe(self) -> str:
        return f"add address {self.address} to {self.interface}"

    def do(self, system: System) -> None:
        system.netlink.address("add", self.interface, self.address)

    def undo(self, system: System) -> None:
        system.netlink.address("del", self.interface, self.address)


@dataclass(frozen=True)
class RemoveAddress(Action):
    interface: str
    address: str

    def describe(self) -> str:
        return f"remove address {self.address} from {self.interface}"

    def do(self, system: System) -> None:
        system.netlink.address("del", self.interface, self.address)

    def undo(self, system: System) -> None:
        system.netlink.address("add", self.interface, self.address)


@dataclass(frozen=True)
class SetLinkUp(Action):
    interface: str

    def describe(self) -> str:
        return f"bring {self.interface} up"

    def do(self, system: System) -> None:
        system.netlink.set_up(self.interface)

    def undo(self, system: System) -> None:
        """Nothing: a link this run created goes with it; one that was down stays up."""


@dataclass(frozen=True)
class UnloadModule(StopOnly, Action):
    def describe(self) -> str:
        return "unload the wireguard module if nothing else uses it"

    def do(self, system: System) -> None:
        if module.loaded() and module.unloadable() and not system.netlink.wireguard_links():
            module.unload(system.runner)
