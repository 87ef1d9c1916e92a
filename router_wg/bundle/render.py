"""A site's bundle as text, one renderer per file: `wg.conf` from its template (jinja2),
`<interface>.conf` through `bundle.wireguard.render_config` (standard library, because
`start` renders the same format for `wg syncconf` and must not import jinja2).

Same bundle in, same bytes out: peers in the order given, nothing depends on the clock.
Only makeconf imports this module.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from router_wg.bundle import toml
from router_wg.bundle.site import SITE_FILE, Site
from router_wg.bundle.wireguard import WgDevice, render_config

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    # Plain text configuration files, not HTML: values are checked before they get here.
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


def render_settings(site: Site) -> str:
    """wg.conf: router-wg's own settings of one site (no secrets)."""
    if site.stamp is None:
        raise ValueError("render_settings needs the bundle's stamp (serial and fingerprint)")
    return _environment().get_template("wg.conf.j2").render(site=site)


def render_wireguard(site: Site, device: WgDevice) -> str:
    """<interface>.conf: what `wg setconf` accepts as it is; holds the private key."""
    if device.stamp is None or device.stamp != site.stamp:
        raise ValueError("render_wireguard needs the same stamp as the site's wg.conf")
    header = (
        f"WireGuard configuration of {site.fqdn}, written by router-wg makeconf.",
        f"`wg setconf {site.interface} {site.wireguard_file}` accepts it as it is. It holds "
        "this router's",
        "private key: keep it mode 0600. Re-run makeconf to change it.",
    )
    names = {peer.public_key: peer.fqdn for peer in site.peers}
    return render_config(device, header=header, peer_names=names)


def render_bundle(site: Site, device: WgDevice) -> dict[str, str]:
    """File name -> text for the site's folder."""
    return {site.wireguard_file: render_wireguard(site, device), SITE_FILE: render_settings(site)}
