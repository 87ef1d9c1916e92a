"""Keys as WireGuard makes them, checked against the real `wg` tool."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest

from router_wg.makeconf import keys
from router_wg.makeconf.merge import key_problems
from router_wg.model import Mesh, Settings, Site

needs_wg = pytest.mark.skipif(shutil.which("wg") is None, reason="wireguard-tools (wg) missing")


def wg(*argv: str, stdin: str = "") -> str:
    return subprocess.run(
        ["wg", *argv], input=stdin, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_private_keys_are_clamped_32_byte_base64() -> None:
    for _ in range(20):
        raw = base64.b64decode(keys.generate_private_key(), validate=True)
        assert len(raw) == 32 and raw[0] & 7 == 0 and raw[31] & 128 == 0 and raw[31] & 64


def test_keys_are_not_repeated() -> None:
    made = {keys.generate_private_key() for _ in range(50)}
    made |= {keys.generate_preshared_key() for _ in range(50)}
    assert len(made) == 100


@needs_wg
def test_public_key_is_what_wg_pubkey_says() -> None:
    for private in [keys.generate_private_key() for _ in range(5)] + [wg("genkey")]:
        assert keys.public_key(private) == wg("pubkey", stdin=private)


@needs_wg
def test_wg_accepts_our_preshared_key_format() -> None:
    psk = keys.generate_preshared_key()
    assert len(psk) == 44 and len(base64.b64decode(psk)) == 32
    assert len(wg("genpsk")) == len(psk)


def test_a_public_key_from_another_pair_is_named_but_not_shown() -> None:
    private, other = keys.generate_private_key(), keys.generate_private_key()
    site = Site("alpha.example.net", private_key=private, public_key=keys.public_key(other))
    mesh = Mesh(Settings(tunnel_network=None), (site,))  # type: ignore[arg-type]
    (problem,) = key_problems(mesh, "mesh.toml")
    assert problem.where == "site alpha.example.net, field public_key"
    assert private not in str(problem) and keys.public_key(other) not in str(problem)
    right = Site("b.net", private_key=private, public_key=keys.public_key(private))
    assert key_problems(Mesh(Settings(tunnel_network=None), (right,)), "m") == []  # type: ignore[arg-type]
