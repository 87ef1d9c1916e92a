"""From the bundle on disk to the desired state: read wg.conf and <interface>.conf,
resolve endpoint names (bounded), and add what the watchdog withdrew."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from router_wg.backends.resolve import resolve_endpoints
from router_wg.converge.desired import desired_state
from router_wg.converge.state import Desired
from router_wg.converge.wgconf import WgDevice, parse_config
from router_wg.converge.withdrawn import load_withdrawn
from router_wg.errors import ConfigError, Problem
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of  # noqa: F401 (re-exported)
from router_wg.site import Site, load_site

CRON_SCHEDULE = "* * * * *"
WRAPPER_ENV = "ROUTER_WG_WRAPPER"  # set by files/jffs/router-wg/router-wg.sh


def load_bundle(conf_dir: Path) -> tuple[Site, WgDevice]:
    site = load_site(conf_dir)
    path = conf_dir / site.wireguard_file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    "file",
                    f"cannot read it ({exc.strerror}); copy the whole bundle folder from makeconf",
                )
            ]
        ) from None
    return site, parse_config(text, str(path))


def watchdog_cron_line(paths: Paths, conf_dir: Path) -> str:
    """The cron line for `check`. Through the wrapper script when start runs from one
    (it sets ROUTER_WG_WRAPPER): only the wrapper knows where python3 and the library are
    on a /jffs install, and it passes its own folder as the bundle."""
    wrapper = os.environ.get(WRAPPER_ENV)
    if wrapper:
        prefix = (
            ""
            if paths.root == Path("/")
            else f"ROUTER_WG_ROOT={shlex.quote(str(paths.root.absolute()))} "
        )
        return f"{CRON_SCHEDULE} {prefix}{shlex.quote(wrapper)} check"
    argv = [sys.executable, "-m", "router_wg"]
    if paths.root != Path("/"):
        argv += ["--root", str(paths.root.absolute())]
    argv += ["check", "--conf-dir", str(conf_dir.absolute())]
    return f"{CRON_SCHEDULE} {shlex.join(argv)}"


def resolve_for(wg_config: WgDevice) -> dict[str, list[str]]:
    return resolve_endpoints(p.endpoint for p in wg_config.peers if p.endpoint)


def build_desired(
    site: Site, wg_config: WgDevice, paths: Paths, conf_dir: Path, resolved: dict[str, list[str]]
) -> Desired:
    return desired_state(
        site,
        wg_config,
        load_withdrawn(paths),
        resolved,
        cron_line=watchdog_cron_line(paths, conf_dir),
    )
