"""The WireGuard device's configuration against the bundle's: what differs, one phrase per
difference, and what the device holds as a configuration to roll a sync back to. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from router_wg.backends.wireguard import DumpDevice, DumpPeer
from router_wg.bundle.wireguard import WgDevice, WgPeer


def endpoint_choices(
    device: WgDevice, resolved: Mapping[str, Sequence[str]]
) -> dict[str, frozenset[str]]:
    """public key -> every address its endpoint name resolved to (any of them is right)."""
    return {
        p.public_key: frozenset(resolved[p.endpoint])
        for p in device.peers
        if p.endpoint and resolved.get(p.endpoint)
    }


def wireguard_changes(
    want: WgDevice,
    device: DumpDevice | None,
    endpoint_choices: dict[str, frozenset[str]],
    peer_names: dict[str, str],
) -> list[str]:
    """What differs between the bundle's configuration `want` and the device, one human
    phrase per difference; `peer_names` maps public keys to fqdns."""
    if device is None:
        return [f"configure {len(want.peers)} peers"]
    changes = []
    if device.private_key != want.private_key:
        changes.append("set the private key")
    if want.listen_port is not None and device.listen_port != want.listen_port:
        changes.append(f"listen port {device.listen_port} -> {want.listen_port}")
    by_key = {p.public_key: p for p in want.peers}
    for key in device.peers.keys() - by_key.keys():
        changes.append(f"remove peer {key[:8]}...")
    for key, peer in by_key.items():
        name = peer_names.get(key, key[:8] + "...")
        have = device.peers.get(key)
        if have is None:
            changes.append(f"add peer {name}")
            continue
        differs = _peer_differences(peer, have, endpoint_choices.get(key, frozenset()))
        if differs:
            changes.append(f"peer {name}: change {', '.join(differs)}")
    return changes


def _peer_differences(want: WgPeer, have: DumpPeer, endpoint_choices: frozenset[str]) -> list[str]:
    differs = []
    if (want.preshared_key or None) != have.preshared_key:
        differs.append("preshared key")
    if want.allowed_networks != have.allowed_ips:
        differs.append("allowed ips")
    if (want.keepalive or None) != have.keepalive:
        differs.append("keepalive")
    # no endpoint wanted (unresolved, or a peer behind NAT): whatever the device learned is fine
    if want.endpoint and have.endpoint not in endpoint_choices | {want.endpoint}:
        differs.append(f"endpoint -> {want.endpoint}")
    return differs


def dump_as_config(dump: DumpDevice) -> WgDevice:
    """What the device holds, as a configuration: used to roll a sync back."""
    return WgDevice(
        private_key=dump.private_key or "",
        listen_port=dump.listen_port,
        peers=tuple(
            WgPeer(
                p.public_key, tuple(sorted(p.allowed_ips)), p.preshared_key, p.endpoint, p.keepalive
            )
            for p in dump.peers.values()
        ),
    )
