"""Links, addresses and routes through pyroute2's rtnetlink socket (no `ip` processes).

Importing the `pyroute2` package runs its __init__, which loads every protocol family
(conntrack, ipvs, nl80211, ndb...). On the router only `pyroute2.iproute.linux` is needed,
so `_iproute_class()` imports that module without the package __init__: on the host
74 ms instead of 111 ms (`python -X importtime`), and proportionally less in the ARM guest.
"""

from __future__ import annotations

import importlib
import importlib.util
import ipaddress
import socket
import sys
import types

from router_wg.converge.state import Link
from router_wg.errors import UserError

IFF_UP = 0x1


def _iproute_class():
    if "pyroute2" not in sys.modules:
        spec = importlib.util.find_spec("pyroute2")
        if spec is None or not spec.submodule_search_locations:
            raise UserError("the Python module pyroute2 is missing; install pyroute2 >= 0.9.7")
        package = types.ModuleType("pyroute2")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        sys.modules["pyroute2"] = package  # submodules import; the heavy __init__ does not run
    return importlib.import_module("pyroute2.iproute.linux").IPRoute


def netlink_error():
    return importlib.import_module("pyroute2.netlink.exceptions").NetlinkError


class Netlink:
    """One rtnetlink socket for the whole run."""

    def __init__(self):
        self.ipr = _iproute_class()()

    def close(self) -> None:
        self.ipr.close()

    # -- reading ---------------------------------------------------------------------
    def link(self, name: str) -> Link | None:
        found = self.ipr.link_lookup(ifname=name)
        if not found:
            return None
        msg = self.ipr.get_links(index=found[0])[0]
        addresses = frozenset(
            f"{a.get('IFA_ADDRESS')}/{a['prefixlen']}"
            for a in self.ipr.get_addr(index=found[0])
            if not ipaddress.ip_address(a.get("IFA_ADDRESS")).is_link_local
        )
        return Link(
            index=found[0],
            kind=msg.get(("IFLA_LINKINFO", "IFLA_INFO_KIND")) or "",
            alias=msg.get("IFLA_IFALIAS"),
            mtu=msg.get("IFLA_MTU"),
            up=bool(msg["flags"] & IFF_UP),
            addresses=addresses,
        )

    def wireguard_links(self) -> list[str]:
        return [
            m.get("IFLA_IFNAME")
            for m in self.ipr.get_links()
            if m.get(("IFLA_LINKINFO", "IFLA_INFO_KIND")) == "wireguard"
        ]

    def routes(self, protocol: int) -> frozenset[tuple[str, int]]:
        """(destination, ifindex) of every main-table route carrying our protocol mark."""
        found = set()
        for family in (socket.AF_INET, socket.AF_INET6):
            for r in self.ipr.get_routes(family=family, proto=protocol, table=254):
                if r.get("RTA_DST") is not None:
                    found.add((f"{r.get('RTA_DST')}/{r['dst_len']}", r.get("RTA_OIF")))
        return frozenset(found)

    def route_device(self, address: str) -> str | None:
        """The interface the kernel would send `address` out of now (`ip route get`)."""
        try:
            index = self.ipr.route("get", dst=address)[0].get("RTA_OIF")
        except netlink_error():
            return None
        links = self.ipr.get_links(index=index) if index else []
        return links[0].get("IFLA_IFNAME") if links else None

    # -- changing --------------------------------------------------------------------
    def create_wireguard(self, name: str) -> None:
        self.ipr.link("add", ifname=name, kind="wireguard")

    def mark(self, name: str, alias: str) -> None:
        self.ipr.link("set", index=self._index(name), ifalias=alias)

    def delete(self, name: str) -> None:
        self.ipr.link("del", index=self._index(name))

    def set_mtu(self, name: str, mtu: int) -> None:
        self.ipr.link("set", index=self._index(name), mtu=mtu)

    def set_up(self, name: str, up: bool = True) -> None:
        self.ipr.link("set", index=self._index(name), state="up" if up else "down")

    def address(self, verb: str, name: str, address: str) -> None:
        interface = ipaddress.ip_interface(address)
        self.ipr.addr(
            verb,
            index=self._index(name),
            address=str(interface.ip),
            prefixlen=interface.network.prefixlen,
        )

    def route(self, verb: str, destination: str, ifindex: int, protocol: int) -> None:
        family = ipaddress.ip_network(destination).version == 6 and socket.AF_INET6
        self.ipr.route(
            verb, dst=destination, oif=ifindex, proto=protocol, family=family or socket.AF_INET
        )

    def index(self, name: str) -> int | None:
        found = self.ipr.link_lookup(ifname=name)
        return found[0] if found else None

    def _index(self, name: str) -> int:
        index = self.index(name)
        if index is None:
            raise UserError(f"interface {name} vanished while router-wg was configuring it")
        return index
