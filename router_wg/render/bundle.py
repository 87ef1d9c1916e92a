"""One site's bundle: `<interface>.conf` for `wg setconf` and `wg.conf` for router-wg itself.

Same mesh in, same bytes out: peers come in mesh order and nothing depends on the clock.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from router_wg.model import Mesh, Site
from router_wg.render import toml
from router_wg.site import SITE_FILE

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    # Plain text configuration files, not HTML: values are checked by the model instead.
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701
    )
    environment.filters["toml"] = toml.value
    return environment


def render_bundle(mesh: Mesh, site: Site) -> dict[str, str]:
    """File name -> text for the site's folder."""
    if not mesh.is_complete:
        raise ValueError("render_bundle needs a complete mesh (keys and tunnel addresses)")
    interface = mesh.settings.interface
    context = {
        "site": site,
        "settings": mesh.settings,
        "interface": interface,
        "listen_port": mesh.port_of(site),
        "links": mesh.links_of(site),
        "watchdog": mesh.watchdog_of(site),
    }
    environment = _environment()
    return {
        f"{interface}.conf": environment.get_template("wireguard.conf.j2").render(context),
        SITE_FILE: environment.get_template("wg.conf.j2").render(context),
    }
