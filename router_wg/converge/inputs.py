"""Everything a converge reads besides the kernel, as one value: the bundle, the peers the
watchdog withdrew, what the endpoint names resolved to, this install's cron line and the
firewall in use. Each resource takes what it needs from it (`Resource.wanted`)."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from router_wg.backends import firewall
from router_wg.backends.resolve import resolve_endpoints
from router_wg.bundle.load import Bundle
from router_wg.bundle.site import Site
from router_wg.bundle.wireguard import WgDevice
from router_wg.paths import Paths

CRON_SCHEDULE = "* * * * *"
WRAPPER_ENV = "ROUTER_WG_WRAPPER"  # set by files/jffs/router-wg/router-wg.sh
# Set (by OpenWrt's /usr/bin/router-wg) to the init script whose service manager (procd)
# supervises the watcher: then router-wg neither starts nor ends it itself.
WATCHER_SERVICE_ENV = "ROUTER_WG_WATCHER_SERVICE"


@dataclass(frozen=True)
class Inputs:
    site: Site
    # the bundle's <interface>.conf; None when stopping, which reads only wg.conf
    device: WgDevice | None = field(repr=False)
    withdrawn: frozenset[str]  # peers (fqdn) whose LAN routes the watchdog withdrew
    # endpoint as written ("beta.example.net:51820") -> the "ip:port" it resolved to, first
    # preferred; missing or empty: unresolved, and that peer gets no endpoint for now
    resolved: Mapping[str, Sequence[str]]
    cron_line: str  # the crontab line (schedule + command), without the id
    firewall: str  # firewall.IPTABLES or firewall.FW4
    # how to start the watcher detached; None where a service manager supervises it
    watcher_argv: tuple[str, ...] | None = None

    @cached_property
    def resolved_device(self) -> WgDevice | None:
        """The device configuration with every endpoint name replaced by its first address."""
        if self.device is None:
            return None
        peers = []
        for peer in self.device.peers:
            if peer.endpoint is not None:
                found = tuple(self.resolved.get(peer.endpoint, ()))
                peer = replace(peer, endpoint=found[0] if found else None)
            peers.append(peer)
        return replace(self.device, peers=tuple(peers))


def inputs_for(
    bundle: Bundle, withdrawn: frozenset[str], resolved, paths: Paths, conf_dir: Path
) -> Inputs:
    return Inputs(
        site=bundle.site,
        device=bundle.wireguard,
        withdrawn=withdrawn,
        resolved=resolved,
        cron_line=watchdog_cron_line(paths, conf_dir),
        firewall=firewall.kind(),
        watcher_argv=None if watcher_service() else watcher_argv(paths, conf_dir),
    )


def stop_inputs(site: Site) -> Inputs:
    """What stop knows: the site (for names), the firewall, who supervises the watcher;
    nothing is wanted."""
    return Inputs(
        site, None, frozenset(), {}, "", firewall.kind(), None if watcher_service() else ()
    )


def watcher_service() -> str | None:
    return os.environ.get(WATCHER_SERVICE_ENV) or None


def _router_wg(paths: Paths) -> list[str]:
    """This Python running router-wg, re-rooted as this run is."""
    argv = [sys.executable, "-m", "router_wg"]
    if paths.root != Path("/"):
        argv += ["--root", str(paths.root.absolute())]
    return argv


def watcher_argv(paths: Paths, conf_dir: Path) -> tuple[str, ...]:
    """The detached watcher's command line; it inherits this run's environment (the
    wrapper's PYTHONPATH on a /jffs install)."""
    return (*_router_wg(paths), "watch", "--conf-dir", str(conf_dir.absolute()))


def resolve_for(device: WgDevice) -> dict[str, list[str]]:
    """Every endpoint name of the bundle looked up, with one bounded wait for all."""
    return resolve_endpoints(p.endpoint for p in device.peers if p.endpoint)


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
    argv = [*_router_wg(paths), "check", "--conf-dir", str(conf_dir.absolute())]
    return f"{CRON_SCHEDULE} {shlex.join(argv)}"
