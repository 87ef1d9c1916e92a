"""tinc 1.0 joining every router of a lab: the slow VPN that WireGuard falls back to.

Per router, in its scratch folder `tinc/`: tinc.conf (router mode, ConnectTo the hub, see
`hub`), hosts/<node> for every router (Address, or TCPOnly for a router behind
NAT; Subnet = its LANs and its tinc address; its RSA public key), and a tinc-up that adds ONE
route, for the whole fallback network. WireGuard's per-LAN routes are narrower, so they win
while they exist; remove one and the kernel falls back to tinc by itself.

tinc-up also gives the tinc link an address of its own, 100.64.0.N/24 (router N), away from
the LANs. Traffic a router sends itself over tinc leaves with that source (the kernel picks
the outgoing link's address), and the answer comes back over tinc whatever WireGuard routes
exist for the LANs. A LAN address there would not do: while the far end still had a
WireGuard route for our LAN, it would answer through wg0, and a ping bound to the tinc link
never sees that answer. Forwarded LAN traffic keeps its own source either way.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lab import names
from lab.commands import run

if TYPE_CHECKING:
    from lab.router import Router

TINC_PORT = 655  # TCP for the meta connection, UDP for packets
KEY_BITS = 1024  # plenty for a test, and quick under ARM emulation
READY_TIMEOUT = 60.0
# node name -> (private key file, public key block): RSA keys are slow under ARM emulation,
# so a session makes one per node name and every lab of that session reuses it
_keys: dict[str, tuple[str, str]] = {}
TINC_LINK_NETWORK = "100.64.0.0/24"  # shared address space (RFC 6598), far from mesh and underlay


def node_name(fqdn: str) -> str:
    """tinc names allow only letters, digits and underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", fqdn)


def config_dir(router: Router) -> Path:
    return router.workdir / "tinc"


def tinc_address(router: Router) -> str:
    """The router's own address on its tinc link."""
    return str(ipaddress.ip_network(TINC_LINK_NETWORK).network_address + router.index)


def hub(routers: list[Router]) -> Router:
    """The router every other one dials: the first that can be dialled.

    The meta connections form a star, so exactly one path of them joins any two routers.
    tinc 1.0 sends a node a fresh session key each time that node becomes reachable or asks,
    along the path the graph gives at that moment, and keeps the last key it receives. While a
    full mesh of meta connections forms, two keys for the same pair can travel two paths (one
    relayed, one direct) and the older one arrive last: the pair's packets then fail to decrypt
    (3 of 150 lab starts with a full mesh: nothing crossed for the 60 s of READY_TIMEOUT).
    With one path the keys cannot overtake each other. Packets still go straight between the
    routers over UDP (tinc learns every address from the edges), only the meta protocol goes
    through the hub; a router behind NAT (TCPOnly) sends its packets through the hub too."""
    dialable = [r for r in routers if not r.nat]
    if not dialable:
        raise RuntimeError("tinc needs one router that can be dialled: every router is behind NAT")
    return dialable[0]


def start(routers: list[Router], fallback_network: str, interface: str) -> None:
    names.require("tincd")
    fallback = ipaddress.ip_network(fallback_network)
    centre = hub(routers)
    for router in routers:
        _configure(router, [] if router is centre else [centre], fallback, interface)
    for router in routers:  # every node needs every other node's host file (its key)
        own = (config_dir(router) / "hosts" / node_name(router.fqdn)).read_text()
        for other in routers:
            if other is not router:
                (config_dir(other) / "hosts" / node_name(router.fqdn)).write_text(own)
    _launch(centre)  # listening before anyone dials it: every dial succeeds at the first try
    for router in routers:
        if router is not centre:
            _launch(router)
    _wait_ready(routers, interface)


def _configure(router: Router, dialled: list[Router], fallback, interface: str) -> None:
    conf = config_dir(router)
    (conf / "hosts").mkdir(parents=True)
    settings = [
        f"Name = {node_name(router.fqdn)}",
        f"Interface = {interface}",
        "Mode = router",
        "AddressFamily = ipv4",
        *(f"ConnectTo = {node_name(r.fqdn)}" for r in dialled),
    ]
    (conf / "tinc.conf").write_text("\n".join(settings) + "\n")
    # behind NAT nobody can send it the first UDP packet: tinc 1.0's answer is TCPOnly
    host = ["TCPOnly = yes"] if router.nat else [f"Address = {router.underlay_address}"]
    host += [f"Subnet = {lan}" for lan in router.lans] + [f"Subnet = {tinc_address(router)}/32"]
    (conf / "hosts" / node_name(router.fqdn)).write_text("\n".join(host) + "\n")
    _install_keys(router, conf)
    up = conf / "tinc-up"
    prefix = ipaddress.ip_network(TINC_LINK_NETWORK).prefixlen
    up.write_text(
        "#!/bin/sh\n"
        "# one wide route: WireGuard's narrower per-LAN routes win while they exist\n"
        'ip link set "$INTERFACE" up\n'
        f'ip address add {tinc_address(router)}/{prefix} dev "$INTERFACE"\n'
        f'ip route add {fallback} dev "$INTERFACE"\n'
    )
    up.chmod(0o755)


def _install_keys(router: Router, conf: Path) -> None:
    name = node_name(router.fqdn)
    host_file, private_file = conf / "hosts" / name, conf / "rsa_key.priv"
    if name not in _keys:
        # appends the public key to hosts/<Name>; empty stdin accepts the default file names
        run(router.label, ["tincd", "-c", conf, f"-K{KEY_BITS}"])
        public = host_file.read_text().partition("-----BEGIN")[1:]
        _keys[name] = (private_file.read_text(), "".join(public))
        return
    private, public = _keys[name]
    fd = os.open(private_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(private)
    with open(host_file, "a") as out:
        out.write(public)


def _launch(router: Router) -> None:
    """Start tincd and wait for its "Ready" (listening, tinc-up done), bounded."""
    conf, log_path = config_dir(router), router.workdir / "tincd.log"
    with open(log_path, "w") as log:
        daemon = router.popen(
            ["tincd", "-c", conf, "-D", "-d3", f"--pidfile={conf / 'tinc.pid'}"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + READY_TIMEOUT
    while "\nReady\n" not in log_path.read_text():
        if daemon.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{router.label}: tincd did not start: {log_path.read_text()}")
        time.sleep(0.02)


def _wait_ready(routers: list[Router], interface: str) -> None:
    """Ready when each router pings the next one's tinc address: a ring, so every node has
    sent and answered over tinc (with two or three routers, every pair has exchanged keys)."""
    if len(routers) < 2:
        return
    deadline = time.monotonic() + READY_TIMEOUT
    for router, target in zip(routers, routers[1:] + routers[:1], strict=True):
        while not router.ping(tinc_address(target), count=1):
            if time.monotonic() > deadline:
                logs = {r.label: (r.workdir / "tincd.log").read_text()[-2000:] for r in routers}
                raise RuntimeError(
                    f"tinc not ready after {READY_TIMEOUT:g} s: {router.label} cannot reach "
                    f"{tinc_address(target)} over {interface}; tincd logs: {logs}"
                )
            time.sleep(0.2)
