"""Mesh files (the `mesh.toml` a user writes, makeconf's answers) shared by the tests.

A site is a dict of `[[site]]` fields; `mesh_toml` writes the file from sites and `[mesh]`
fields, so each test shows only what it is about:

    mesh_toml([site("alpha", 1), site("beta", 2, listen_port=0)])

Named pieces:
- `EXAMPLE`: the shipped example file (`router_wg/examples/three-sites.toml`, the README's
  and the demo's mesh); `EXAMPLE_MESH` and `three_sites()` are its `[mesh]` table and its
  sites as data (tests/selftest/test_lab_meshes.py holds them to the file);
- `TUNNEL_NETWORK`, `FALLBACK_NETWORK`: the example's networks; `mesh_toml` writes
  `tunnel_network = TUNNEL_NETWORK` unless told otherwise, every other `[mesh]` field is
  left to its default.

Standard library only: the tests that use it also run in the ARM guest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "router_wg" / "examples" / "three-sites.toml"
TUNNEL_NETWORK = "192.168.100.0/24"
FALLBACK_NETWORK = "10.0.0.0/16"
EXAMPLE_MESH = {
    "interface": "wg0",
    "listen_port": 51820,
    "tunnel_network": TUNNEL_NETWORK,
    "fallback_network": FALLBACK_NETWORK,
    "fallback_interface": "tinc",
    "keepalive": 25,
    "mtu": 1420,
}


def site(name: str, number: int, **fields) -> dict:
    """The site `<name>.example.net` with the LAN 10.0.<number>.0/24, dialled at its own name.

    `fields` add or replace `[[site]]` fields; one given as None is left out (`endpoint=None`:
    a site nobody dials). A dict value is a sub-table (`watchdog={...}`: `[site.watchdog]`).
    """
    fqdn = f"{name}.example.net"
    table = {"fqdn": fqdn, "endpoint": fqdn, "lans": [f"10.0.{number}.0/24"], **fields}
    return {key: value for key, value in table.items() if value is not None}


def three_sites(
    alpha: Mapping | None = None, beta: Mapping | None = None, gamma: Mapping | None = None
) -> list[dict]:
    """The example's sites: alpha and beta dialled at their names (beta on port 51821),
    gamma behind NAT with no endpoint. Each mapping adds or replaces fields of that site."""
    return [
        site("alpha", 1, **(alpha or {})),
        site("beta", 2, **{"listen_port": 51821, **(beta or {})}),
        site("gamma", 3, **{"endpoint": None, "nat": True, **(gamma or {})}),
    ]


def mesh_toml(sites: Iterable[Mapping], *, watchdog: Mapping | None = None, **mesh) -> str:
    """The mesh file: `[mesh]` (tunnel_network = TUNNEL_NETWORK and the given fields, a field
    given as None left out), `[watchdog]` when given, then one `[[site]]` per site."""
    settings = {"tunnel_network": TUNNEL_NETWORK, **mesh}
    parts = ["[mesh]\n" + fields_toml(settings)]
    if watchdog is not None:
        parts.append("[watchdog]\n" + fields_toml(watchdog))
    for table in sites:
        scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
        parts.append("[[site]]\n" + fields_toml(scalars))
        parts += [f"[site.{k}]\n" + fields_toml(v) for k, v in table.items() if k not in scalars]
    return "\n".join(parts)


def fields_toml(fields: Mapping) -> str:
    """`key = value` lines, one per field whose value is not None."""
    return "".join(f"{key} = {value_toml(v)}\n" for key, v in fields.items() if v is not None)


def value_toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_toml(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")
