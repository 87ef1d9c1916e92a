"""The lab: a small internet of routers hanging off one transit namespace.

                         transit (forwards; drops, loses, delays, NATs)
              r1 198.18.1.1 /        |         \\ r3 198.18.3.1
                             /       |          \\
        wan 198.18.1.2  alpha      bravo ...     charlie  wan 198.18.3.2 (nat: SNAT to .3.1)
        lan 10.0.1.1      |          |              |
        eth0 10.0.1.2  alpha-host  bravo-host    charlie-host

Every router's /etc/hosts (through /etc/netns) names every router's underlay address, so
endpoints can be given by fqdn. A router added with nat=True is masqueraded by the transit to
the transit's own address on its subnet, and new connections towards it are dropped: it can
dial out and be answered, never be dialled.
"""

from __future__ import annotations

from lab import names, tinc, wireguard
from lab.commands import run
from lab.impairments import Impairments
from lab.namespace import Echoes, Namespace
from lab.router import Router


class Lab:
    def __init__(self) -> None:
        self.routers: list[Router] = []
        self.iptables = names.iptables()
        self.tinc_interface: str | None = None
        self.transit = Namespace("transit", kind="t", forwarding=True)
        self.impairments = Impairments(self.transit, self.iptables)

    def add_router(self, fqdn: str, lans: list[str], *, nat: bool = False) -> Router:
        if any(r.fqdn == fqdn for r in self.routers):
            raise ValueError(f"the lab already has a router called {fqdn}")
        if self.tinc_interface:
            raise RuntimeError("add every router before start_tinc(): tinc joins them once")
        index = len(self.routers) + 1
        router = Router(fqdn, lans, index=index, nat=nat)
        try:
            self._attach(router)
        except BaseException:
            router.close()
            raise
        self.routers.append(router)
        everyone = {r.fqdn: r.underlay_address for r in self.routers}
        for each in self.routers:
            each.add_hosts(everyone)
        return router

    def _attach(self, router: Router) -> None:
        transit_end = f"r{router.index}"
        run(
            "lab",
            ["ip", "link", "add", "wan", "netns", router.name, "type", "veth"]
            + ["peer", "name", transit_end, "netns", self.transit.name],
        )
        # both ends up before anything speaks WireGuard over them, or its first handshake is
        # lost and WireGuard waits 5 s to retry
        self.transit.ip_batch(
            [f"address add {router.gateway}/24 dev {transit_end}", f"link set {transit_end} up"]
        )
        router.ip_batch(
            [
                f"address add {router.underlay_address}/24 dev wan",
                "link set wan up",
                f"route add default via {router.gateway}",
            ]
        )
        if router.nat:
            iptables = [self.iptables, "-w", "10"]
            self.transit.run(
                [*iptables, "-t", "nat", "-A", "POSTROUTING", "-s", router.underlay_address]
                + ["-j", "SNAT", "--to-source", router.gateway]
            )
            self.transit.run(
                [*iptables, "-A", "FORWARD", "-d", router.underlay_address]
                + ["-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"]
            )

    # --- impairments of the underlay (see impairments.py) ----------------------------------

    def cut(self, a: Router, b: Router, *, what: str = "wireguard", one_way: bool = False) -> None:
        self.impairments.cut(a, b, what=what, one_way=one_way)

    def heal(self, a: Router, b: Router) -> None:
        self.impairments.heal(a, b)

    def loss(self, a: Router, b: Router, percent: float) -> None:
        self.impairments.loss(a, b, percent)

    def delay(self, a: Router, b: Router, ms: float) -> None:
        self.impairments.delay(a, b, ms)

    def set_uplink(self, router: Router, up: bool) -> None:
        if up:
            router.ip("route", "replace", "default", "via", router.gateway)
        else:
            router.ip("route", "del", "default", check=False)

    # --- what rides on top -----------------------------------------------------------------

    def start_tinc(self, fallback_network: str = "10.0.0.0/16", interface: str = "tinc") -> None:
        if self.tinc_interface:
            raise RuntimeError("tinc is already running in this lab")
        self.tinc_interface = interface
        tinc.start(self.routers, fallback_network, interface)

    def wireguard_link(
        self, a: Router, b: Router, *, ifname: str = "wg0", tunnel_prefix: str = "192.168.100."
    ) -> None:
        wireguard.link(a, b, ifname=ifname, tunnel_prefix=tunnel_prefix)

    def ping(self, a: Router, b: Router, *, count: int = 3) -> Echoes:
        """a's LAN host pings b's LAN host, by whatever path the routers choose."""
        return a.lan_host.ping(b.lan_host_address, count=count)

    def close(self) -> None:
        """Remove every router, host and the transit; keeps going past a failure."""
        failures: list[BaseException] = []
        for each in [*reversed(self.routers), self.transit]:
            try:
                each.close()
            except Exception as failure:  # noqa: BLE001 - the rest must still go
                failures.append(failure)
        self.routers.clear()
        if failures:
            raise failures[0]
