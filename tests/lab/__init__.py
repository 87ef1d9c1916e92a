"""The lab: emulated routers in network namespaces, for the host tier and the ARM guest.

Tests get the pieces through the fixtures in `lab.plugin` (`namespace`, `lab`,
`wireguard_impl`), and the texts they share from `lab.meshes` (mesh files) and
`lab.firmware_rules` (the firmware's iptables rules).
"""

from lab.commands import CommandFailed
from lab.namespace import HANDSHAKE_INITIATION_BYTES, PING_PACKET_BYTES, Echoes, Namespace
from lab.router import Router
from lab.underlay import Lab

__all__ = [
    "HANDSHAKE_INITIATION_BYTES",
    "PING_PACKET_BYTES",
    "CommandFailed",
    "Echoes",
    "Lab",
    "Namespace",
    "Router",
]
