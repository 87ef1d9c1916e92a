"""The rtnetlink reader's decoding, on messages built byte by byte from the kernel's
layouts (linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h), independently of the
module's own struct definitions."""

from __future__ import annotations

import errno
import socket
import struct

import pytest

from router_wg.backends import rtnetlink as rt

SEQ = 7


def attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def message(kind: int, flags: int, payload: bytes, seq: int = SEQ) -> bytes:
    length = 16 + len(payload)
    return struct.pack("=IHHII", length, kind, flags, seq, 4242) + payload + b"\0" * (-length % 4)


def link_payload(index, name, *, flags=0, mtu=1420, alias=None, kind=None) -> bytes:
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 65534, index, flags, 0)
    body += attr(3, name.encode() + b"\0") + attr(4, struct.pack("=I", mtu))
    if alias is not None:
        body += attr(20, alias.encode() + b"\0")
    if kind is not None:  # IFLA_LINKINFO is nested (NLA_F_NESTED set, as the kernel does)
        body += attr(18 | 0x8000, attr(1, kind.encode() + b"\0"))
    return body


def route_payload(
    dst, dst_len, *, table=254, protocol=0x57, oif=None, big_table=None, kind=1, metric=None
) -> bytes:
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    body = struct.pack("=BBBBBBBBI", family, dst_len, 0, 0, table, protocol, 0, kind, 0)
    if metric is not None:
        body += attr(6, struct.pack("=I", metric))
    body += attr(1, socket.inet_pton(family, dst))
    if big_table is not None:
        body += attr(15, struct.pack("=I", big_table))
    if oif is not None:
        body += attr(4, struct.pack("=I", oif))
    return body


MULTI = 0x2
DONE = message(3, MULTI, struct.pack("=i", 0))


def test_a_dump_over_two_datagrams_is_read_to_its_done_message():
    first = message(16, MULTI, link_payload(1, "lo", flags=0x1, mtu=65536))
    first += message(
        16, MULTI, link_payload(5, "wg0", flags=0x1, alias="router-wg", kind="wireguard")
    )
    second = message(16, MULTI, link_payload(6, "lan", mtu=1500)) + DONE
    never_read = [message(16, MULTI, link_payload(9, "late"))]  # after DONE: not consumed
    answers = rt.collect([first, second, *never_read], SEQ, "reading the links")
    links = [rt.link_of(payload) for _kind, payload in answers]
    assert links == [
        rt.LinkInfo(index=1, name="lo", kind="", alias=None, mtu=65536, up=True),
        rt.LinkInfo(index=5, name="wg0", kind="wireguard", alias="router-wg", mtu=1420, up=True),
        rt.LinkInfo(index=6, name="lan", kind="", alias=None, mtu=1500, up=False),
    ]


def test_answers_to_an_earlier_request_are_skipped():
    stale = message(16, MULTI, link_payload(3, "old"), seq=SEQ - 1)
    fresh = message(16, MULTI, link_payload(4, "new")) + DONE
    answers = rt.collect([stale, fresh], SEQ, "reading the links")
    assert [rt.link_of(p).name for _k, p in answers] == ["new"]


def test_an_error_message_raises_with_the_errno_and_what_was_asked():
    refused = message(2, 0, struct.pack("=i", -errno.EPERM) + b"\0" * 16)
    with pytest.raises(rt.NetlinkReadError) as caught:
        rt.collect([refused], SEQ, "reading the routes")
    assert caught.value.errno == errno.EPERM
    assert "reading the routes" in str(caught.value)
    assert "Operation not permitted" in str(caught.value)


def test_an_interrupted_dump_is_reported_so_the_reader_asks_again():
    changed = message(24, MULTI | 0x10, route_payload("10.0.2.0", 24, oif=5)) + DONE
    with pytest.raises(rt.DumpInterrupted):
        rt.collect([changed], SEQ, "reading the routes")


def test_an_answer_cut_short_is_an_error_not_an_empty_result():
    with pytest.raises(rt.NetlinkReadError, match="ended early"):
        rt.collect([message(24, MULTI, route_payload("10.0.2.0", 24))], SEQ, "reading the routes")
    with pytest.raises(rt.NetlinkReadError, match="malformed"):
        list(rt.split_messages(message(24, MULTI, route_payload("10.0.2.0", 24))[:-8]))


def test_a_single_answer_ends_without_a_done_message():
    answer = message(24, 0, route_payload("10.0.2.9", 32, oif=5))
    ((kind, payload),) = rt.collect([answer], SEQ, "looking up a route")
    assert kind == 24 and rt.route_of(payload).oif == 5


def test_routes_keep_destination_table_protocol_and_device():
    assert rt.route_of(route_payload("10.0.2.0", 24, oif=5)) == rt.RouteInfo(
        "10.0.2.0/24", 5, 254, 0x57
    )
    # tables above 255 only fit in RTA_TABLE; rtm_table then says RT_TABLE_COMPAT (252)
    assert rt.route_of(route_payload("fd00:2::", 64, table=252, big_table=1000)).table == 1000
    assert rt.route_of(route_payload("fd00:2::", 64, protocol=3)).destination == "fd00:2::/64"


def test_routes_keep_their_type_and_metric():
    guard = rt.route_of(route_payload("10.0.0.0", 16, kind=7, metric=0x57000000))
    assert (guard.kind, guard.metric) == (rt.RTN_UNREACHABLE, 0x57000000)
    assert (rt.route_of(route_payload("10.0.2.0", 24)).kind, guard.oif) == (rt.RTN_UNICAST, None)


def test_addresses_prefer_the_local_address_of_a_point_to_point_link():
    header = struct.pack("=BBBBI", socket.AF_INET, 24, 0, 0, 5)
    peer = attr(1, socket.inet_aton("192.168.100.9"))
    local = attr(2, socket.inet_aton("192.168.100.1"))
    assert rt.address_of(header + peer + local) == rt.AddressInfo(5, "192.168.100.1/24")
    v6 = struct.pack("=BBBBI", socket.AF_INET6, 64, 0, 0, 5)
    v6 += attr(1, socket.inet_pton(socket.AF_INET6, "fd00::1"))
    assert rt.address_of(v6) == rt.AddressInfo(5, "fd00::1/64")
