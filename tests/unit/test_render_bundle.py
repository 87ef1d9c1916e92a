"""A site's bundle: what wg0.conf and wg.conf say, read back by router-wg's own loader."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path

import pytest
from lab.meshes import FALLBACK_NETWORK, mesh_toml, site

from router_wg.bundle.settings import load_site
from router_wg.bundle.site import Watchdog
from router_wg.makeconf.bundles import render_site
from router_wg.makeconf.merge import merge
from router_wg.model import Mesh, load_mesh

# alpha: dialled by name; beta: dialled at an IPv6 literal on its own port;
# gamma and delta: behind NAT, nobody can dial them, so gamma <-> delta has no link.
MESH = mesh_toml(
    [
        site("alpha", 1, lans=["10.0.1.0/24", "10.0.11.0/24"]),
        site("beta", 2, endpoint="2001:db8::2", listen_port=51999),
        site("gamma", 3, endpoint=None, nat=True),
        site("delta", 4, endpoint=None, lans=[], nat=True),
    ],
    interface="wgm",
    fallback_network=FALLBACK_NETWORK,
    fallback_interface="tinc",
    keepalive=17,
    mtu=1400,
)


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return merge(load_mesh(MESH, "mesh.toml"), None).mesh


def bundle(mesh: Mesh, fqdn: str, tmp_path: Path):
    files = render_bundle(mesh, mesh.site(fqdn))
    assert sorted(files) == ["wg.conf", "wgm.conf"]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return files, load_site(tmp_path)


def test_wg_conf_loads_with_the_site_and_its_peers(mesh: Mesh, tmp_path: Path) -> None:
    _, site = bundle(mesh, "alpha.example.net", tmp_path)
    assert (site.fqdn, site.interface, site.listen_port, site.mtu) == (
        "alpha.example.net",
        "wgm",
        51820,
        1400,
    )
    assert site.tunnel_address == ipaddress.ip_address("192.168.100.1")
    assert site.tunnel_prefix == 24
    assert [str(n) for n in site.lans] == ["10.0.1.0/24", "10.0.11.0/24"]
    assert (str(site.fallback_network), site.fallback_interface) == ("10.0.0.0/16", "tinc")
    assert site.watchdog == Watchdog()
    assert [p.fqdn for p in site.peers] == [
        "beta.example.net",
        "gamma.example.net",
        "delta.example.net",
    ]
    beta = site.peers[0]
    assert beta.public_key == mesh.site("beta.example.net").public_key
    assert beta.endpoint == "[2001:db8::2]:51999"
    assert str(beta.tunnel_address) == "192.168.100.2"
    assert beta.keepalive is None  # alpha is not behind NAT
    assert site.peers[1].endpoint is None  # gamma cannot be dialled


def test_wireguard_file_matches_wg_conf(mesh: Mesh, tmp_path: Path) -> None:
    files, site = bundle(mesh, "alpha.example.net", tmp_path)
    text = files["wgm.conf"]
    assert f"PrivateKey = {mesh.site('alpha.example.net').private_key}\n" in text
    assert "ListenPort = 51820\n" in text
    for peer in site.peers:
        block = text.split(f"# {peer.fqdn}\n[Peer]\n", 1)[1].split("\n\n", 1)[0]
        assert f"PublicKey = {peer.public_key}\n" in block
        allowed = ", ".join([f"{peer.tunnel_address}/32", *map(str, peer.lans)])
        assert f"AllowedIPs = {allowed}\n" in block + "\n"
        assert ("Endpoint = " in block) == (peer.endpoint is not None)
        if peer.endpoint:
            assert f"Endpoint = {peer.endpoint}" in block
        assert "PersistentKeepalive" not in block


def test_site_behind_nat_keeps_every_link_alive(mesh: Mesh, tmp_path: Path) -> None:
    files, site = bundle(mesh, "gamma.example.net", tmp_path)
    assert [p.fqdn for p in site.peers] == ["alpha.example.net", "beta.example.net"]
    assert [p.keepalive for p in site.peers] == [17, 17]
    assert files["wgm.conf"].count("PersistentKeepalive = 17\n") == 2


def test_pair_without_any_endpoint_is_left_out_of_both(mesh: Mesh, tmp_path: Path) -> None:
    for fqdn, other in (("gamma.example.net", "delta"), ("delta.example.net", "gamma")):
        files, site = bundle(mesh, fqdn, tmp_path)
        assert other not in files["wgm.conf"] and other not in files["wg.conf"]
    assert [(a.fqdn, b.fqdn) for a, b in mesh.unreachable_pairs()] == [
        ("gamma.example.net", "delta.example.net")
    ]


def test_both_ends_of_a_pair_share_one_preshared_key(mesh: Mesh) -> None:
    alpha = render_bundle(mesh, mesh.site("alpha.example.net"))["wgm.conf"]
    beta = render_bundle(mesh, mesh.site("beta.example.net"))["wgm.conf"]
    psk = lambda text, peer: text.split(f"# {peer}\n")[1].split("PresharedKey = ")[1][:44]  # noqa: E731
    assert psk(alpha, "beta.example.net") == psk(beta, "alpha.example.net")
    assert psk(alpha, "beta.example.net") != psk(alpha, "gamma.example.net")


def test_no_secret_in_wg_conf(mesh: Mesh) -> None:
    text = render_bundle(mesh, mesh.site("alpha.example.net"))["wg.conf"]
    secrets = [s.private_key for s in mesh.sites] + list(mesh.preshared_keys.values())
    assert not any(secret in text for secret in secrets)


def test_same_mesh_same_bytes(mesh: Mesh) -> None:
    for each in mesh.sites:
        assert render_bundle(mesh, each) == render_bundle(mesh, each)


def test_incomplete_mesh_is_refused() -> None:
    answers = load_mesh(MESH, "mesh.toml")
    with pytest.raises(ValueError, match="complete"):
        render_bundle(answers, answers.sites[0])


def render_bundle(mesh, site) -> dict[str, str]:
    """A site's files, as makeconf writes them (serial 1 unless the mesh has one)."""
    return render_site(replace(mesh, serial=mesh.serial or 1), site)
