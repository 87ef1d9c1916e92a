"""The mesh as data: who peers with whom, and how addresses and keys are completed."""

from __future__ import annotations

import ipaddress

from lab.meshes import mesh_toml

from router_wg.fields import endpoint_of
from router_wg.makeconf.merge import merge
from router_wg.model import Mesh, Settings, Site, load_mesh

NET = ipaddress.ip_network("192.168.100.0/29")


def site(fqdn: str, **fields) -> Site:
    return Site(fqdn=fqdn, **fields)


def test_endpoints_are_written_as_wg_parses_them() -> None:
    assert endpoint_of("alpha.example.net", 51820) == "alpha.example.net:51820"
    assert endpoint_of("192.0.2.1", 1) == "192.0.2.1:1"
    assert endpoint_of("2001:db8::1", 51821) == "[2001:db8::1]:51821"


def test_explicit_addresses_are_kept_and_the_rest_filled_lowest_first() -> None:
    answers = Mesh(
        Settings(tunnel_network=NET),
        (
            site("a.net"),
            site("b.net", tunnel_address=ipaddress.ip_address("192.168.100.1")),
            site("c.net"),
        ),
    )
    mesh = merge(answers, None).mesh
    assert [str(s.tunnel_address) for s in mesh.sites] == [
        "192.168.100.2",
        "192.168.100.1",
        "192.168.100.3",
    ]


def test_addresses_kept_from_the_record_are_not_given_away() -> None:
    record = merge(Mesh(Settings(tunnel_network=NET), (site("a.net"), site("b.net"))), None).mesh
    grown = Mesh(Settings(tunnel_network=NET), (site("new.net"), site("b.net"), site("a.net")))
    mesh = merge(grown, record).mesh
    assert {s.fqdn: str(s.tunnel_address) for s in mesh.sites} == {
        "new.net": "192.168.100.3",
        "b.net": "192.168.100.2",
        "a.net": "192.168.100.1",
    }
    assert mesh.site("a.net").private_key == record.site("a.net").private_key
    assert mesh.preshared_keys[("a.net", "b.net")] == record.preshared_keys[("a.net", "b.net")]


def test_a_record_site_claimed_address_moves_with_a_note() -> None:
    record = merge(Mesh(Settings(tunnel_network=NET), (site("a.net"), site("b.net"))), None).mesh
    claim = ipaddress.ip_address("192.168.100.1")  # a's address, now asked for by b
    answers = Mesh(
        Settings(tunnel_network=NET), (site("a.net"), site("b.net", tunnel_address=claim))
    )
    merged = merge(answers, record)
    assert str(merged.mesh.site("b.net").tunnel_address) == "192.168.100.1"
    assert str(merged.mesh.site("a.net").tunnel_address) == "192.168.100.2"
    assert any(note.startswith("a.net: its tunnel address 192.168.100.1") for note in merged.notes)


def test_links_leave_out_only_pairs_that_nobody_can_dial() -> None:
    sites = [
        {"fqdn": "hub.net", "endpoint": "hub.net", "lans": []},
        {"fqdn": "nat1.net", "nat": True, "lans": []},
        {"fqdn": "quiet.net", "lans": []},
    ]
    mesh = merge(load_mesh(mesh_toml(sites, keepalive=9), "m"), None).mesh
    links = {
        s.fqdn: [(ln.peer.fqdn, ln.endpoint, ln.keepalive) for ln in mesh.links_of(s)]
        for s in mesh.sites
    }
    assert links == {
        "hub.net": [("nat1.net", None, None), ("quiet.net", None, None)],
        "nat1.net": [("hub.net", "hub.net:51820", 9)],
        "quiet.net": [("hub.net", "hub.net:51820", None)],
    }
    assert [(a.fqdn, b.fqdn) for a, b in mesh.unreachable_pairs()] == [("nat1.net", "quiet.net")]
