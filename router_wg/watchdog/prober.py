"""Echo probes to every peer's tunnel address, at the pace of watchdog/pacing.py: the I/O half.

The resident watcher calls `poll` in a loop and feeds each (address, answered) outcome to the
hysteresis of watchdog/health.py. One raw ICMP socket per address family (the watcher runs
as root), told by the kernel to pass echo replies only, so a router's other ICMP traffic never
wakes it. Every peer due in a round gets the same echo (same ident and sequence number, no
payload): it is built once per round, and the source address tells the replies apart.

Bytes on the wire per probe, and the same per reply (the IP layer up; no payload: the ident
and sequence number identify a probe, and WireGuard would pad 8 more bytes to 16):
    inner packet  IPv4 20 + ICMP echo 8 = 28          IPv6 40 + ICMPv6 echo 8 = 48
    WireGuard     padded to a multiple of 16: 32      48
                  + header 16 + Poly1305 tag 16: 64   80
    outer         + UDP 8 + IPv4 20: 92               108   (+ 20 each over an IPv6 underlay)
At the idle pace (2 a second) one IPv4 peer costs 172,800 x (92 + 92) = 31.8 MB a day, half
each way, and as much again for the peer's own probes of this router.
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import struct
import time
from collections.abc import Iterable

from router_wg.watchdog.pacing import Pace, PeerPace

ECHO = struct.Struct("!BBHHH")  # type, code, checksum, ident, sequence
IDENT_SEQ = struct.Struct("!HH")
ECHO_REQUEST = {4: 8, 6: 128}
ECHO_REPLY = {4: 0, 6: 129}
SOL_RAW, ICMP_FILTER = 255, 1  # linux/icmp.h: a mask of the ICMP types to drop
ICMP6_FILTER = 1  # linux/icmpv6.h: 256 bits, a set bit drops that ICMPv6 type
WIREGUARD_DATA_OVERHEAD = 32  # message type, receiver index, counter (16) + tag (16)
UDP_HEADER = 8


def wire_bytes(inner_ip_header: int, outer_ip_header: int) -> int:
    """Bytes one probe (or reply) takes on the wire, per the table in the module doc."""
    padded = -(-(inner_ip_header + ECHO.size) // 16) * 16
    return outer_ip_header + UDP_HEADER + WIREGUARD_DATA_OVERHEAD + padded


def echo_request(version: int, ident: int, seq: int) -> bytes:
    if version == 6:  # the kernel fills in the ICMPv6 checksum (it covers the addresses)
        return ECHO.pack(ECHO_REQUEST[6], 0, 0, ident, seq)
    total = (ECHO_REQUEST[4] << 8) + ident + seq  # the only words that are not zero
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ECHO.pack(ECHO_REQUEST[4], 0, ~total & 0xFFFF, ident, seq)


class Prober:
    """Probes `addresses` (IPv4 and IPv6, canonical text as `ipaddress` writes it; outcomes
    name them so) until closed. Needs root (raw sockets)."""

    def __init__(self, addresses: Iterable[str], pace: Pace | None = None) -> None:
        self.pace = pace or Pace()
        self._ident = os.getpid() & 0xFFFF
        self._seq = 0
        self._peers: dict[int, dict[str, PeerPace]] = {4: {}, 6: {}}
        self._sockets: dict[int, socket.socket] = {}
        self._buffer = bytearray(128)  # enough for the headers; the rest of a reply is unread
        self.set_addresses(addresses)

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def addresses(self) -> list[str]:
        return [*self._peers[4], *self._peers[6]]

    def set_addresses(self, addresses: Iterable[str]) -> None:
        """Probe these from now on; an address that stays keeps its pace and its probes."""
        now = time.monotonic()
        wanted = {ipaddress.ip_address(a) for a in addresses}
        for version, peers in self._peers.items():
            kept = {str(a) for a in wanted if a.version == version}
            self._peers[version] = {a: peers.get(a) or PeerPace(self.pace, now) for a in kept}
            if kept and version not in self._sockets:
                self._sockets[version] = _open_socket(version)
            elif not kept and version in self._sockets:
                self._sockets.pop(version).close()

    def close(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()

    def poll(self, max_wait: float) -> list[tuple[str, bool]]:
        """Send the probes that are due, wait until the next deadline, a reply or `max_wait`
        seconds, read every reply waiting: the outcomes that occurred, in order, maybe none."""
        now = time.monotonic()
        earliest = now + max_wait
        seq = None
        for version, sock in self._sockets.items():
            packet = None
            for address, peer in self._peers[version].items():
                if peer.due <= now:
                    if packet is None:
                        seq = seq if seq is not None else self._next_seq()
                        packet = echo_request(version, self._ident, seq)
                    # no route, link down, firewall: the probe is just lost. Not suppress(): a
                    # try costs nothing in 3.11, a context manager a call per probe
                    try:  # noqa: SIM105
                        sock.sendto(packet, (address, 0))
                    except OSError:
                        pass
                    peer.sent(seq, now)
                earliest = min(earliest, peer.due, peer.expires)
        sockets = list(self._sockets.values())
        readable = select.select(sockets, [], [], max(0.0, earliest - now))[0]
        outcomes: list[tuple[str, bool]] = []
        for sock in readable:
            self._read_replies(sock, outcomes)
        now = time.monotonic()
        for peers in self._peers.values():
            for address, peer in peers.items():
                if peer.expires <= now:
                    outcomes += [(address, False)] * peer.expire(now)
        return outcomes

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

    def _read_replies(self, sock: socket.socket, outcomes: list[tuple[str, bool]]) -> None:
        version = 4 if sock.family == socket.AF_INET else 6
        peers, ident, buffer = self._peers[version], self._ident, self._buffer
        reply = ECHO_REPLY[version]
        while True:
            try:
                size, source = sock.recvfrom_into(buffer)
            except BlockingIOError:
                return
            start = (buffer[0] & 0x0F) * 4 if version == 4 else 0  # IPv4 includes its header
            if size < start + ECHO.size or buffer[start] != reply:
                continue
            reply_ident, seq = IDENT_SEQ.unpack_from(buffer, start + 4)
            peer = peers.get(source[0]) if reply_ident == ident else None
            if peer is not None and peer.reply(seq):
                outcomes.append((source[0], True))


def _open_socket(version: int) -> socket.socket:
    if version == 4:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        sock.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("I", ~(1 << ECHO_REPLY[4]) & 0xFFFFFFFF))
    else:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        blocked = [0xFFFFFFFF] * 8
        blocked[ECHO_REPLY[6] >> 5] &= ~(1 << (ECHO_REPLY[6] & 31))
        sock.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, struct.pack("8I", *blocked))
    sock.setblocking(False)
    return sock
