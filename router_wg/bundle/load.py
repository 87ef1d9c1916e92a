"""Both files of a bundle, read and checked against each other before anything touches
the kernel: they must come from the same makeconf run (the same `Stamp`) and describe the
same peers. `start` and `plan` refuse a pair that does not (exit 3, nothing changed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from router_wg.bundle.settings import load_site, read_text
from router_wg.bundle.site import RECOPY, SITE_FILE, Site
from router_wg.bundle.wireguard import WgDevice, parse_config
from router_wg.errors import ConfigError, Problem


@dataclass(frozen=True)
class Bundle:
    site: Site
    wireguard: WgDevice


def load_bundle(conf_dir: Path) -> Bundle:
    site = load_site(conf_dir)
    path = conf_dir / site.wireguard_file
    device = parse_config(read_text(path), str(path))
    problems = mismatches(site, device, str(conf_dir / SITE_FILE), str(path))
    if problems:
        raise ConfigError(problems)
    return Bundle(site, device)


def mismatches(site: Site, device: WgDevice, site_file: str, wireguard_file: str) -> list[Problem]:
    """Why these two files are not one bundle; empty when they are."""
    fix = f"both files must come from the same makeconf run: {RECOPY}"
    if site.stamp is None:
        return [Problem(site_file, "[bundle]", f"is missing (an older makeconf wrote it); {fix}")]
    if device.stamp is None:
        return [
            Problem(wireguard_file, "line 1", f"has no '# router-wg bundle:' stamp line; {fix}")
        ]
    if device.stamp != site.stamp:
        return [
            Problem(
                wireguard_file,
                "line 1",
                f"is from mesh {device.stamp}, but {SITE_FILE} is from mesh {site.stamp}; {fix}",
            )
        ]
    problems = []
    wanted = {peer.public_key for peer in site.peers}
    configured = {peer.public_key for peer in device.peers}
    if wanted != configured:
        problems.append(
            Problem(
                wireguard_file,
                "[Peer]",
                f"its {len(configured)} peers are not the {len(wanted)} of {SITE_FILE}; {fix}",
            )
        )
    if device.listen_port is not None and device.listen_port != site.listen_port:
        problems.append(
            Problem(
                wireguard_file,
                "ListenPort",
                f"{device.listen_port} is not {SITE_FILE}'s listen_port {site.listen_port}; {fix}",
            )
        )
    return problems
