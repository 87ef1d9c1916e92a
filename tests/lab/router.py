"""A router: a namespace with a WAN on the underlay, a LAN with one host behind it, and a
root folder of its own for router-wg (cron file, lock, state), so nothing touches the host's.

    lan_host (eth0 10.0.N.2) ---- (lan 10.0.N.1) router (wan 198.18.N.2) ---- transit

An IPv6 LAN among `lans` (say fd00:N::/64) turns IPv6 on in that router and its LAN host
only: the router is ::1 on the first one and forwards IPv6, the host is ::2 with an IPv6
default route via it.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys

from lab.commands import run
from lab.namespace import Namespace


def underlay_subnet(index: int) -> ipaddress.IPv4Network:
    """Router N hangs off the transit in 198.18.N.0/24 (RFC 2544 benchmarking space, far from
    the mesh's 10.0.0.0/16 and 192.168.100.0/24): transit .1, router .2."""
    return ipaddress.ip_network(f"198.18.{index}.0/24")


class Router(Namespace):
    def __init__(self, fqdn: str, lans: list[str], *, index: int, nat: bool = False) -> None:
        self.fqdn = fqdn
        self.index = index
        self.nat = nat
        self.lans = [str(ipaddress.ip_network(lan)) for lan in lans]
        if not self.lans:
            raise ValueError(f"{fqdn}: a router needs at least one LAN")
        subnet = underlay_subnet(index)
        self.gateway = str(subnet.network_address + 1)  # the transit's end of the WAN veth
        self.underlay_address = str(subnet.network_address + 2)
        first_lan = ipaddress.ip_network(self.lans[0])
        self.lan_address = str(first_lan.network_address + 1)
        self.lan_host_address = str(first_lan.network_address + 2)
        self.lan6 = next((n for n in map(ipaddress.ip_network, self.lans) if n.version == 6), None)
        self.lan_address6 = str(self.lan6.network_address + 1) if self.lan6 else None
        self.lan_host_address6 = str(self.lan6.network_address + 2) if self.lan6 else None
        self.wireguard_keys: dict[str, str] = {}  # ifname -> public key, set by the lab
        self.lan_host: Namespace | None = None
        super().__init__(fqdn.split(".")[0], kind="r", forwarding=True)
        self.root = self.workdir / "root"
        self.root.mkdir()

    def _create(self) -> None:
        super()._create()
        self.lan_host = Namespace(f"{self.label}-host", kind="h")
        run(
            "lab",
            ["ip", "link", "add", "lan", "netns", self.name, "type", "veth"]
            + ["peer", "name", "eth0", "netns", self.lan_host.name],
        )
        if self.lan6:
            self._enable_ipv6()
        self.ip_batch(
            [f"address add {_first_host(lan)} dev lan" for lan in self.lans] + ["link set lan up"]
        )
        prefix = ipaddress.ip_network(self.lans[0]).prefixlen
        commands = [
            f"address add {self.lan_host_address}/{prefix} dev eth0",
            "link set eth0 up",
            f"route add default via {self.lan_address}",
        ]
        if self.lan6 and self.lan_address6 != self.lan_address:
            commands += [
                f"address add {self.lan_host_address6}/{self.lan6.prefixlen} dev eth0 nodad",
                f"route add default via {self.lan_address6}",
            ]
        self.lan_host.ip_batch(commands)

    def _enable_ipv6(self) -> None:
        """IPv6 on the LAN link of both ends, and by default in the router, so the wg0 that
        router-wg creates later can carry it; the namespaces' `all` stays off."""
        self.sysctl(
            {
                "net.ipv6.conf.lan.disable_ipv6": 0,
                "net.ipv6.conf.default.disable_ipv6": 0,
                "net.ipv6.conf.all.forwarding": 1,
            }
        )
        self.lan_host.sysctl({"net.ipv6.conf.eth0.disable_ipv6": 0})

    def router_wg(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """`python -m router_wg --root <root> args...` in this router, the environment passed
        through (router_wg comes from the venv on the host, from PYTHONPATH in the guest)."""
        argv = [sys.executable, "-m", "router_wg", "--root", str(self.root), *map(str, args)]
        return self.run(argv, check=check, timeout=timeout)

    def close(self) -> None:
        if self.lan_host is not None:
            self.lan_host.close()
        super().close()


def _first_host(lan: str) -> str:
    network = ipaddress.ip_network(lan)
    nodad = " nodad" if network.version == 6 else ""  # usable at once, no 1 s of DAD
    return f"{network.network_address + 1}/{network.prefixlen}{nodad}"
