"""One watchdog tick, what cron runs every minute (`router-wg check`), and the loop of
ticks (`check --loop`).

A tick probes every peer through the tunnel at once, feeds the answers to the hysteresis
(health.py), saves the new state, and only when a peer's routes must move (or its endpoint
name must be looked up again, or the kernel is out of step with the state) converges the
router through the same service as `start`, handing it the peers it withdrew. A quiet tick
imports no netlink library and spawns no process.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from pathlib import Path

from router_wg.backends import lock
from router_wg.backends.rtnetlink import Reader
from router_wg.backends.runner import Runner
from router_wg.bundle.site import Site
from router_wg.events import send_event
from router_wg.paths import Paths
from router_wg.watchdog import kernel
from router_wg.watchdog.health import Change, PeerHealth, Thresholds, decide
from router_wg.watchdog.probe import probe
from router_wg.watchdog.state import load_state, save_state

log = logging.getLogger("router_wg")
REJECT_AFTER_TIME = 180  # seconds: WireGuard gives up on a session this old
LOCK_WAIT = 20.0  # a tick that cannot get the lock skips; the next one will try again


def loop(site: Site, paths: Paths, conf_dir: Path) -> None:
    """Tick every loop_interval seconds until SIGTERM or Ctrl-C (KeyboardInterrupt)."""
    interval = site.watchdog.loop_interval
    # A loop lives long: it pays the imports of a converge once, here, so that the tick
    # which withdraws a dead peer's routes does not first spend seconds importing pyroute2.
    from router_wg.backends.netlink import load_pyroute2
    from router_wg.converge import service  # noqa: F401

    load_pyroute2()
    while True:
        started = time.monotonic()
        tick(site, paths, conf_dir, started)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def thresholds_of(site: Site) -> Thresholds:
    return Thresholds(site.watchdog.fall, site.watchdog.rise, float(site.watchdog.hold_down))


def tick(site: Site, paths: Paths, conf_dir: Path, now: float) -> list[Change]:
    """One tick at monotonic time `now`; returns the route changes it made."""
    if kernel.interface_index(site.interface) is None:
        log.info(
            "%s does not exist: router-wg is not started here, nothing to watch", site.interface
        )
        return []
    with lock.held(paths, wait=LOCK_WAIT), Reader() as reader:
        previous = load_state(paths.watchdog_state)
        rebuilt = previous is None
        if rebuilt:
            previous = state_from_kernel(site, reader)
        answered = probe([str(p.tunnel_address) for p in site.peers], site.watchdog.probe_timeout)
        alive = {p.fqdn: answered[str(p.tunnel_address)] for p in site.peers}
        health, changes = decide(
            previous, alive, now, thresholds_of(site), kernel.has_default_route(reader)
        )
        save_state(paths.watchdog_state, health)  # first: start reads the withdrawn peers
        lookup = peers_to_look_up(site, alive)
        moved: list[str] = []
        # a tick killed between saving and applying, or a hand-made change, leaves the
        # kernel out of step with the state: cheap to see, put right like a change
        drifted = routes_out_of_step(site, health, reader)
        if changes or rebuilt or lookup or drifted:
            log.info(
                "converging: %d route changes, names to look up: %s, out of step: %s",
                len(changes),
                lookup,
                drifted,
            )
            moved = _converge(site, paths, conf_dir, health)
    for change in changes:
        send_event(paths.syslog_socket, describe(change))
    for line in moved:
        send_event(paths.syslog_socket, line)
    return changes


def _converge(site: Site, paths: Paths, conf_dir: Path, health: dict[str, PeerHealth]) -> list[str]:
    """The whole router to its bundle with the peers `health` withdrew; the syslog lines
    for endpoints that moved. Imported only here: a quiet tick needs none of it."""
    from router_wg.bundle.load import load_bundle
    from router_wg.converge.inputs import resolve_for
    from router_wg.converge.service import converge

    bundle = load_bundle(conf_dir)
    withdrawn = frozenset(name for name, peer in health.items() if peer.withdrawn)
    plan = converge(
        paths,
        conf_dir,
        bundle,
        withdrawn,
        lambda text: log.info("[+] %s", text),
        resolved=resolve_for(bundle.wireguard),
    )
    return endpoints_changed(site, plan)


def endpoints_changed(site: Site, plan) -> list[str]:
    """Syslog lines for peers whose endpoint the plan moved (a name now resolving to a
    new address, or resolving at all)."""
    from router_wg.converge.resources.link.actions import SyncWireGuard

    peers = {p.public_key: p for p in site.peers}
    lines = []
    for action in plan:
        if not isinstance(action, SyncWireGuard) or action.previous is None:
            continue
        before = {p.public_key: p.endpoint for p in action.previous.peers}
        for wanted in action.config.peers:
            peer = peers.get(wanted.public_key)
            old = before.get(wanted.public_key)
            if peer and wanted.endpoint and wanted.public_key in before and old != wanted.endpoint:
                lines.append(
                    f"{peer.fqdn}: endpoint changed to {wanted.endpoint} (was {old or 'none'}; "
                    f"{peer.endpoint} resolves to a new address)"
                )
    return lines


def state_from_kernel(site: Site, reader: Reader) -> dict[str, PeerHealth]:
    """No state for this boot: a peer none of whose LAN routes is there is withdrawn."""
    routed = kernel.routed_networks(reader, site.interface)
    return {
        peer.fqdn: PeerHealth(
            withdrawn=bool(peer.lans) and not routed & {str(n) for n in peer.lans}
        )
        for peer in site.peers
    }


def routes_out_of_step(site: Site, health: dict[str, PeerHealth], reader: Reader) -> list[str]:
    """Peers whose LAN routes are not as the state says: some present while withdrawn,
    or some missing while not withdrawn."""
    routed = kernel.routed_networks(reader, site.interface)
    out = []
    for peer in site.peers:
        lans = {str(n) for n in peer.lans}
        withdrawn = health.get(peer.fqdn, PeerHealth()).withdrawn
        if (lans & routed) if withdrawn else (lans - routed):
            out.append(peer.fqdn)
    return out


def peers_to_look_up(site: Site, alive: dict[str, bool]) -> list[str]:
    """Silent peers dialled by name whose session is older than WireGuard's reject time:
    their address may have changed behind the name (dynamic DNS)."""
    named = [
        p
        for p in site.peers
        if not alive[p.fqdn] and p.endpoint and not _is_address(p.endpoint.rpartition(":")[0])
    ]
    if not named:
        return []
    handshakes = kernel.latest_handshakes(Runner(), site.interface)
    now = time.time()
    return [
        p.fqdn
        for p in named
        if handshakes.get(p.public_key, 0) == 0
        or not 0 <= now - handshakes[p.public_key] <= REJECT_AFTER_TIME
    ]


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def describe(change: Change) -> str:
    """The syslog line: what moved, why, and how long the peer was in its previous state."""
    seconds = change.previous_state_seconds
    before = "since the watchdog started" if seconds is None else f"for {seconds:.0f} s"
    if change.withdraw:
        what, previous = "routes withdrawn, traffic goes to the fallback", "on WireGuard"
    else:
        what, previous = "routes restored, traffic back on WireGuard", "withdrawn"
    return f"{change.peer}: {what} ({change.reason}; was {previous} {before})"
