"""Watchdog thresholds from mesh.toml: they land in each wg.conf (read back by the loader
`check` uses), defaults fill what the mesh leaves out, and the record keeps exactly what the
mesh set so a re-run renders the same thing."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

from lab.meshes import mesh_toml, three_sites

from router_wg.bundle.settings import load_site
from router_wg.bundle.site import Watchdog
from router_wg.makeconf.bundles import render_site
from router_wg.makeconf.merge import merge
from router_wg.model import Mesh, load_mesh
from router_wg.render.record import render_record

WATCHDOG = {"fall": 5, "probe_timeout": 1, "hold_down": 30}
BETA_OWN = {"rise": 4, "loop_interval": 10, "probe_timeout": 2.5}


def complete(text: str) -> Mesh:
    return merge(load_mesh(text, "mesh.toml"), None).mesh


def mesh_text(watchdog: dict | None = None, beta_own: dict | None = None) -> str:
    sites = three_sites(beta={"watchdog": beta_own})
    return mesh_toml(sites, watchdog=watchdog)


def loaded(mesh: Mesh, fqdn: str, tmp_path: Path):
    folder = tmp_path / fqdn
    folder.mkdir()
    for name, text in render_bundle(mesh, mesh.site(fqdn)).items():
        (folder / name).write_text(text)
    return load_site(folder)


def test_mesh_values_land_in_every_wg_conf_and_a_site_table_overrides_them(tmp_path) -> None:
    mesh = complete(mesh_text(WATCHDOG, BETA_OWN))
    mesh_wide = Watchdog(fall=5, rise=2, probe_timeout=1.0, hold_down=30, loop_interval=3)
    assert loaded(mesh, "alpha.example.net", tmp_path).watchdog == mesh_wide
    assert loaded(mesh, "gamma.example.net", tmp_path).watchdog == mesh_wide
    assert loaded(mesh, "beta.example.net", tmp_path).watchdog == Watchdog(
        fall=5, rise=4, probe_timeout=2.5, hold_down=30, loop_interval=10
    )


def test_without_the_table_wg_conf_gets_the_watchdog_defaults(tmp_path) -> None:
    mesh = complete(mesh_text())
    text = render_bundle(mesh, mesh.site("alpha.example.net"))["wg.conf"]
    assert tomllib.loads(text)["watchdog"] == {
        "mode": "resident",
        "probe_interval": 0.5,
        "lost_probes": 15,
        "answered_probes": 4,
        "hold_down": 15,
        "fall": 3,
        "rise": 2,
        "probe_timeout": 2.0,
        "loop_interval": 3,
    }
    assert loaded(mesh, "alpha.example.net", tmp_path).watchdog == Watchdog()


def test_the_record_keeps_exactly_what_the_mesh_set_and_round_trips() -> None:
    mesh = complete(mesh_text(WATCHDOG, BETA_OWN))
    record = render_record(mesh)
    data = tomllib.loads(record)
    assert data["watchdog"] == {"fall": 5, "probe_timeout": 1.0, "hold_down": 30}
    assert [site.get("watchdog") for site in data["site"]] == [
        None,
        {"rise": 4, "probe_timeout": 2.5, "loop_interval": 10},
        None,
    ]
    again = load_mesh(record, "mesh.toml")
    assert again.settings.watchdog == mesh.settings.watchdog
    assert [s.watchdog for s in again.sites] == [s.watchdog for s in mesh.sites]
    assert render_record(again) == record
    for site in mesh.sites:
        assert render_bundle(again, again.site(site.fqdn)) == render_bundle(mesh, site)


def test_a_record_without_watchdog_values_has_no_watchdog_table() -> None:
    data = tomllib.loads(render_record(complete(mesh_text())))
    assert "watchdog" not in data and all("watchdog" not in site for site in data["site"])


def render_bundle(mesh, site) -> dict[str, str]:
    """A site's files, as makeconf writes them (serial 1 unless the mesh has one)."""
    return render_site(replace(mesh, serial=mesh.serial or 1), site)
