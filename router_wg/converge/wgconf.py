"""WireGuard configuration text: read the bundle's `wg0.conf`, read `wg show dump`, and
write the text `wg syncconf` takes on stdin. Pure functions; keys stay out of reprs.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from router_wg.errors import ConfigError, Problem


@dataclass(frozen=True)
class WgPeer:
    public_key: str
    allowed_ips: frozenset[str]  # normalised networks ("10.0.2.0/24")
    preshared_key: str | None = field(default=None, repr=False)
    endpoint: str | None = None  # "host:port" as written, or the resolved "ip:port"
    keepalive: int | None = None


@dataclass(frozen=True)
class WgDevice:
    private_key: str = field(repr=False)
    listen_port: int | None
    peers: tuple[WgPeer, ...]


@dataclass(frozen=True)
class DumpPeer:
    """One peer as the device reports it (`wg show <if> dump`)."""

    public_key: str
    preshared_key: str | None = field(repr=False)
    endpoint: str | None
    allowed_ips: frozenset[str]
    latest_handshake: int  # seconds since the epoch; 0 = never
    rx_bytes: int
    tx_bytes: int
    keepalive: int | None


@dataclass(frozen=True)
class DumpDevice:
    private_key: str | None = field(repr=False)
    public_key: str | None
    listen_port: int
    peers: dict[str, DumpPeer]


def normalise_networks(text: str) -> frozenset[str]:
    items = [x.strip() for x in text.split(",") if x.strip() and x.strip() != "(none)"]
    return frozenset(str(ipaddress.ip_network(x, strict=False)) for x in items)


def parse_config(text: str, file: str) -> WgDevice:
    """Parse a `wg setconf` file (what makeconf writes); raise ConfigError naming the line."""
    problems: list[Problem] = []
    sections: list[tuple[str, dict[str, str], int]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1].strip().lower(), {}, number))
        elif "=" in line and sections:
            key, value = (part.strip() for part in line.split("=", 1))
            sections[-1][1][key.lower()] = value
        else:
            problems.append(Problem(file, f"line {number}", "not a [Section] or Key = Value"))
    interface = [s for s in sections if s[0] == "interface"]
    if len(interface) != 1 or "privatekey" not in interface[0][1]:
        problems.append(
            Problem(
                file,
                "[Interface]",
                "exactly one [Interface] with a PrivateKey is needed; re-run makeconf",
            )
        )
    peers = []
    for name, values, number in sections:
        if name != "peer":
            continue
        try:
            peers.append(_peer(values))
        except (KeyError, ValueError) as exc:
            problems.append(
                Problem(file, f"[Peer] at line {number}", f"invalid: {exc}; re-run makeconf")
            )
    if problems:
        raise ConfigError(problems)
    values = interface[0][1]
    try:
        port = int(values["listenport"]) if "listenport" in values else None
    except ValueError:
        raise ConfigError([Problem(file, "[Interface]", "ListenPort must be a number")]) from None
    return WgDevice(values["privatekey"], port, tuple(peers))


def _peer(values: dict[str, str]) -> WgPeer:
    keepalive = values.get("persistentkeepalive")
    return WgPeer(
        public_key=values["publickey"],
        allowed_ips=normalise_networks(values.get("allowedips", "")),
        preshared_key=values.get("presharedkey"),
        endpoint=values.get("endpoint"),
        keepalive=int(keepalive) if keepalive and keepalive != "off" and int(keepalive) else None,
    )


def render_config(device: WgDevice) -> str:
    """The text `wg syncconf <if> /dev/stdin` reads. Contains keys: stdin only."""
    lines = ["[Interface]", f"PrivateKey = {device.private_key}"]
    if device.listen_port is not None:
        lines.append(f"ListenPort = {device.listen_port}")
    for peer in device.peers:
        lines += ["", "[Peer]", f"PublicKey = {peer.public_key}"]
        if peer.preshared_key:
            lines.append(f"PresharedKey = {peer.preshared_key}")
        if peer.allowed_ips:
            lines.append(f"AllowedIPs = {', '.join(sorted(peer.allowed_ips))}")
        if peer.endpoint:
            lines.append(f"Endpoint = {peer.endpoint}")
        if peer.keepalive:
            lines.append(f"PersistentKeepalive = {peer.keepalive}")
    return "\n".join(lines) + "\n"


def parse_dump(text: str) -> DumpDevice:
    """Parse `wg show <if> dump`: the first line is the interface, then one line per peer."""
    lines = [line.split("\t") for line in text.splitlines() if line.strip()]
    if not lines or len(lines[0]) < 3:
        raise ValueError("wg show dump: no interface line")
    head = lines[0]
    peers = {}
    for cols in lines[1:]:
        if len(cols) < 8:
            raise ValueError("wg show dump: short peer line")
        peers[cols[0]] = DumpPeer(
            public_key=cols[0],
            preshared_key=None if cols[1] == "(none)" else cols[1],
            endpoint=None if cols[2] == "(none)" else cols[2],
            allowed_ips=normalise_networks(cols[3]),
            latest_handshake=int(cols[4]),
            rx_bytes=int(cols[5]),
            tx_bytes=int(cols[6]),
            keepalive=None if cols[7] == "off" else int(cols[7]) or None,
        )
    return DumpDevice(
        private_key=None if head[0] == "(none)" else head[0],
        public_key=None if head[1] == "(none)" else head[1],
        listen_port=int(head[2]),
        peers=peers,
    )


def dump_as_config(dump: DumpDevice) -> WgDevice:
    """What the device holds, as a config: used to roll a sync back."""
    return WgDevice(
        private_key=dump.private_key or "",
        listen_port=dump.listen_port,
        peers=tuple(
            WgPeer(p.public_key, p.allowed_ips, p.preshared_key, p.endpoint, p.keepalive)
            for p in dump.peers.values()
        ),
    )
