"""`router-wg show [--json]`: per peer, its endpoint, latest handshake age, transfer,
which path carries its LANs right now (the kernel's own route lookup), and the watchdog's
view of it (healthy, failing k of n, withdrawn since when), from the watchdog's state."""

from __future__ import annotations

import json
import time

from router_wg.backends import wireguard
from router_wg.backends.netlink import Netlink
from router_wg.backends.runner import Runner
from router_wg.bundle.settings import load_site
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of
from router_wg.watchdog.health import PeerHealth, Thresholds
from router_wg.watchdog.state import load_state

CLOCK_SANE_AFTER = 1_500_000_000  # 2017: before that the router's clock is not set yet


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)
    parser.add_argument("--json", action="store_true", help="print JSON, for scripts")


def handshake_age(latest: int, now: float) -> int | None | str:
    """Seconds since the latest handshake; "never" for 0; None when the clock cannot say
    (not set yet at boot, or behind the handshake's own time)."""
    if latest == 0:
        return "never"
    if now < CLOCK_SANE_AFTER or now < latest:
        return None
    return int(now - latest)


def watchdog_view(health: PeerHealth | None, thresholds: Thresholds, now: float) -> dict:
    """The watchdog's opinion of one peer; `now` is monotonic, like the state's times."""
    if health is None:
        return {"state": "unknown", "text": "no state yet (check has not run since boot)"}
    if health.withdrawn:
        state, needed = "withdrawn", thresholds.rise
    else:
        state, needed = ("failing" if health.streak else "healthy"), thresholds.fall
    since = None if health.changed_at is None else round(max(0.0, now - health.changed_at), 1)
    return {
        "state": state,
        "streak": health.streak,
        "needed": needed,
        "since_seconds": since,  # since the peer's routes last moved (None: not this boot)
        "text": health.describe(thresholds, now),
    }


def peer_rows(site, device, path_of, watchdog: dict[str, PeerHealth] | None = None) -> list[dict]:
    now = time.time()
    thresholds = Thresholds(site.watchdog.fall, site.watchdog.rise, float(site.watchdog.hold_down))
    monotonic = time.monotonic()
    rows = []
    for peer in site.peers:
        seen = device.peers.get(peer.public_key) if device else None
        first = (
            next(iter(peer.lans[0].hosts()), peer.lans[0].network_address) if peer.lans else None
        )
        device_name = path_of(str(first)) if first is not None else None
        path = (
            "wireguard"
            if device_name == site.interface
            else (f"fallback ({device_name})" if device_name else "none")
        )
        rows.append(
            {
                "name": peer.fqdn,
                "endpoint": seen.endpoint if seen and seen.endpoint else peer.endpoint,
                "latest_handshake_age": handshake_age(seen.latest_handshake, now)
                if seen
                else "never",
                "rx_bytes": seen.rx_bytes if seen else 0,
                "tx_bytes": seen.tx_bytes if seen else 0,
                "lans": [str(n) for n in peer.lans],
                "path": path,
                "configured": seen is not None,
                "watchdog": watchdog_view(
                    None if watchdog is None else watchdog.get(peer.fqdn, PeerHealth()),
                    thresholds,
                    monotonic,
                ),
            }
        )
    return rows


def _age_text(age) -> str:
    if age is None:
        return "unknown (clock not set)"
    return age if isinstance(age, str) else f"{age} s ago"


def run(args) -> int:
    site = load_site(conf_dir_of(args))
    watchdog = load_state(Paths(args.root).watchdog_state)  # read only, never written
    runner = Runner()
    device = wireguard.dump(runner, site.interface)
    netlink = Netlink()
    try:
        rows = peer_rows(site, device, netlink.route_device, watchdog)
    finally:
        netlink.close()
    stamp = site.stamp
    if args.json:
        bundle = {"serial": stamp.serial, "fingerprint": stamp.fingerprint} if stamp else None
        shown = {"interface": site.interface, "up": device is not None, "bundle": bundle}
        print(json.dumps(shown | {"peers": rows}, indent=2))
        return 0
    print(f"bundle: mesh {stamp}" if stamp else "bundle: no mesh serial (an older makeconf)")
    if device is None:
        print(f"interface {site.interface}: not running (router-wg start brings it up)")
    for row in rows:
        print(
            f"peer {row['name']}\n"
            f"  endpoint: {row['endpoint'] or '(none)'}\n"
            f"  latest handshake: {_age_text(row['latest_handshake_age'])}\n"
            f"  transfer: {row['rx_bytes']} B received, {row['tx_bytes']} B sent\n"
            f"  LANs {', '.join(row['lans'])} via {row['path']}\n"
            f"  watchdog: {row['watchdog']['text']}"
        )
    return 0
