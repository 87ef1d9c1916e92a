"""Echo probes to every peer's tunnel address at once, with one bounded wait.

Raw ICMP sockets (the watchdog runs as root, as everything on a router does). Each peer
gets `attempts` echo requests spread over the timeout, so one lost packet on a lossy
link does not count as a dead peer; a peer is alive when any of them is answered.
IPv4 and IPv6 tunnel addresses are both handled.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import select
import socket
import struct
import time

ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY = 8, 0
ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY = 128, 129


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _echo_request(kind: int, ident: int, seq: int) -> bytes:
    payload = b"router-wg probe"
    header = struct.pack("!BBHHH", kind, 0, 0, ident, seq)
    if kind == ICMP6_ECHO_REQUEST:  # the kernel fills in the ICMPv6 checksum
        return header + payload
    return struct.pack("!BBHHH", kind, 0, _checksum(header + payload), ident, seq) + payload


def probe(addresses: list[str], timeout: float, attempts: int = 3) -> dict[str, bool]:
    """Which of `addresses` answered an echo within `timeout` seconds."""
    answered = {address: False for address in addresses}
    if not addresses:
        return answered
    ident = os.getpid() & 0xFFFF
    sockets = _open_sockets(addresses)
    try:
        deadline = time.monotonic() + timeout
        spacing = timeout / (attempts + 1)
        next_send, sent = time.monotonic(), 0
        while not all(answered.values()):
            now = time.monotonic()
            if now >= deadline:
                break
            if sent < attempts and now >= next_send:
                for address in addresses:
                    if not answered[address]:
                        _send(sockets, address, ident, sent)
                sent += 1
                next_send = now + spacing
            wait = max(0.0, min(deadline, next_send if sent < attempts else deadline) - now)
            readable, _, _ = select.select(list(sockets.values()), [], [], wait)
            for sock in readable:
                _receive(sock, ident, answered)
    finally:
        for sock in sockets.values():
            sock.close()
    return answered


def _open_sockets(addresses: list[str]) -> dict[int, socket.socket]:
    versions = {ipaddress.ip_address(a).version for a in addresses}
    sockets = {}
    if 4 in versions:
        sockets[4] = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    if 6 in versions:
        sockets[6] = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    for sock in sockets.values():
        sock.setblocking(False)
    return sockets


def _send(sockets: dict[int, socket.socket], address: str, ident: int, seq: int) -> None:
    version = ipaddress.ip_address(address).version
    kind = ICMP_ECHO_REQUEST if version == 4 else ICMP6_ECHO_REQUEST
    # no route or interface down right now: the peer simply does not answer
    with contextlib.suppress(OSError):
        sockets[version].sendto(_echo_request(kind, ident, seq), (address, 0))


def _receive(sock: socket.socket, ident: int, answered: dict[str, bool]) -> None:
    while True:
        try:
            packet, source = sock.recvfrom(2048)
        except (BlockingIOError, InterruptedError):
            return
        if sock.family == socket.AF_INET:
            header_length = (packet[0] & 0x0F) * 4  # raw IPv4 sockets include the IP header
            icmp, reply = packet[header_length:], ICMP_ECHO_REPLY
        else:
            icmp, reply = packet, ICMP6_ECHO_REPLY
        if len(icmp) < 8:
            continue
        kind, _, _, reply_ident, _ = struct.unpack("!BBHHH", icmp[:8])
        address = str(ipaddress.ip_address(source[0].split("%")[0]))
        if kind == reply and reply_ident == ident and address in answered:
            answered[address] = True
