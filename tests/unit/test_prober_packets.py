"""The prober's echo requests and the wire sizes its module doc states."""

import pytest

from router_wg.watchdog.probe import _checksum
from router_wg.watchdog.prober import echo_request, wire_bytes


@pytest.mark.parametrize(("ident", "seq"), [(0, 0), (1234, 1), (0xFFFF, 0xFFFF), (0xF7FF, 1)])
def test_an_ipv4_echo_request_carries_a_valid_checksum(ident, seq):
    packet = echo_request(4, ident, seq)
    assert packet[:2] == b"\x08\x00" and len(packet) == 8  # no payload
    assert _checksum(packet) == 0  # a packet with its checksum in place sums to zero


def test_an_ipv6_echo_request_leaves_the_checksum_to_the_kernel():
    assert echo_request(6, 0x0102, 0x0304) == bytes([128, 0, 0, 0, 1, 2, 3, 4])


@pytest.mark.parametrize(
    ("inner", "outer", "size"), [(20, 20, 92), (40, 20, 108), (20, 40, 112), (40, 40, 128)]
)
def test_bytes_on_the_wire_per_probe(inner, outer, size):
    assert wire_bytes(inner, outer) == size
