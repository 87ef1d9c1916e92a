"""The mesh as plain, immutable data: settings, sites, and the links between them.

A `Mesh` read from an answer sheet may lack keys and tunnel addresses; makeconf completes it
(`Mesh.is_complete`) before anything is rendered. Standard library only, no I/O.

Order is part of the output: sites keep the order of the mesh file, every site lists its peers
in that same order, and the record lists pairs sorted by their two fqdns.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from router_wg.bundle.site import Watchdog
from router_wg.fields import IPAddress, IPNetwork, endpoint_of


@dataclass(frozen=True)
class Settings:
    tunnel_network: IPNetwork
    interface: str = "wg0"
    listen_port: int = 51820
    fallback_network: IPNetwork | None = None
    fallback_interface: str | None = None
    keepalive: int = 25
    mtu: int | None = None
    # the [watchdog] values the file sets, in schema order; the watchdog's defaults fill the rest
    watchdog: tuple[tuple[str, int | float], ...] = ()


@dataclass(frozen=True)
class Site:
    fqdn: str
    lans: tuple[IPNetwork, ...] = ()
    endpoint: str | None = None  # host name or IP, without port
    listen_port: int | None = None  # None: the mesh's listen_port
    tunnel_address: IPAddress | None = None  # None: not assigned yet
    nat: bool = False
    private_key: str | None = field(default=None, repr=False)
    public_key: str | None = None
    watchdog: tuple[tuple[str, int | float], ...] = ()  # [site.watchdog]: over [watchdog]


def pair_key(a: str, b: str) -> tuple[str, str]:
    """How a pair of sites is named in the record: its two fqdns, sorted."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class Link:
    """What one site needs to know to talk to one peer."""

    peer: Site
    preshared_key: str = field(repr=False)
    endpoint: str | None  # "host:port" when the peer can be dialled
    keepalive: int | None  # set when this site is behind NAT

    @property
    def allowed_ips(self) -> list[str]:
        """The peer's tunnel address as a host route, then its LANs."""
        address = self.peer.tunnel_address
        assert address is not None, "render only a complete mesh"
        return [f"{address}/{address.max_prefixlen}", *(str(lan) for lan in self.peer.lans)]


@dataclass(frozen=True)
class Mesh:
    settings: Settings
    sites: tuple[Site, ...]
    # pair_key(a, b) -> preshared key; not part of equality so the repr never shows keys
    preshared_keys: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    serial: int = 0  # the record's version (0: none yet); makeconf bumps it on every change

    def site(self, fqdn: str) -> Site:
        return next(site for site in self.sites if site.fqdn == fqdn)

    def port_of(self, site: Site) -> int:
        return site.listen_port or self.settings.listen_port

    def endpoint_of(self, site: Site) -> str | None:
        return endpoint_of(site.endpoint, self.port_of(site)) if site.endpoint else None

    def watchdog_of(self, site: Site | None = None) -> Watchdog:
        """The watchdog's defaults, overridden by [watchdog], then by the site's own table."""
        values = dict(self.settings.watchdog) | dict(site.watchdog if site else ())
        return replace(Watchdog(), **values)

    def pairs(self) -> Iterator[tuple[Site, Site]]:
        for index, first in enumerate(self.sites):
            for second in self.sites[index + 1 :]:
                yield first, second

    def unreachable_pairs(self) -> list[tuple[Site, Site]]:
        """Pairs where neither side can be dialled: no WireGuard link, traffic uses the fallback."""
        return [(a, b) for a, b in self.pairs() if not a.endpoint and not b.endpoint]

    def links_of(self, site: Site) -> list[Link]:
        """The site's WireGuard peers, in mesh order, leaving out those it cannot reach."""
        keepalive = self.settings.keepalive if site.nat else None
        return [
            Link(
                peer=peer,
                preshared_key=self.preshared_keys[pair_key(site.fqdn, peer.fqdn)],
                endpoint=self.endpoint_of(peer),
                keepalive=keepalive,
            )
            for peer in self.sites
            if peer is not site and (peer.endpoint or site.endpoint)
        ]

    @property
    def is_complete(self) -> bool:
        """Every site has keys and a tunnel address, every pair a preshared key."""
        return all(s.private_key and s.public_key and s.tunnel_address for s in self.sites) and all(
            pair_key(a.fqdn, b.fqdn) in self.preshared_keys for a, b in self.pairs()
        )


def usable_addresses(network: IPNetwork) -> Iterator[IPAddress]:
    """Addresses a router may take in the tunnel network, lowest first (lazy: IPv6 is huge)."""
    if network.num_addresses <= 2:
        yield from network
    else:
        yield from network.hosts()


def is_usable_address(network: IPNetwork, address: IPAddress) -> bool:
    if address not in network:
        return False
    if network.num_addresses <= 2:
        return True
    if isinstance(network, ipaddress.IPv4Network):
        return address not in (network.network_address, network.broadcast_address)
    return address != network.network_address
