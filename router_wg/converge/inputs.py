"""What a converge reads besides the kernel, gathered into the desired state: the bundle
(router_wg.bundle.load), endpoint names resolved (bounded), the peers the watchdog
withdrew, and the cron line of this install."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from router_wg.backends import firewall
from router_wg.backends.resolve import resolve_endpoints
from router_wg.bundle.load import Bundle
from router_wg.bundle.wireguard import WgDevice
from router_wg.converge.desired import desired_state
from router_wg.converge.state import Desired
from router_wg.converge.withdrawn import load_withdrawn
from router_wg.paths import Paths

CRON_SCHEDULE = "* * * * *"
WRAPPER_ENV = "ROUTER_WG_WRAPPER"  # set by files/jffs/router-wg/router-wg.sh


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
    bundle: Bundle, paths: Paths, conf_dir: Path, resolved: dict[str, list[str]]
) -> Desired:
    return desired_state(
        bundle.site,
        bundle.wireguard,
        load_withdrawn(paths),
        resolved,
        cron_line=watchdog_cron_line(paths, conf_dir),
        fw4=firewall.kind() == firewall.FW4,
    )
