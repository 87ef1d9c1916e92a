"""The WireGuard device through `wg` (kernel module or wireguard-go alike), and the
userspace fallback. Keys only ever travel on stdin; `wg show dump` output holds the
private key, so it is parsed and never logged.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from router_wg import fields
from router_wg.backends.runner import Runner
from router_wg.errors import CommandError, UserError


@dataclass(frozen=True)
class DumpPeer:
    """One peer as the device reports it (`wg show <if> dump`)."""

    public_key: str
    preshared_key: str | None = field(repr=False)
    endpoint: str | None
    allowed_ips: frozenset[str]
    latest_handshake: int  # seconds since the epoch; 0 = never
    rx_bytes: int
    tx_bytes: int
    keepalive: int | None


@dataclass(frozen=True)
class DumpDevice:
    private_key: str | None = field(repr=False)
    public_key: str | None
    listen_port: int
    peers: dict[str, DumpPeer]


def parse_dump(text: str) -> DumpDevice:
    """Parse `wg show <if> dump`: the first line is the interface, then one line per peer."""
    lines = [line.split("\t") for line in text.splitlines() if line.strip()]
    if not lines or len(lines[0]) < 3:
        raise ValueError("wg show dump: no interface line")
    head = lines[0]
    peers = {}
    for cols in lines[1:]:
        if len(cols) < 8:
            raise ValueError("wg show dump: short peer line")
        peers[cols[0]] = DumpPeer(
            public_key=cols[0],
            preshared_key=None if cols[1] == "(none)" else cols[1],
            endpoint=None if cols[2] == "(none)" else cols[2],
            allowed_ips=frozenset(fields.normalise_networks(cols[3])),
            latest_handshake=int(cols[4]),
            rx_bytes=int(cols[5]),
            tx_bytes=int(cols[6]),
            keepalive=None if cols[7] == "off" else int(cols[7]) or None,
        )
    return DumpDevice(
        private_key=None if head[0] == "(none)" else head[0],
        public_key=None if head[1] == "(none)" else head[1],
        listen_port=int(head[2]),
        peers=peers,
    )


def dump(runner: Runner, interface: str) -> DumpDevice | None:
    done = runner.run(["wg", "show", interface, "dump"], check=False)
    if done.returncode != 0:
        return None  # a link that is not (or no longer) a WireGuard device
    return parse_dump(done.stdout)


def syncconf(runner: Runner, interface: str, config_text: str) -> None:
    """Apply a configuration (wg0.conf's format, keys in it) without dropping sessions."""
    runner.run(["wg", "syncconf", interface, "/dev/stdin"], secret_input=config_text)


def userspace_available() -> bool:
    return shutil.which("wireguard-go") is not None


def start_userspace(runner: Runner, interface: str) -> None:
    """wireguard-go creates the tun link and daemonises; its socket lives in run_dir."""
    runner.run(["wireguard-go", interface])


def stop_userspace(run_dir: Path, interface: str) -> bool:
    """wireguard-go exits and removes its link when its control socket disappears
    (what wg-quick does too). Returns False when there is no such socket."""
    socket = run_dir / f"{interface}.sock"
    try:
        socket.unlink()
    except FileNotFoundError:
        return False
    return True


def wait_gone(exists, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def module_missing_error(error: CommandError) -> UserError:
    return UserError(
        f"cannot load WireGuard: {error.stderr or error}\n"
        "hint: install your firmware's WireGuard kernel module (FreshTomato: an ARM build "
        "with WireGuard), or install wireguard-go; nothing was changed"
    )
