"""Checks for single values: each takes a value, returns it (normalised) or raises
ValueError with a message that says what is wrong and how to fix it.

The mesh file loader, the wizard and the bundle readers all call these, so every rule
lives in one place. Standard library only; no message ever repeats a key's value.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
_INTERFACE = re.compile(r"^[a-zA-Z0-9_=+.-]{1,15}$")


def host(value: str) -> str:
    """A host name (RFC 1123 labels) or an IPv4/IPv6 literal, as peers would dial it."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if value.endswith("."):
        raise ValueError(f"{value!r} ends with a dot; write it without the final dot")
    if not value or len(value) > 253:
        raise ValueError(f"{value!r} is not a host name: it must have 1 to 253 characters")
    bad = [label for label in value.split(".") if not _LABEL.match(label)]
    if bad:
        raise ValueError(
            f"{value!r} is not a host name or IP address: label {bad[0]!r} may use only "
            "letters, digits and inner hyphens, at most 63 characters (e.g. alpha.example.net)"
        )
    if value.rsplit(".", 1)[-1].isdigit():
        raise ValueError(f"{value!r} looks like a broken IP address; write a valid IP or name")
    return value


def port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"{value} is not a UDP port; use a number from 1 to 65535 (e.g. 51820)")
    return value


def interface(value: str) -> str:
    if not _INTERFACE.match(value) or value in (".", ".."):
        raise ValueError(
            f"{value!r} is not an interface name WireGuard accepts: use 1 to 15 letters, digits "
            "or _=+.- (e.g. wg0)"
        )
    return value


def network(value: str) -> IPNetwork:
    """A proper network (no host bits set), never a default route."""
    try:
        net = ipaddress.ip_network(value) if "/" in value else None
    except ValueError:
        net = None
    if net is None:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a network; write it as address/prefix, e.g. 10.0.1.0/24"
            ) from None
        raise ValueError(f"{value!r} is not a proper network; did you mean {loose}?")
    if net.prefixlen == 0:
        raise ValueError(f"{value!r} is a default route; name the networks themselves")
    return net


def address(value: str) -> IPAddress:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address (e.g. 192.168.100.1)") from None


def keepalive(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"{value} is not a keepalive interval; use 1 to 65535 seconds (e.g. 25)")
    return value


def mtu(value: int) -> int:
    if not 576 <= value <= 9000:
        raise ValueError(f"{value} is not a usable MTU; use 576 to 9000 (e.g. 1420)")
    return value


def wireguard_key(value: str) -> str:
    """A key as `wg genkey`/`wg pubkey`/`wg genpsk` print it: 44 characters of base64, 32 bytes."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(value) != 44 or len(raw) != 32:
        raise ValueError("is not a WireGuard key (44 characters of base64, 32 bytes)")
    return value


def lans(value: list) -> tuple[IPNetwork, ...]:
    if not all(isinstance(item, str) for item in value):
        raise ValueError('must be a list of networks as strings, e.g. ["10.0.1.0/24"]')
    return tuple(network(item) for item in value)


def endpoint_of(host_name: str, udp_port: int) -> str:
    """`host:port` as wg prints and parses it; IPv6 literals in brackets."""
    try:
        if ipaddress.ip_address(host_name).version == 6:
            return f"[{host_name}]:{udp_port}"
    except ValueError:
        pass
    return f"{host_name}:{udp_port}"


def endpoint(value: str) -> str:
    """`host:port` (`[v6]:port` for an IPv6 literal), as wg.conf and wg0.conf write it."""
    host_part, colon, port_text = value.rpartition(":")
    if not colon or not port_text.isdigit():
        raise ValueError(f"{value!r} is not host:port (e.g. beta.example.net:51820)")
    bracketed = host_part.startswith("[") and host_part.endswith("]")
    name = host_part[1:-1] if bracketed else host_part
    host(name)
    if (":" in name) != bracketed:
        raise ValueError(f"{value!r}: write an IPv6 address in brackets, e.g. [2001:db8::1]:51820")
    port(int(port_text))
    return value


def normalise_networks(text: str) -> tuple[str, ...]:
    """A comma-separated list of networks (wg's AllowedIPs), each normalised, in order;
    wg's "(none)" is none."""
    items = [x.strip() for x in text.split(",") if x.strip() and x.strip() != "(none)"]
    return tuple(str(ipaddress.ip_network(x, strict=False)) for x in items)
