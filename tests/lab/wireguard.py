"""WireGuard in the lab: the kernel's where there is a module (the ARM guest), wireguard-go
where there is none (the host), driven by the same `wg` commands either way.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from typing import TYPE_CHECKING

import pytest

from lab import names
from lab.commands import run

if TYPE_CHECKING:
    from lab.namespace import Namespace
    from lab.router import Router

LISTEN_PORT = 51820
KEEPALIVE = 25  # what a router behind NAT sends; routers that can be dialled send none
READY_TIMEOUT = 10.0


@functools.cache
def implementation() -> str:
    """ "kernel" or "wireguard-go", decided once per process; skips naming what is missing."""
    names.require("ip", "wg")
    if shutil.which("modprobe"):
        run("lab", ["modprobe", "wireguard"], check=False)
    if _kernel_link_works():
        return "kernel"
    if shutil.which("wireguard-go"):
        return "wireguard-go"
    pytest.skip("no WireGuard: the kernel has no wireguard module and wireguard-go is missing")


def _kernel_link_works() -> bool:
    """Try `ip link add type wireguard` in a scratch namespace: the only reliable test (the
    module may be built in, so /sys/module proves nothing either way)."""
    scratch = names.new_namespace_name("n")
    try:
        run("lab", ["ip", "netns", "add", scratch])
        probe = ["ip", "-n", scratch, "link", "add", "wg0", "type", "wireguard"]
        made = run("lab", probe, check=False)
        return made.returncode == 0
    finally:
        names.remove_namespace(scratch)


def add_link(namespace: Namespace, ifname: str) -> None:
    if implementation() == "kernel":
        namespace.ip("link", "add", ifname, "type", "wireguard")
        return
    log_path = namespace.workdir / f"wireguard-go-{ifname}.log"
    with open(log_path, "w") as log:
        daemon = namespace.popen(["wireguard-go", "-f", ifname], stdout=log, stderr=log)
    socket = namespace.socket_dir / f"{ifname}.sock"
    deadline = time.monotonic() + READY_TIMEOUT
    while not socket.exists():  # the socket appears once the link exists and is configurable
        if daemon.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"{namespace.label}: wireguard-go {ifname} did not come up: {log_path.read_text()}"
            )
        time.sleep(0.02)


def tunnel_address(router: Router, tunnel_prefix: str) -> str:
    return f"{tunnel_prefix}{router.index}"


def link(a: Router, b: Router, *, ifname: str, tunnel_prefix: str) -> None:
    """Peer a and b over WireGuard, with routes for each other's LANs.

    Both ends are configured before either link goes up: a handshake sent to a peer that
    does not know the sender yet is lost, and WireGuard waits 5 s before trying again.
    """
    if a.nat and b.nat:
        raise ValueError(f"{a.fqdn} and {b.fqdn} are both behind NAT: neither can dial")
    for router in (a, b):
        _interface(router, ifname, tunnel_prefix)
    for router, peer in ((a, b), (b, a)):
        allowed = [f"{tunnel_address(peer, tunnel_prefix)}/32", *peer.lans]
        argv = ["wg", "set", ifname, "peer", peer.wireguard_keys[ifname]]
        argv += ["allowed-ips", ",".join(allowed)]
        if not peer.nat:  # by name: this also proves the lab's hosts file resolves
            argv += ["endpoint", f"{peer.fqdn}:{LISTEN_PORT}"]
        if router.nat:
            argv += ["persistent-keepalive", str(KEEPALIVE)]
        router.run(argv)
    for router, peer in ((a, b), (b, a)):
        router.ip_batch(
            [f"link set {ifname} up"] + [f"route replace {lan} dev {ifname}" for lan in peer.lans]
        )


def _interface(router: Router, ifname: str, tunnel_prefix: str) -> None:
    """Create, key and address the router's WireGuard link once; later links reuse it."""
    if ifname in router.wireguard_keys:
        return
    router.add_wireguard(ifname)
    private = run("lab", ["wg", "genkey"]).stdout
    key_file = router.workdir / f"{ifname}.key"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(private)
    router.wireguard_keys[ifname] = run("lab", ["wg", "pubkey"], input=private).stdout.strip()
    router.run(["wg", "set", ifname, "listen-port", LISTEN_PORT, "private-key", key_file])
    router.ip("address", "add", f"{tunnel_address(router, tunnel_prefix)}/24", "dev", ifname)


def latest_handshakes(router: Namespace, ifname: str = "wg0") -> dict[str, int]:
    """Peer public key -> seconds since the epoch of its latest handshake (0: never)."""
    shown = router.run(["wg", "show", ifname, "latest-handshakes"]).stdout
    return {key: int(stamp) for key, stamp in (line.split() for line in shown.splitlines())}
