"""`<interface>.conf`, the WireGuard half of a bundle: parse it (checking every line before
anything reaches the kernel) and render it, for the file makeconf writes and for the text
`wg syncconf` reads on stdin. One format, one renderer. Pure; keys stay out of reprs and
out of every message.

Its first line names the makeconf run (`Stamp`), as a comment wg itself ignores:

    # router-wg bundle: serial 4, fingerprint 3f9a0c2e51d7b864
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from router_wg import fields
from router_wg.bundle.site import RECOPY, Stamp
from router_wg.errors import ConfigError, Problem

STAMP_LINE = re.compile(r"^# router-wg bundle: serial (\d+), fingerprint ([0-9a-f]{16})$")
SPELLING = {  # what wg0.conf writes, by the lower-case key a line is matched on
    key.lower(): key
    for key in ("PrivateKey", "ListenPort", "PublicKey", "PresharedKey", "AllowedIPs")
    + ("Endpoint", "PersistentKeepalive")
}
INTERFACE_KEYS = {"privatekey", "listenport"}
PEER_KEYS = {"publickey", "presharedkey", "allowedips", "endpoint", "persistentkeepalive"}


@dataclass(frozen=True)
class WgPeer:
    public_key: str
    allowed_ips: tuple[str, ...]  # normalised networks, in the file's order
    preshared_key: str | None = field(default=None, repr=False)
    endpoint: str | None = None  # "host:port" as written, or the resolved "ip:port"
    keepalive: int | None = None

    @property
    def allowed_networks(self) -> frozenset[str]:
        return frozenset(self.allowed_ips)


@dataclass(frozen=True)
class WgDevice:
    private_key: str = field(repr=False)
    listen_port: int | None
    peers: tuple[WgPeer, ...]
    stamp: Stamp | None = field(default=None, compare=False)


def stamp_line(stamp: Stamp) -> str:
    return f"# router-wg bundle: {stamp}"


def render_config(
    device: WgDevice, *, header: tuple[str, ...] = (), peer_names: dict[str, str] | None = None
) -> str:
    """The file's text: the stamp and `header` as comments, each peer under a comment with
    its name. Without header and names it is what `wg syncconf <if> /dev/stdin` reads.
    Holds the private key: write it 0600, pass it on stdin only."""
    lines = [stamp_line(device.stamp)] if device.stamp else []
    lines += [f"# {line}" for line in header]
    lines += ["[Interface]", f"PrivateKey = {device.private_key}"]
    if device.listen_port is not None:
        lines.append(f"ListenPort = {device.listen_port}")
    for peer in device.peers:
        lines.append("")
        if peer_names and peer.public_key in peer_names:
            lines.append(f"# {peer_names[peer.public_key]}")
        lines += ["[Peer]", f"PublicKey = {peer.public_key}"]
        if peer.preshared_key:
            lines.append(f"PresharedKey = {peer.preshared_key}")
        if peer.allowed_ips:
            lines.append(f"AllowedIPs = {', '.join(peer.allowed_ips)}")
        if peer.endpoint:
            lines.append(f"Endpoint = {peer.endpoint}")
        if peer.keepalive:
            lines.append(f"PersistentKeepalive = {peer.keepalive}")
    return "\n".join(lines) + "\n"


def parse_config(text: str, file: str) -> WgDevice:
    """Parse and check a `wg setconf` file; raise ConfigError naming each bad line."""
    problems: list[Problem] = []

    def fail(where: str, message: str) -> None:
        problems.append(Problem(file, where, message))

    stamp = None
    sections: list[tuple[str, dict[str, tuple[int, str]], int]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if number == 1 and (found := STAMP_LINE.match(raw.strip())):
            stamp = Stamp(int(found.group(1)), found.group(2))
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1].strip().lower(), {}, number))
        elif "=" in line and sections:
            key, value = (part.strip() for part in line.split("=", 1))
            section, values, _ = sections[-1]
            known = INTERFACE_KEYS if section == "interface" else PEER_KEYS
            if key.lower() not in known:
                fail(f"line {number}", f"{key} is not a key router-wg writes here; {RECOPY}")
            elif key.lower() in values:
                fail(f"line {number}", f"{key} is given twice in this section; {RECOPY}")
            else:
                values[key.lower()] = (number, value)
        else:
            fail(f"line {number}", f"not a [Section] or Key = Value line; {RECOPY}")
    interfaces = [s for s in sections if s[0] == "interface"]
    for name, _, number in sections:
        if name not in ("interface", "peer"):
            fail(f"line {number}", f"[{name}] is not a WireGuard section; {RECOPY}")
    if len(interfaces) != 1 or "privatekey" not in interfaces[0][1]:
        fail("[Interface]", f"exactly one [Interface] with a PrivateKey is needed; {RECOPY}")
        raise ConfigError(problems)
    values = interfaces[0][1]
    private_key = _value(values, "privatekey", fields.wireguard_key, fail)
    port = _value(values, "listenport", lambda v: fields.port(_number(v)), fail)
    peers = []
    for name, peer_values, number in sections:
        if name == "peer":
            peers.append(_peer(peer_values, number, fail))
    keys = [p.public_key for p in peers if p is not None]
    for key in {k for k in keys if keys.count(k) > 1}:
        fail("[Peer]", f"two peers have the public key {key}; {RECOPY}")
    if problems:
        raise ConfigError(problems)
    return WgDevice(private_key, port, tuple(peers), stamp)


def _number(text: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a number")
    return int(text)


def _keepalive(text: str) -> int | None:
    if text == "off":
        return None
    return fields.keepalive(_number(text)) if _number(text) else None


def _value(values: dict[str, tuple[int, str]], key: str, check, fail, default=None):
    """The checked value of one line, or `default` after reporting it. A key's own text is
    never repeated: the message names the line."""
    if key not in values:
        return default
    number, text = values[key]
    try:
        return check(text)
    except ValueError as exc:
        secret = key in ("privatekey", "presharedkey")
        reason = "is not a WireGuard key (44 characters of base64, 32 bytes)" if secret else exc
        fail(f"line {number}", f"{SPELLING[key]} {reason}; {RECOPY}")
        return default


def _peer(values: dict[str, tuple[int, str]], number: int, fail) -> WgPeer | None:
    if "publickey" not in values:
        fail(f"[Peer] at line {number}", f"has no PublicKey; {RECOPY}")
        return None
    public_key = _value(values, "publickey", fields.wireguard_key, fail)
    allowed = _value(values, "allowedips", fields.normalise_networks, fail, ())
    return WgPeer(
        public_key=public_key,
        allowed_ips=allowed,
        preshared_key=_value(values, "presharedkey", fields.wireguard_key, fail),
        endpoint=_value(values, "endpoint", fields.endpoint, fail),
        keepalive=_value(values, "persistentkeepalive", _keepalive, fail),
    )
