"""The lab's readings of tool output, checked on the texts the tools really print."""

from __future__ import annotations

from lab.names import OWNED
from lab.namespace import ECHO_SUMMARY, Echoes
from lab.tinc import node_name

IPUTILS = """PING 10.0.2.2 (10.0.2.2) 56(84) bytes of data.

--- 10.0.2.2 ping statistics ---
3 packets transmitted, 2 received, 33.3333% packet loss, time 402ms
rtt min/avg/max/mdev = 0.061/0.072/0.083/0.011 ms
"""
BUSYBOX = """--- 10.0.2.2 ping statistics ---
3 packets transmitted, 3 packets received, 0% packet loss
round-trip min/avg/max = 200.412/201.000/202.100 ms
"""


def test_echo_summaries_of_iputils_and_busybox():
    assert ECHO_SUMMARY.search(IPUTILS).groups() == ("3", "2")
    assert ECHO_SUMMARY.search(BUSYBOX).groups() == ("3", "3")


def test_echoes_are_true_only_when_all_came_back():
    assert not Echoes("10.0.2.2", 3, 2, IPUTILS)
    assert Echoes("10.0.2.2", 3, 3, BUSYBOX)
    assert Echoes("10.0.2.2", 3, 2, IPUTILS).fastest_ms == 0.061
    assert Echoes("10.0.2.2", 3, 3, BUSYBOX).fastest_ms == 200.412
    assert Echoes("10.0.2.2", 2, 0, "").fastest_ms is None


def test_tinc_node_names_keep_only_letters_digits_underscores():
    assert node_name("alpha.example-1.net") == "alpha_example_1_net"


def test_only_lab_names_are_swept():
    assert OWNED.fullmatch("rwg1234-r5").group(1) == "1234"
    assert OWNED.fullmatch("rwg-measure") is None
    assert OWNED.fullmatch("devst-a") is None
