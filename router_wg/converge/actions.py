"""The actions a plan is made of. Each is plain data with a one-line description; the
applier (`apply.py`, through the table in `kinds.py`) does and undoes each kind. Keys live
only in fields excluded from repr, and no description mentions them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from router_wg.bundle.wireguard import WgDevice
from router_wg.converge.firewall_rules import IPV4, IPV6


@dataclass(frozen=True)
class Action:
    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class LoadModule(Action):
    def describe(self) -> str:
        return "load the wireguard kernel module (or fall back to wireguard-go)"


@dataclass(frozen=True)
class CreateInterface(Action):
    interface: str

    def describe(self) -> str:
        return f"create interface {self.interface} and mark it ours"


@dataclass(frozen=True)
class MarkInterface(Action):
    interface: str

    def describe(self) -> str:
        return f"mark interface {self.interface} ours (a previous start was interrupted)"


@dataclass(frozen=True)
class DeleteInterface(Action):
    interface: str

    def describe(self) -> str:
        return f"delete interface {self.interface}"


@dataclass(frozen=True)
class SyncWireGuard(Action):
    interface: str
    changes: tuple[str, ...]  # human summary: "add peer X", "peer Y: endpoint ..."
    config: WgDevice = field(repr=False, compare=False)
    previous: WgDevice | None = field(repr=False, compare=False)  # for rollback

    def describe(self) -> str:
        return f"wireguard {self.interface}: " + "; ".join(self.changes)


@dataclass(frozen=True)
class SetMtu(Action):
    interface: str
    mtu: int
    previous: int | None = None

    def describe(self) -> str:
        return f"set mtu {self.mtu} on {self.interface}"


@dataclass(frozen=True)
class AddAddress(Action):
    interface: str
    address: str

    def describe(self) -> str:
        return f"add address {self.address} to {self.interface}"


@dataclass(frozen=True)
class RemoveAddress(Action):
    interface: str
    address: str

    def describe(self) -> str:
        return f"remove address {self.address} from {self.interface}"


@dataclass(frozen=True)
class SetLinkUp(Action):
    interface: str

    def describe(self) -> str:
        return f"bring {self.interface} up"


@dataclass(frozen=True)
class AddRoute(Action):
    destination: str
    interface: str

    def describe(self) -> str:
        return f"add route {self.destination} dev {self.interface}"


@dataclass(frozen=True)
class RemoveRoute(Action):
    destination: str
    ifindex: int

    def describe(self) -> str:
        return f"remove route {self.destination} (ifindex {self.ifindex})"


@dataclass(frozen=True)
class WriteChain(Action):
    """Create our chain, or replace its rules (declaring it in iptables-restore flushes it)."""

    table: str
    chain: str
    rules: tuple[str, ...]
    previous: tuple[str, ...] | None  # None: the chain did not exist
    family: str = IPV4

    def describe(self) -> str:
        verb = "create" if self.previous is None else "rewrite"
        where = _where(self.family, self.table)
        return f"firewall {where}: {verb} chain {self.chain} ({len(self.rules)} rules)"


@dataclass(frozen=True)
class AddJump(Action):
    table: str
    rule: str  # "-A INPUT -j RWG_INPUT"
    family: str = IPV4

    def describe(self) -> str:
        return f"firewall {_where(self.family, self.table)}: insert jump {self.rule[3:]}"


@dataclass(frozen=True)
class RemoveJump(Action):
    table: str
    rule: str
    count: int = 1
    family: str = IPV4

    def describe(self) -> str:
        times = f" ({self.count}x)" if self.count > 1 else ""
        return f"firewall {_where(self.family, self.table)}: remove jump {self.rule[3:]}{times}"


@dataclass(frozen=True)
class DeleteChain(Action):
    table: str
    chain: str
    rules: tuple[str, ...] = ()
    family: str = IPV4

    def describe(self) -> str:
        return f"firewall {_where(self.family, self.table)}: delete chain {self.chain}"


def _where(family: str, table: str) -> str:
    """How a description names the table: "filter" in iptables, "ipv6 filter" in ip6tables."""
    return f"ipv6 {table}" if family == IPV6 else table


# -- fw4 (nftables): our chains in table inet fw4 and fw4's include files ----------------
@dataclass(frozen=True)
class WriteNftChain(Action):
    """Create our chain in table inet fw4, or replace its rules (flush, then add)."""

    chain: str
    rules: tuple[str, ...]
    previous: tuple[str, ...] | None  # None: the chain did not exist

    def describe(self) -> str:
        verb = "create" if self.previous is None else "rewrite"
        return f"firewall fw4: {verb} chain {self.chain} ({len(self.rules)} rules)"


@dataclass(frozen=True)
class AddNftJump(Action):
    hook: str  # fw4's chain: input, forward, mangle_forward, srcnat
    rule: str  # 'jump rwg_input comment "router-wg"'

    def describe(self) -> str:
        return f"firewall fw4: insert {self.rule} in chain {self.hook}"


@dataclass(frozen=True)
class RemoveNftJump(Action):
    hook: str
    rule: str
    handles: tuple[int, ...]  # the copies to delete, by handle

    def describe(self) -> str:
        times = f" ({len(self.handles)}x)" if len(self.handles) > 1 else ""
        return f"firewall fw4: remove {self.rule} from chain {self.hook}{times}"


@dataclass(frozen=True)
class DeleteNftChain(Action):
    chain: str
    rules: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"firewall fw4: delete chain {self.chain}"


@dataclass(frozen=True)
class WriteNftInclude(Action):
    """Write one of our files in fw4's include folders (what fw4 re-reads at a reload)."""

    path: str  # relative to /usr/share/nftables.d: "chain-pre/input/router-wg.nft"
    text: str = field(repr=False)
    previous: str | None = field(repr=False)  # None: the file did not exist

    def describe(self) -> str:
        verb = "write" if self.previous is None else "rewrite"
        return f"fw4 include: {verb} /usr/share/nftables.d/{self.path}"


@dataclass(frozen=True)
class RemoveNftInclude(Action):
    path: str
    previous: str = field(repr=False)

    def describe(self) -> str:
        return f"fw4 include: remove /usr/share/nftables.d/{self.path}"


@dataclass(frozen=True)
class SetRpFilter(Action):
    interface: str
    value: int
    previous: int | None

    def describe(self) -> str:
        return f"set rp_filter={self.value} on {self.interface}"


@dataclass(frozen=True)
class RestoreRpFilter(Action):
    """Put back the value start replaced on an interface that outlives us (the fallback's),
    where it still has ours."""

    interface: str
    value: int

    def describe(self) -> str:
        return f"restore rp_filter={self.value} on {self.interface}"


@dataclass(frozen=True)
class AddCron(Action):
    line: str
    replaces: tuple[str, ...] = ()  # our stale entries

    def describe(self) -> str:
        return f"register the watchdog in cron: {self.line}"


@dataclass(frozen=True)
class RemoveCron(Action):
    lines: tuple[str, ...]

    def describe(self) -> str:
        return "remove the watchdog's cron entry"


@dataclass(frozen=True)
class UnloadModule(Action):
    def describe(self) -> str:
        return "unload the wireguard module if nothing else uses it"


FIREWALL_ACTIONS = (WriteChain, AddJump, RemoveJump, DeleteChain)
NFT_LIVE_ACTIONS = (WriteNftChain, AddNftJump, RemoveNftJump, DeleteNftChain)
NFT_INCLUDE_ACTIONS = (WriteNftInclude, RemoveNftInclude)
