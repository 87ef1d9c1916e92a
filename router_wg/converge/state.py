"""The two states the planner compares: what the bundle asks for, and what is there.

Plain frozen data, no I/O: `desired.py` builds the first from the bundle, `observe.py`
the second from the kernel, and `planner.py` compares them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from router_wg.backends.cron import CRON_ID  # noqa: F401 (part of what we own, see above)
from router_wg.backends.netlink import INTERFACE_MARK, Link  # noqa: F401 (as for CRON_ID)
from router_wg.backends.wireguard import DumpDevice
from router_wg.bundle.wireguard import WgDevice
from router_wg.converge.firewall_rules import IPV6, Chain, TableState
from router_wg.converge.nft_rules import NftChain, NftState

# The mark on every route we add (`ip route ... proto 0x57`). Unused by iproute2's
# rt_protos (0-4, 8-18, 42, 99, 186-192); name it in /etc/iproute2/rt_protos.d if you like.
ROUTE_PROTOCOL = 0x57
# The mark on our interface is its alias (INTERFACE_MARK, set by backends.netlink); the
# id on our cron entry is CRON_ID (backends.cron).
LOOSE_RP_FILTER = 2
DEFAULT_MTU = 1420


@dataclass(frozen=True)
class Desired:
    interface: str
    mtu: int
    address: str  # "192.168.100.1/24"
    wireguard: WgDevice = field(repr=False)
    routes: frozenset[str]  # peer LANs, "10.0.2.0/24", withdrawn peers left out
    chains: tuple[Chain, ...]
    rp_filter: dict[str, int]  # interface -> wanted value
    cron_line: str  # the crontab line (schedule + command), without the id
    # public key -> every "ip:port" its endpoint name resolved to: any counts as right
    endpoint_choices: dict[str, frozenset[str]] = field(default_factory=dict)
    peer_names: dict[str, str] = field(default_factory=dict)  # public key -> fqdn
    # under fw4 (OpenWrt 22.03+) our chains live in table inet fw4 and `chains` is empty
    nft_chains: tuple[NftChain, ...] = ()

    @property
    def ipv6(self) -> bool:
        """Whether this bundle wants chains in ip6tables."""
        return any(chain.family == IPV6 for chain in self.chains)


@dataclass(frozen=True)
class Observed:
    interface: str
    module_loaded: bool
    link: Link | None  # the interface of our name, ours or not
    device: DumpDevice | None = field(repr=False)  # None when there is no link to ask
    routes: frozenset[tuple[str, int]]  # (destination, ifindex) of every route with our protocol
    firewall: dict[str, TableState]  # iptables: table name -> our part of it
    rp_filter: dict[str, int | None]  # None: interface absent
    cron_lines: tuple[str, ...]  # our entries, id stripped
    rp_filter_replaced: dict[str, int] = field(default_factory=dict)  # what start changed
    # a run was killed between creating the interface and marking it: the link is ours
    creation_pending: bool = False
    # ip6tables, read even for an IPv4-only bundle: chains left by an earlier IPv6 one
    firewall6: dict[str, TableState] = field(default_factory=dict)
    # under fw4: our part of table inet fw4 and our include files (None: iptables)
    nft: NftState | None = None

    def tables(self, family: str) -> dict[str, TableState]:
        return self.firewall6 if family == IPV6 else self.firewall
