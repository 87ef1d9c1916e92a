"""A router: a namespace with a WAN on the underlay, a LAN with one host behind it, and a
root folder of its own for router-wg (cron file, lock, state), so nothing touches the host's.

    lan_host (eth0 10.0.N.2) ---- (lan 10.0.N.1) router (wan 198.18.N.2) ---- transit
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
        self.ip_batch(
            [f"address add {_first_host(lan)} dev lan" for lan in self.lans] + ["link set lan up"]
        )
        prefix = ipaddress.ip_network(self.lans[0]).prefixlen
        self.lan_host.ip_batch(
            [
                f"address add {self.lan_host_address}/{prefix} dev eth0",
                "link set eth0 up",
                f"route add default via {self.lan_address}",
            ]
        )

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
    return f"{network.network_address + 1}/{network.prefixlen}"
