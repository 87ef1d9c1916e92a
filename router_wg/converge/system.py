"""The system a run works on: the runner, the paths, the netlink socket, cron, and the
observer that reads our objects out of it (`observe`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from router_wg.backends import firewall, module, nftables, sysctl, wireguard
from router_wg.backends.cron import Cron
from router_wg.backends.netlink import Netlink
from router_wg.backends.platform import detect
from router_wg.backends.runner import Runner
from router_wg.converge.firewall_rules import TableState, parse_save
from router_wg.converge.nft_rules import NftState, every_include, parse_listing
from router_wg.converge.state import ROUTE_PROTOCOL, Observed
from router_wg.errors import CommandError
from router_wg.paths import Paths

log = logging.getLogger("router_wg")


@dataclass
class System:
    paths: Paths
    runner: Runner = field(default_factory=Runner)
    _netlink: Netlink | None = None
    _cron: Cron | None = None
    userspace: bool = False  # set when the applier falls back to wireguard-go

    @property
    def netlink(self) -> Netlink:
        if self._netlink is None:
            self._netlink = Netlink()
        return self._netlink

    @property
    def cron(self) -> Cron:
        if self._cron is None:
            self._cron = Cron(detect(self.paths), self.paths, self.runner)
        return self._cron

    def close(self) -> None:
        if self._netlink is not None:
            self._netlink.close()


def creation_pending_file(paths: Paths, interface: str):
    return paths.creation_pending(interface)


def ip6tables_marker(paths: Paths):
    """Exists from before a run's first ip6tables change until a run leaves none of ours
    there: an IPv4-only router never pays for reading ip6tables (state dir: the rules and
    the marker both go at reboot)."""
    return paths.ip6tables_marker


def observe(system: System, interface: str, rp_interfaces=(), ipv6: bool = False) -> Observed:
    """Only our objects: routes with our protocol, RWG_* chains and their jumps (iptables,
    and ip6tables when `ipv6` is wanted or an earlier run used it), our cron entry, and the
    interface of our name (ours or not; the planner decides). rp_filter is read on
    `rp_interfaces` and on every interface whose value start replaced. Under fw4 the
    firewall is our part of table inet fw4 and our include files instead of iptables."""
    fw4 = firewall.kind() == firewall.FW4
    replaced = sysctl.replaced(system.paths)
    link = system.netlink.link(interface)
    pending = bool(link) and creation_pending_file(system.paths, interface).exists()
    device = wireguard.dump(system.runner, interface) if link and (link.ours or pending) else None
    return Observed(
        interface=interface,
        module_loaded=module.loaded(),
        link=link,
        device=device,
        routes=system.netlink.routes(ROUTE_PROTOCOL),
        firewall={} if fw4 else parse_save(firewall.save(system.runner)),
        firewall6=_observe_ip6tables(system)
        if not fw4 and (ipv6 or ip6tables_marker(system.paths).exists())
        else {},
        nft=observe_fw4(system) if fw4 else None,
        rp_filter={name: sysctl.read_rp_filter(name) for name in {*rp_interfaces, *replaced}},
        cron_lines=system.cron.entries(),
        creation_pending=pending,
        rp_filter_replaced=replaced,
    )


def _observe_ip6tables(system: System) -> dict[str, TableState]:
    """Our ip6tables chains, read whatever the bundle says (an earlier start of an IPv6
    bundle may have left some); none on a router without ip6tables."""
    if not firewall.installed(ipv6=True):
        log.debug("no %s: skipping the IPv6 firewall", firewall.program("save", ipv6=True))
        return {}
    try:
        return parse_save(firewall.save(system.runner, ipv6=True))
    except CommandError as exc:  # e.g. a kernel built without IPv6: IPv4 must still work
        log.warning("warning: cannot read ip6tables (%s); taking it as holding none of ours", exc)
        return {}


def observe_fw4(system: System) -> NftState:
    """One `nft -a list table inet fw4`, and our files in fw4's include folders."""
    listed = parse_listing(nftables.list_table(system.runner))
    includes = nftables.read_includes(system.paths.nftables_includes, every_include())
    return replace(listed, includes=includes)
