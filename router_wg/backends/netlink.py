"""Links, addresses and routes: read with our own rtnetlink reader, changed with pyroute2.

pyroute2 is the library router-wg changes the kernel with (no `ip` processes, one socket, a
tested encoder for every request); it is a chosen dependency. But importing it costs about
3 s in the ARM guest (measured: no-op `start` 3.07 s of which about 3 s was that import,
against `python3 -c pass` at 0.2 s), so nothing that only looks imports it: `Netlink` reads
through `rtnetlink.Reader` (standard library) and creates pyroute2's IPRoute on the first
change. A no-op `start`, `plan`, `show` and a re-apply after a firewall flush never import it.

Importing the `pyroute2` package runs its __init__, which loads every protocol family
(conntrack, ipvs, nl80211, ndb...). Only `pyroute2.iproute.linux` is needed, so
`_iproute_class()` imports that module without the package __init__: on the host 74 ms
instead of 111 ms (`python -X importtime`), and proportionally less in the ARM guest.
"""

from __future__ import annotations

import importlib
import importlib.util
import ipaddress
import socket
import sys
import types
from dataclasses import dataclass

from router_wg.backends.rtnetlink import RTN_UNICAST, RTN_UNREACHABLE, LinkInfo, Reader, RouteInfo
from router_wg.errors import UserError
from router_wg.marks import INTERFACE_ALIAS

MAIN_TABLE = 254
RT_SCOPE_NOWHERE = 255  # in a delete: any scope


@dataclass(frozen=True)
class Link:
    index: int
    kind: str  # "wireguard" (kernel) or "tun" (wireguard-go)
    alias: str | None
    mtu: int
    up: bool
    addresses: frozenset[str]  # "192.168.100.1/24", link-local left out

    @property
    def ours(self) -> bool:
        return self.alias == INTERFACE_ALIAS


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


def load_pyroute2() -> None:
    """Import pyroute2 now rather than at the first change: for a long-lived process
    (`check --loop`), whose first change is a failover that should not wait for it."""
    _iproute_class()


class Netlink:
    """One reading socket for the whole run, and pyroute2's IPRoute once something changes."""

    def __init__(self):
        self.reader = Reader()
        self._ipr = None
        self._main_routes: list[RouteInfo] | None = None  # one dump per run, until a change

    @property
    def ipr(self):
        """pyroute2's IPRoute: only a change comes here, so what was read is stale now."""
        self._main_routes = None
        if self._ipr is None:
            self._ipr = _iproute_class()()
        return self._ipr

    def close(self) -> None:
        self.reader.close()
        if self._ipr is not None:
            self._ipr.close()

    # -- reading ---------------------------------------------------------------------
    def _link_info(self, name: str) -> LinkInfo | None:
        return next((x for x in self.reader.links() if x.name == name), None)

    def link(self, name: str) -> Link | None:
        found = self._link_info(name)
        if found is None:
            return None
        addresses = frozenset(
            a.address
            for a in self.reader.addresses()
            if a.index == found.index and not ipaddress.ip_interface(a.address).ip.is_link_local
        )
        return Link(
            index=found.index,
            kind=found.kind,
            alias=found.alias,
            mtu=found.mtu,
            up=found.up,
            addresses=addresses,
        )

    def wireguard_links(self) -> list[str]:
        return [x.name for x in self.reader.links() if x.kind == "wireguard"]

    def routes(self, protocol: int) -> frozenset[tuple[str, int]]:
        """(destination, ifindex) of every main-table unicast route carrying our protocol
        mark."""
        return frozenset(
            (r.destination, r.oif) for r in self._marked(protocol) if r.kind == RTN_UNICAST
        )

    def unreachable_routes(self, protocol: int) -> frozenset[tuple[str, int]]:
        """(destination, metric) of every main-table unreachable route with our mark."""
        return frozenset(
            (r.destination, r.metric) for r in self._marked(protocol) if r.kind == RTN_UNREACHABLE
        )

    def _marked(self, protocol: int) -> list[RouteInfo]:
        if self._main_routes is None:
            self._main_routes = [
                r
                for family in (socket.AF_INET, socket.AF_INET6)
                for r in self.reader.routes(family)
                if r.table == MAIN_TABLE and r.destination is not None
            ]
        return [r for r in self._main_routes if r.protocol == protocol]

    def route_device(self, address: str) -> str | None:
        """The interface the kernel would send `address` out of now (`ip route get`)."""
        index = self.reader.route_get(address)
        found = [x.name for x in self.reader.links() if x.index == index] if index else []
        return found[0] if found else None

    def index(self, name: str) -> int | None:
        # one ioctl instead of a dump: the applier asks once per route it adds
        try:
            return socket.if_nametoindex(name)
        except OSError:
            return None

    # -- changing --------------------------------------------------------------------
    def create_wireguard(self, name: str) -> None:
        self.ipr.link("add", ifname=name, kind="wireguard")

    def mark(self, name: str, alias: str) -> None:
        self.ipr.link("set", index=self.must_index(name), ifalias=alias)

    def delete(self, name: str) -> None:
        self.ipr.link("del", index=self.must_index(name))

    def set_mtu(self, name: str, mtu: int) -> None:
        self.ipr.link("set", index=self.must_index(name), mtu=mtu)

    def set_up(self, name: str, up: bool = True) -> None:
        self.ipr.link("set", index=self.must_index(name), state="up" if up else "down")

    def address(self, verb: str, name: str, address: str) -> None:
        interface = ipaddress.ip_interface(address)
        self.ipr.addr(
            verb,
            index=self.must_index(name),
            address=str(interface.ip),
            prefixlen=interface.network.prefixlen,
        )

    def route(self, verb: str, destination: str, ifindex: int, protocol: int) -> None:
        family = ipaddress.ip_network(destination).version == 6 and socket.AF_INET6
        # a delete matches any scope, as `ip route del` does (RT_SCOPE_NOWHERE); pyroute2's
        # default, universe, misses a route someone made with `scope link` ("No such process")
        scope = {"scope": RT_SCOPE_NOWHERE} if verb == "del" else {}
        self.ipr.route(
            verb,
            dst=destination,
            oif=ifindex,
            proto=protocol,
            family=family or socket.AF_INET,
            **scope,
        )

    def unreachable(self, verb: str, destination: str, metric: int, protocol: int) -> None:
        """An unreachable route (`ip route add unreachable DST metric M proto P`): what
        matches it and nothing narrower is answered "no route", never sent anywhere."""
        family = (
            socket.AF_INET6 if ipaddress.ip_network(destination).version == 6 else socket.AF_INET
        )
        self.ipr.route(
            verb,
            dst=destination,
            type="unreachable",
            priority=metric,
            proto=protocol,
            family=family,
        )

    def must_index(self, name: str) -> int:
        index = self.index(name)
        if index is None:
            raise UserError(f"interface {name} vanished while router-wg was configuring it")
        return index
