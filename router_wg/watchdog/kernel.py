"""What a watchdog tick reads from the kernel, cheaply: /proc and one `wg` call at most.

No netlink library here: a quiet tick must not pay for importing one (DESIGN section 9).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from router_wg.backends.runner import Runner


def interface_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


def has_default_route() -> bool:
    """An uplink: an IPv4 or IPv6 default route in this network namespace."""
    try:
        for line in Path("/proc/net/route").read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) > 7 and fields[1] == "00000000" and fields[7] == "00000000":
                return True
        for line in Path("/proc/net/ipv6_route").read_text().splitlines():
            fields = line.split()
            if (
                len(fields) > 9
                and fields[0] == "0" * 32
                and fields[1] == "00"
                and fields[9] != "lo"
            ):
                return True
    except OSError:
        pass
    return False


def routed_networks(interface: str) -> set[str]:
    """IPv4 and IPv6 networks routed through `interface` in the main table (what is left
    of the peers' LAN routes)."""
    networks = set()
    try:
        lines = Path("/proc/net/route").read_text().splitlines()[1:]
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        if len(fields) > 7 and fields[0] == interface:
            destination = ipaddress.IPv4Address(int(fields[1], 16).to_bytes(4, "little"))
            mask = ipaddress.IPv4Address(int(fields[7], 16).to_bytes(4, "little"))
            networks.add(str(ipaddress.IPv4Network(f"{destination}/{mask}")))
    try:  # dest prefixlen src srcprefixlen nexthop metric refcnt use flags device
        lines = Path("/proc/net/ipv6_route").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        if len(fields) > 9 and fields[9] == interface:
            destination = ipaddress.IPv6Address(bytes.fromhex(fields[0]))
            networks.add(str(ipaddress.IPv6Network(f"{destination}/{int(fields[1], 16)}")))
    return networks


def latest_handshakes(runner: Runner, interface: str) -> dict[str, int]:
    """public key -> unix time of the latest handshake (0: never). Public keys only: the
    `latest-handshakes` view prints no secret."""
    done = runner.run(["wg", "show", interface, "latest-handshakes"], check=False, timeout=10)
    handshakes = {}
    for line in done.stdout.splitlines():
        key, _, when = line.partition("\t")
        if when.strip().isdigit():
            handshakes[key] = int(when)
    return handshakes
