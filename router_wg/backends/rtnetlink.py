"""A small rtnetlink reader in the standard library: links, addresses and routes.

Observing is what every run does (a no-op `start`, `plan`, `show`, a re-apply after a
firewall flush); changing is rare. So reading does not import pyroute2, whose import alone
costs about 3 s in the ARM guest: this module speaks rtnetlink over a plain
socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) and decodes the few fields router-wg reads.

Layouts (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h; all in host
byte order): nlmsghdr {u32 len; u16 type; u16 flags; u32 seq; u32 pid}, then per message
type a fixed header (ifinfomsg, ifaddrmsg, rtmsg) and attributes {u16 len; u16 type; data},
each padded to 4 bytes. A dump answers with NLM_F_MULTI messages, possibly over several
datagrams, closed by NLMSG_DONE; a failure is an NLMSG_ERROR carrying -errno.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# linux/netlink.h
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_DUMP_INTR = 0x1, 0x2, 0x10
NLM_F_DUMP = 0x300  # NLM_F_ROOT | NLM_F_MATCH
# linux/rtnetlink.h
RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_NEWADDR, RTM_GETADDR = 20, 22
RTM_NEWROUTE, RTM_GETROUTE = 24, 26
RTA_DST, RTA_OIF, RTA_PRIORITY, RTA_TABLE = 1, 4, 6, 15
RTN_UNICAST, RTN_UNREACHABLE = 1, 7
# linux/if_link.h, linux/if_addr.h
IFLA_IFNAME, IFLA_MTU, IFLA_LINKINFO, IFLA_IFALIAS = 3, 4, 18, 20
IFLA_INFO_KIND = 1
IFA_ADDRESS, IFA_LOCAL = 1, 2
IFF_UP = 0x1

HEADER = struct.Struct("=IHHII")  # nlmsghdr
ERROR_CODE = struct.Struct("=i")  # nlmsgerr.error (the request's header follows)
ATTRIBUTE = struct.Struct("=HH")  # rtattr / nlattr
IFINFOMSG = struct.Struct("=BxHiII")  # family, pad, type, index, flags, change
IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
RTMSG = struct.Struct("=BBBBBBBBI")  # family dst_len src_len tos table protocol scope type flags
U32 = struct.Struct("=I")
RECEIVE_BYTES = 65536  # a dump datagram is at most 32 KiB; MSG_TRUNC is checked anyway
DUMP_ATTEMPTS = 3  # NLM_F_DUMP_INTR: the tables changed during the dump; ask again


class NetlinkReadError(OSError):
    """The kernel refused a request, or answered with something we cannot read."""


class DumpInterrupted(NetlinkReadError):
    """NLM_F_DUMP_INTR: a table changed while the kernel was dumping it."""


@dataclass(frozen=True)
class LinkInfo:
    index: int
    name: str
    kind: str  # IFLA_INFO_KIND ("wireguard", "tun", "veth"...), "" when the link has none
    alias: str | None
    mtu: int
    up: bool


@dataclass(frozen=True)
class AddressInfo:
    index: int
    address: str  # "192.168.100.1/24" (the local address, as `ip addr` prints it)


@dataclass(frozen=True)
class RouteInfo:
    destination: str | None  # "10.0.2.0/24"; None for a default route
    oif: int | None
    table: int
    protocol: int
    kind: int = RTN_UNICAST  # rtm_type: RTN_UNICAST, RTN_UNREACHABLE, ...
    metric: int = 0  # RTA_PRIORITY


# --- decoding (pure: bytes in, values out) -----------------------------------------------


def _align(length: int) -> int:
    return (length + 3) & ~3


def split_messages(data: bytes) -> Iterator[tuple[int, int, int, bytes]]:
    """(type, flags, seq, payload) of each netlink message in one datagram."""
    offset = 0
    while offset + HEADER.size <= len(data):
        length, kind, flags, seq, _pid = HEADER.unpack_from(data, offset)
        if length < HEADER.size or offset + length > len(data):
            raise NetlinkReadError(f"malformed netlink message (length {length} at {offset})")
        yield kind, flags, seq, data[offset + HEADER.size : offset + length]
        offset += _align(length)


def attributes(data: bytes, offset: int = 0) -> dict[int, bytes]:
    """type -> payload of the attributes from `offset` on (the nested flag bit dropped)."""
    found = {}
    while offset + ATTRIBUTE.size <= len(data):
        length, kind = ATTRIBUTE.unpack_from(data, offset)
        if length < ATTRIBUTE.size:
            break
        found[kind & 0x3FFF] = data[offset + ATTRIBUTE.size : offset + length]
        offset += _align(length)
    return found


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.split(b"\0", 1)[0].decode("utf-8", "replace")


def _u32(value: bytes | None) -> int | None:
    return None if value is None else U32.unpack_from(value)[0]


def link_of(payload: bytes) -> LinkInfo:
    _family, _type, index, flags, _change = IFINFOMSG.unpack_from(payload)
    attrs = attributes(payload, IFINFOMSG.size)
    info = attributes(attrs.get(IFLA_LINKINFO, b""))
    return LinkInfo(
        index=index,
        name=_text(attrs.get(IFLA_IFNAME)) or "",
        kind=_text(info.get(IFLA_INFO_KIND)) or "",
        alias=_text(attrs.get(IFLA_IFALIAS)) or None,  # an alias set to "" is no alias
        mtu=_u32(attrs.get(IFLA_MTU)) or 0,
        up=bool(flags & IFF_UP),
    )


def address_of(payload: bytes) -> AddressInfo | None:
    _family, prefixlen, _flags, _scope, index = IFADDRMSG.unpack_from(payload)
    attrs = attributes(payload, IFADDRMSG.size)
    # IFA_LOCAL is our own address; IFA_ADDRESS the peer's on a point-to-point link with a
    # peer set (IPv6 has IFA_ADDRESS only). `ip addr` shows the same one.
    raw = attrs.get(IFA_LOCAL, attrs.get(IFA_ADDRESS))
    if raw is None:
        return None
    return AddressInfo(index=index, address=f"{ipaddress.ip_address(raw)}/{prefixlen}")


def route_of(payload: bytes) -> RouteInfo:
    _family, dst_len, _src, _tos, table, protocol, _scope, kind, _flags = RTMSG.unpack_from(payload)
    attrs = attributes(payload, RTMSG.size)
    raw = attrs.get(RTA_DST)
    destination = None if raw is None else f"{ipaddress.ip_address(raw)}/{dst_len}"
    return RouteInfo(
        destination=destination,
        oif=_u32(attrs.get(RTA_OIF)),
        table=_u32(attrs.get(RTA_TABLE)) or table,  # rtm_table is 8 bits; RTA_TABLE is all
        protocol=protocol,
        kind=kind,
        metric=_u32(attrs.get(RTA_PRIORITY)) or 0,
    )


def collect(datagrams: Iterable[bytes], seq: int, what: str) -> list[tuple[int, bytes]]:
    """(type, payload) of the answers to request `seq`, read until NLMSG_DONE (a dump) or
    the first message without NLM_F_MULTI (a single answer). Raises NetlinkReadError
    on NLMSG_ERROR and on an inconsistent dump (NLM_F_DUMP_INTR; the caller retries)."""
    found: list[tuple[int, bytes]] = []
    interrupted = False
    for datagram in datagrams:
        for kind, flags, got_seq, payload in split_messages(datagram):
            if got_seq != seq:
                continue  # an answer to an earlier request we gave up on
            interrupted |= bool(flags & NLM_F_DUMP_INTR)
            if kind == NLMSG_ERROR:
                code = ERROR_CODE.unpack_from(payload)[0]
                if code == 0:  # an acknowledgement, not an error
                    return found
                raise NetlinkReadError(-code, f"{what}: {os.strerror(-code)}")
            if kind == NLMSG_DONE:
                if interrupted:
                    raise DumpInterrupted(f"{what}: the kernel's tables changed during the dump")
                return found
            found.append((kind, payload))
            if not flags & NLM_F_MULTI:
                return found
    raise NetlinkReadError(f"{what}: the kernel's answer ended early")


# --- the socket ----------------------------------------------------------------------------


class Reader:
    """One NETLINK_ROUTE socket; each method is one request and its whole answer."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self.sock.bind((0, 0))  # the kernel picks our port id
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _datagrams(self) -> Iterator[bytes]:
        while True:  # recvmsg retries by itself on EINTR (PEP 475)
            data, _ancillary, flags, _address = self.sock.recvmsg(RECEIVE_BYTES)
            if flags & socket.MSG_TRUNC:
                raise NetlinkReadError("netlink answer larger than the receive buffer")
            if not data:
                return
            yield data

    def request(self, kind: int, flags: int, body: bytes, what: str) -> list[tuple[int, bytes]]:
        for attempt in range(DUMP_ATTEMPTS):
            self.seq += 1
            header = HEADER.pack(HEADER.size + len(body), kind, NLM_F_REQUEST | flags, self.seq, 0)
            self.sock.sendto(header + body, (0, 0))
            try:
                return collect(self._datagrams(), self.seq, what)
            except DumpInterrupted:
                if attempt == DUMP_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def links(self) -> list[LinkInfo]:
        body = IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
        answers = self.request(RTM_GETLINK, NLM_F_DUMP, body, "reading the links")
        return [link_of(p) for kind, p in answers if kind == RTM_NEWLINK]

    def addresses(self) -> list[AddressInfo]:
        body = IFADDRMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
        answers = self.request(RTM_GETADDR, NLM_F_DUMP, body, "reading the addresses")
        found = (address_of(p) for kind, p in answers if kind == RTM_NEWADDR)
        return [a for a in found if a is not None]

    def routes(self, family: int) -> list[RouteInfo]:
        """Every route of one family, all tables (the caller picks)."""
        body = RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)
        answers = self.request(RTM_GETROUTE, NLM_F_DUMP, body, "reading the routes")
        # a kernel without this family answers with its dump of all families
        return [route_of(p) for kind, p in answers if kind == RTM_NEWROUTE and p[0] == family]

    def route_get(self, address: str) -> int | None:
        """The interface index the kernel would send `address` out of (`ip route get`);
        None when it has no route (ENETUNREACH and friends)."""
        ip = ipaddress.ip_address(address)
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        destination = ATTRIBUTE.pack(ATTRIBUTE.size + len(ip.packed), RTA_DST) + ip.packed
        body = RTMSG.pack(family, ip.max_prefixlen, 0, 0, 0, 0, 0, 0, 0) + destination
        try:
            answers = self.request(RTM_GETROUTE, 0, body, f"looking up the route to {address}")
        except NetlinkReadError as exc:
            if exc.errno is None:
                raise
            return None
        routes = [route_of(p) for kind, p in answers if kind == RTM_NEWROUTE]
        return routes[0].oif if routes else None
