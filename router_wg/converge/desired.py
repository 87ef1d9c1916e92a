"""The desired state of one router: its bundle, minus what the watchdog withdrew, with
endpoint names replaced by the addresses they resolved to. Pure.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from router_wg.backends.resolve import split_endpoint
from router_wg.bundle.site import Site
from router_wg.bundle.wireguard import WgDevice
from router_wg.converge.firewall_rules import desired_chains
from router_wg.converge.nft_rules import desired_nft_chains
from router_wg.converge.state import DEFAULT_MTU, LOOSE_RP_FILTER, Desired


def desired_state(
    site: Site,
    wg_config: WgDevice,
    withdrawn_peers: frozenset[str],
    resolved_endpoints: Mapping[str, Sequence[str]],
    *,
    cron_line: str = "",
    fw4: bool = False,
) -> Desired:
    """`resolved_endpoints` maps an endpoint as written ("beta.example.net:51820") to the
    "ip:port" strings it resolved to, first preferred; missing or empty = unresolved, and
    that peer gets no endpoint for now (it may still dial us, or the watchdog fills it in).
    `fw4`: the firewall is fw4 (nftables), so the rules go there instead of iptables.
    """
    peers = []
    choices: dict[str, frozenset[str]] = {}
    for peer in wg_config.peers:
        if peer.endpoint is None:
            peers.append(peer)
            continue
        resolved = tuple(resolved_endpoints.get(peer.endpoint, ()))
        peers.append(replace(peer, endpoint=resolved[0] if resolved else None))
        if resolved:
            choices[peer.public_key] = frozenset(resolved)
    routes = frozenset(
        str(lan) for peer in site.peers if peer.fqdn not in withdrawn_peers for lan in peer.lans
    )
    rp_filter = {site.interface: LOOSE_RP_FILTER}
    if site.fallback_interface:
        rp_filter[site.fallback_interface] = LOOSE_RP_FILTER
    return Desired(
        interface=site.interface,
        mtu=site.mtu or DEFAULT_MTU,
        address=f"{site.tunnel_address}/{site.tunnel_prefix}",
        wireguard=replace(wg_config, peers=tuple(peers)),
        routes=routes,
        chains=()
        if fw4
        else desired_chains(
            site.interface,
            site.listen_port,
            site.lans,
            ipv6=uses_ipv6(site, [p.endpoint for p in peers if p.endpoint]),
        ),
        nft_chains=desired_nft_chains(site.interface, site.listen_port, site.lans) if fw4 else (),
        rp_filter=rp_filter,
        cron_line=cron_line,
        endpoint_choices=choices,
        peer_names={p.public_key: p.fqdn for p in site.peers},
    )


def uses_ipv6(site: Site, endpoints: Iterable[str]) -> bool:
    """Whether this router needs the ip6tables chains: an IPv6 LAN (its own or a peer's),
    an IPv6 tunnel address, or a peer reached at an IPv6 endpoint (`endpoints`: the
    "ip:port" each peer gets, names already resolved). An IPv4-only mesh gets none."""
    return (
        site.tunnel_address.version == 6
        or any(lan.version == 6 for lan in site.lans)
        or any(lan.version == 6 for peer in site.peers for lan in peer.lans)
        or any(_is_ipv6(split_endpoint(e)[0]) for e in endpoints)
    )


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:  # not an address: a name nothing resolved
        return False
