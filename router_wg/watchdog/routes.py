"""The peers' LAN routes as the kernel has them, against the watchdog's state."""

from __future__ import annotations

from router_wg.backends.rtnetlink import Reader
from router_wg.bundle.site import Site
from router_wg.watchdog import kernel
from router_wg.watchdog.health import PeerHealth


def state_from_kernel(site: Site, reader: Reader) -> dict[str, PeerHealth]:
    """No state for this boot: a peer none of whose LAN routes is there is withdrawn."""
    routed = kernel.routed_networks(reader, site.interface)
    return {
        peer.fqdn: PeerHealth(
            withdrawn=bool(peer.lans) and not routed & {str(n) for n in peer.lans}
        )
        for peer in site.peers
    }


def routes_out_of_step(site: Site, health: dict[str, PeerHealth], reader: Reader) -> list[str]:
    """Peers whose LAN routes are not as the state says: some present while withdrawn,
    or some missing while not withdrawn."""
    routed = kernel.routed_networks(reader, site.interface)
    out = []
    for peer in site.peers:
        lans = {str(n) for n in peer.lans}
        withdrawn = health.get(peer.fqdn, PeerHealth()).withdrawn
        if (lans & routed) if withdrawn else (lans - routed):
            out.append(peer.fqdn)
    return out
