"""The lab's mesh files say what the tests mean: the example as data is the shipped example,
and every field lands in the table a user would write it in."""

from __future__ import annotations

import tomllib

from lab.meshes import EXAMPLE, EXAMPLE_MESH, mesh_toml, site, three_sites

from router_wg.model import load_mesh


def test_the_example_as_data_is_the_shipped_example():
    shipped = load_mesh(EXAMPLE.read_text(), "three-sites.toml")
    assert load_mesh(mesh_toml(three_sites(), **EXAMPLE_MESH), "mesh.toml") == shipped
    moved = mesh_toml(three_sites(beta={"listen_port": 51820}), **EXAMPLE_MESH)
    assert load_mesh(moved, "mesh.toml") != shipped


def test_fields_land_in_their_tables_and_none_leaves_one_out():
    text = mesh_toml(
        [site("alpha", 1, endpoint=None, nat=True, watchdog={"fall": 4}), site("beta", 2)],
        watchdog={"probe_timeout": 1.5},
        tunnel_network=None,
        interface="wgm",
    )
    assert tomllib.loads(text) == {
        "mesh": {"interface": "wgm"},
        "watchdog": {"probe_timeout": 1.5},
        "site": [
            {
                "fqdn": "alpha.example.net",
                "lans": ["10.0.1.0/24"],
                "nat": True,
                "watchdog": {"fall": 4},
            },
            {"fqdn": "beta.example.net", "endpoint": "beta.example.net", "lans": ["10.0.2.0/24"]},
        ],
    }
