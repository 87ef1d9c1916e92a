"""One router's state as plain data, for the planner's unit tests: a site and its WireGuard
configuration, the inputs of a converge, what the resources want of them, and what the
kernel shows right after a start of that (or on a bare router). No kernel is touched."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from router_wg.backends import firewall
from router_wg.backends.netlink import Link
from router_wg.backends.wireguard import DumpDevice, DumpPeer
from router_wg.bundle.site import Peer, Site
from router_wg.bundle.wireguard import WgDevice, WgPeer
from router_wg.converge import planner
from router_wg.converge.inputs import Inputs
from router_wg.converge.resources import fallback, iptables, link, routes, rp_filter, watcher
from router_wg.converge.resources.iptables.rules import FAMILIES, TableState

PRIVATE, PSK = "P" * 43 + "=", "S" * 43 + "="
KEYS = {"beta": "B" * 43 + "=", "gamma": "C" * 43 + "=", "delta": "D" * 43 + "="}
CRON_LINE = "* * * * * router-wg check"
WATCHER_ARGV = ("router-wg", "watch", "--conf-dir", "/jffs/router-wg")
INDEX = 7  # the ifindex of our wg0 in these states
net, addr = ipaddress.ip_network, ipaddress.ip_address


def peer(name: str, lans=None, tunnel: str = "192.168.100.9") -> Peer:
    """Peer `name` ("beta") at <name>.example.net:51820, with its LANs (default 10.0.N.0/24)."""
    number = {"beta": 2, "gamma": 3, "delta": 4}[name]
    return Peer(
        f"{name}.example.net",
        KEYS[name],
        addr(tunnel),
        tuple(map(net, lans or (f"10.0.{number}.0/24",))),
        endpoint=f"{name}.example.net:51820",
    )


def site(peers=("beta", "gamma"), *, lans=("10.0.1.0/24",), tunnel="192.168.100.1", **fields):
    """alpha.example.net with these peers (names, or Peer values), tinc as its fallback."""
    v6 = addr(tunnel).version == 6
    return Site(
        fqdn="alpha.example.net",
        interface="wg0",
        tunnel_address=addr(tunnel),
        tunnel_prefix=64 if v6 else 24,
        listen_port=51820,
        lans=tuple(map(net, lans)),
        peers=tuple(p if isinstance(p, Peer) else peer(p) for p in peers),
        **{"fallback_network": net("10.0.0.0/16"), "fallback_interface": "tinc", **fields},
    )


def device_for(s: Site, keepalive: int | None = 25) -> WgDevice:
    """The wg0.conf makeconf writes for `s`: each peer with its tunnel address and LANs."""
    return WgDevice(
        PRIVATE,
        s.listen_port,
        tuple(
            WgPeer(
                p.public_key,
                tuple(
                    sorted(
                        {f"{p.tunnel_address}/{p.tunnel_address.max_prefixlen}"}
                        | {str(n) for n in p.lans}
                    )
                ),
                PSK,
                p.endpoint,
                keepalive,
            )
            for p in s.peers
        ),
    )


RESOLVED = {
    "beta.example.net:51820": ["172.16.0.2:51820"],
    "gamma.example.net:51820": ["172.16.0.3:51820", "[fd00::3]:51820"],
    "delta.example.net:51820": ["172.16.0.4:51820"],
}


def inputs(s: Site | None = None, *, withdrawn=frozenset(), resolved=None, fw=firewall.IPTABLES):
    s = s or site()
    return Inputs(
        s,
        device_for(s),
        frozenset(withdrawn),
        RESOLVED if resolved is None else resolved,
        CRON_LINE,
        fw,
        WATCHER_ARGV,
    )


def wanted(i: Inputs | None = None) -> dict:
    return planner.wanted_state(i or inputs(), planner.RESOURCES)


def tables_of(chains) -> dict[str, dict[str, TableState]]:
    """The iptables right after a start installed `chains`: family -> table -> ours."""
    tables: dict[str, dict[str, TableState]] = {family: {} for family in FAMILIES}
    for chain in chains:
        table = tables[chain.family].setdefault(chain.table, TableState({}, {}))
        table.chains[chain.name] = chain.rules
        table.jumps[chain.jump] = 1
    return tables


def converged(w: dict, *, chains=None) -> dict:
    """What the kernel shows right after a successful start of `w` (iptables holding
    `chains` instead of the wanted ones, if given)."""
    want = w["link"]
    peers = {
        p.public_key: DumpPeer(
            p.public_key,
            p.preshared_key,
            p.endpoint,
            p.allowed_networks,
            1700000000,
            100,
            200,
            p.keepalive,
        )
        for p in want.device.peers
    }
    mark = Link(INDEX, "wireguard", "router-wg", want.mtu, True, frozenset({want.address}))
    return {
        "link": link.Observed("wg0", True, mark, DumpDevice(PRIVATE, "pub", 51820, peers)),
        "routes": routes.Observed(INDEX, frozenset((d, INDEX) for d in w["routes"].destinations)),
        "fallback": frozenset((n, fallback.METRIC) for n in w["fallback"].networks),
        "iptables": iptables.Observed(
            tables_of(w["iptables"].chains if chains is None else chains)
        ),
        "fw4": None,
        "rp_filter": rp_filter.Observed("wg0", dict(w["rp_filter"].values)),
        "cron": (w["cron"],),
        "watcher": watcher.Observed(running=True, pid=4242, ours=True),
    }


def bare() -> dict:
    """A router router-wg never ran on: no module, no link, tinc with strict rp_filter."""
    return {
        "link": link.Observed("wg0", False, None, None),
        "routes": routes.Observed(None, frozenset()),
        "fallback": frozenset(),
        "iptables": iptables.Observed({}),
        "fw4": None,
        "rp_filter": rp_filter.Observed("wg0", {"tinc": 0}),
        "cron": (),
        "watcher": watcher.Observed(running=False, pid=None, ours=True),
    }


def with_link(observed: dict, **changes) -> dict:
    """`observed` with the link's fields (alias, mtu, up, addresses...) changed."""
    state = observed["link"]
    return {**observed, "link": replace(state, link=replace(state.link, **changes))}
