"""One network namespace, with its own /run/wireguard and its own /etc/hosts.

wireguard-go keeps its control sockets in /run/wireguard, one folder for the whole machine:
two routers that both call their link `wg0` would fight over `wg0.sock`. So every command
runs as

    ip netns exec NS sh -c 'mount --bind "$1" /run/wireguard && shift && exec "$@"' sh \
        /run/rwg-NS argv...

`ip netns exec` gives each invocation a mount namespace of its own (slave to the host's, so
the bind never leaks out) and binds /etc/netns/NS/hosts over /etc/hosts; the bind adds this
namespace's socket folder. A wireguard-go started that way keeps that mount for its whole
life, and every later `wg` run through the same wrapper sees its socket. No holder process
is needed, so there is nothing to keep alive or reap besides the daemons themselves.
`ip -n NS ...` needs neither file, so plain `ip` commands skip the wrapper, and so do the
lab's own sysctl, cat and ping (`ip netns exec` alone): spawning costs under emulation.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lab import names
from lab.commands import CommandFailed, run, say

MOUNT_WRAPPER = 'mount --bind "$1" /run/wireguard && shift && exec "$@"'
PING_PACKET_BYTES = 84  # an IPv4 echo with ping's default 56-byte payload, as links count it
# WireGuard's handshake initiation message. The kernel module counts the ones it sends on the
# interface's tx (wireguard-go does not): on a cut link it retries every 5 s while a packet
# waits for a session, e.g. the watchdog's probe.
HANDSHAKE_INITIATION_BYTES = 148


ECHO_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
ROUND_TRIPS = re.compile(r"min/avg/max\S* = ([\d.]+)/")


@dataclass(frozen=True)
class Echoes:
    """What a ping got back. True when every echo was answered; `received` says how many."""

    address: str
    sent: int
    received: int
    output: str = field(repr=False)

    def __bool__(self) -> bool:
        return self.received == self.sent

    def __str__(self) -> str:
        return f"ping {self.address}: {self.received}/{self.sent} answered"

    @property
    def fastest_ms(self) -> float | None:
        """The shortest round trip, from ping's summary line (None when nothing came back)."""
        summary = ROUND_TRIPS.search(self.output)
        return float(summary.group(1)) if summary else None


class Namespace:
    """An empty network namespace (lo up, IPv6 off so nothing chatters on counted links)."""

    def __init__(self, label: str = "ns", *, kind: str = "n", forwarding: bool = False) -> None:
        names.sweep_stale_once()
        self.label = label  # what the command log calls it: "alpha", "alpha-host", "transit"
        self.forwarding = forwarding
        self.name = names.new_namespace_name(kind)
        self.socket_dir = names.socket_dir(self.name)
        self._hosts: dict[str, str] = {}
        self._children: list[subprocess.Popen] = []
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        try:
            self._create()
        except BaseException:
            self.close()
            raise

    def _create(self) -> None:
        run("lab", ["ip", "netns", "add", self.name])
        self.socket_dir.mkdir(mode=0o700)
        Path("/run/wireguard").mkdir(exist_ok=True)  # the mount point of the bind above
        if not Path("/etc/hosts").exists():  # a minimal guest may have none to bind over
            Path("/etc/hosts").write_text("127.0.0.1\tlocalhost\n")
        (names.NETNS_ETC / self.name).mkdir(parents=True)
        self._write_hosts()
        self.ip("link", "set", "lo", "up")
        # IPv6 off (where the kernel has it): nothing chatters on links whose bytes are counted
        settings = {"net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1}
        if self.forwarding:
            settings["net.ipv4.ip_forward"] = 1
        self.sysctl(settings, ignore_missing=True)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label} ({self.name})>"

    # --- running things inside -------------------------------------------------------------

    def wrap(self, argv: Sequence[str]) -> list[str]:
        """argv as it must be spawned to run inside this namespace (see the module doc)."""
        inside = ["sh", "-c", MOUNT_WRAPPER, "sh", str(self.socket_dir)]
        return ["ip", "netns", "exec", self.name, *inside, *map(str, argv)]

    def run(
        self,
        argv: Sequence[str],
        *,
        input: str | None = None,
        check: bool = True,
        timeout: float = 30,
    ) -> subprocess.CompletedProcess[str]:
        return run(
            self.label, argv, actual=self.wrap(argv), input=input, check=check, timeout=timeout
        )

    def popen(self, argv: Sequence[str], **kwargs) -> subprocess.Popen:
        """Start a daemon inside; it is stopped when the namespace is closed."""
        say(self.label, [str(a) for a in argv] + ["&"])
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        child = subprocess.Popen(self.wrap(argv), **kwargs)
        self._children.append(child)
        return child

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = ["ip", *map(str, args)]
        return run(self.label, argv, actual=["ip", "-n", self.name, *argv[1:]], check=check)

    def ip_batch(self, commands: Sequence[str]) -> None:
        """Several `ip` commands in one process (cheap under emulation); stops at the first
        failure."""
        for command in commands:
            say(self.label, ["ip", *shlex.split(command)])
        done = subprocess.run(
            ["ip", "-n", self.name, "-batch", "-"],
            input="\n".join(commands) + "\n",
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise CommandFailed(self.label, ["ip", "-batch", "-"], done)

    def sysctl(self, settings: dict[str, object], *, ignore_missing: bool = False) -> None:
        argv = ["sysctl", "-qw"] + (["-e"] if ignore_missing else [])
        self._exec([*argv, *(f"{k}={v}" for k, v in settings.items())])

    def _exec(self, argv: Sequence[str], **kwargs) -> subprocess.CompletedProcess[str]:
        """Inside the netns without the /run/wireguard bind: for commands that never use it."""
        actual = ["ip", "netns", "exec", self.name, *map(str, argv)]
        return run(self.label, argv, actual=actual, **kwargs)

    # --- what tests use --------------------------------------------------------------------

    def add_hosts(self, names_to_addresses: dict[str, str]) -> None:
        """Make names resolve inside (endpoint names in wg.conf, tinc Address lines)."""
        for address in names_to_addresses.values():
            ipaddress.ip_address(address)  # a typo here would only show as a DNS failure
        self._hosts.update(names_to_addresses)
        self._write_hosts()

    def _write_hosts(self) -> None:
        lines = ["127.0.0.1\tlocalhost"] + [f"{a}\t{n}" for n, a in sorted(self._hosts.items())]
        hosts = names.NETNS_ETC / self.name / "hosts"
        partial = hosts.with_suffix(".partial")
        partial.write_text("\n".join(lines) + "\n")
        partial.replace(hosts)

    def add_wireguard(self, ifname: str = "wg0") -> None:
        """A bare WireGuard link: the kernel's, or a wireguard-go daemon bound to this
        namespace's socket folder."""
        from lab import wireguard  # wireguard.py builds on Namespace

        wireguard.add_link(self, ifname)

    def link_counters(self, ifname: str) -> tuple[int, int]:
        """(rx_bytes, tx_bytes) of a link, as the kernel counts them in this namespace."""
        stats = f"/sys/class/net/{ifname}/statistics"
        rx, tx = self._exec(["cat", f"{stats}/rx_bytes", f"{stats}/tx_bytes"]).stdout.split()
        return int(rx), int(tx)

    def ping(
        self, address: str, *, count: int = 3, interface: str | None = None, size: int = 56
    ) -> Echoes:
        """Send `count` echoes (`size` bytes of payload: ping's default 56 makes an 84 B
        packet) 0.2 s apart, 1 s to answer each; true when all came back."""
        argv = ["ping", "-n", "-q", "-c", count, "-W", 1, "-i", 0.2, "-s", size]
        argv += ["-I", interface] if interface else []
        done = self._exec([*argv, address], check=False, timeout=count + 10)
        summary = ECHO_SUMMARY.search(done.stdout)
        received = int(summary.group(2)) if summary else 0
        return Echoes(address, count, received, done.stdout + done.stderr)

    # --- cleanup ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop its daemons, delete it and everything named after it. Safe to call twice."""
        for child in self._children:
            if child.poll() is None:
                child.terminate()
        for child in self._children:
            try:
                child.wait(timeout=3)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self._children.clear()
        if os.path.exists(f"/run/netns/{self.name}"):
            say("lab", ["ip", "netns", "del", self.name])
        names.remove_namespace(self.name)
