"""From a complete mesh to each site's bundle (`router_wg.bundle`: a `Site` for wg.conf, a
`WgDevice` for <interface>.conf), stamped with the mesh record's serial and fingerprint.

The fingerprint is a hash of the record without its serial: every bundle of one version of
the mesh carries the same, and any change of keys, addresses or settings changes it. It
reveals nothing of the keys (a truncated SHA-256 of 256-bit secrets). The serial grows by
one each time makeconf writes a mesh whose fingerprint differs from the record's.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from router_wg.bundle.site import Peer, Site, Stamp
from router_wg.bundle.wireguard import WgDevice, WgPeer
from router_wg.model import Mesh
from router_wg.model import Site as MeshSite
from router_wg.render.record import render_record


def fingerprint(mesh: Mesh | None) -> str | None:
    if mesh is None or not mesh.is_complete:
        return None
    text = render_record(replace(mesh, serial=0))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def next_serial(mesh: Mesh, previous: Mesh | None) -> int:
    """The record's serial, or one more when the mesh changed since `previous` (the record
    in the output folder, or the answers themselves when they are a complete record)."""
    serial = previous.serial if previous else 0
    unchanged = serial > 0 and fingerprint(previous) == fingerprint(mesh)
    return serial if unchanged else serial + 1


def stamp_of(mesh: Mesh) -> Stamp:
    found = fingerprint(mesh)
    if found is None or mesh.serial < 1:
        raise ValueError("a bundle's stamp needs a complete mesh with its serial")
    return Stamp(mesh.serial, found)


def site_bundle(mesh: Mesh, site: MeshSite, stamp: Stamp) -> tuple[Site, WgDevice]:
    settings = mesh.settings
    links = mesh.links_of(site)
    peers = tuple(
        Peer(
            fqdn=link.peer.fqdn,
            public_key=link.peer.public_key,
            tunnel_address=link.peer.tunnel_address,
            lans=link.peer.lans,
            endpoint=link.endpoint,
            keepalive=link.keepalive,
        )
        for link in links
    )
    own = Site(
        fqdn=site.fqdn,
        interface=settings.interface,
        tunnel_address=site.tunnel_address,
        tunnel_prefix=settings.tunnel_network.prefixlen,
        listen_port=mesh.port_of(site),
        lans=site.lans,
        peers=peers,
        watchdog=mesh.watchdog_of(site),
        mtu=settings.mtu,
        fallback_network=settings.fallback_network,
        fallback_interface=settings.fallback_interface,
        stamp=stamp,
    )
    device = WgDevice(
        private_key=site.private_key,
        listen_port=mesh.port_of(site),
        peers=tuple(
            WgPeer(
                public_key=link.peer.public_key,
                allowed_ips=tuple(link.allowed_ips),
                preshared_key=link.preshared_key,
                endpoint=link.endpoint,
                keepalive=link.keepalive,
            )
            for link in links
        ),
        stamp=stamp,
    )
    return own, device


def render_site(mesh: Mesh, site: MeshSite) -> dict[str, str]:
    """File name -> text of one site's bundle folder, for a complete mesh with its serial."""
    from router_wg.bundle.render import render_bundle  # jinja2

    return render_bundle(*site_bundle(mesh, site, stamp_of(mesh)))
