"""`router-wg show [--json]`: the bundle's mesh serial; the resident watcher (running, since
when, its last verdicts); per peer its endpoint, latest handshake age, transfer, the path its
LANs take right now and the watchdog's view of it (router_wg.watchdog.report)."""

from __future__ import annotations

import json

from router_wg.backends import daemon, wireguard
from router_wg.backends.netlink import Netlink
from router_wg.backends.runner import Runner
from router_wg.bundle.settings import load_site
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of
from router_wg.watchdog.report import peer_rows, thresholds_for_show, watcher_view
from router_wg.watchdog.state import load_state
from router_wg.watchdog.status import read_status


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)
    parser.add_argument("--json", action="store_true", help="print JSON, for scripts")


def run(args) -> int:
    paths = Paths(args.root)
    site = load_site(conf_dir_of(args))
    mode = site.watchdog.mode
    watcher = watcher_view(mode, daemon.running(paths.watcher_lock), read_status(paths))
    watchdog = load_state(paths.watchdog_state)  # read only, never written
    device = wireguard.dump(Runner(), site.interface)
    netlink = Netlink()
    try:
        thresholds = thresholds_for_show(site, mode == "resident")
        unit = "probes" if mode == "resident" else "ticks"
        rows = peer_rows(site, device, netlink.route_device, watchdog, thresholds, unit)
    finally:
        netlink.close()
    stamp = site.stamp
    if args.json:
        bundle = {"serial": stamp.serial, "fingerprint": stamp.fingerprint} if stamp else None
        shown = {"interface": site.interface, "up": device is not None, "bundle": bundle}
        print(json.dumps(shown | {"watcher": watcher, "peers": rows}, indent=2))
        return 0
    print(f"bundle: mesh {stamp}" if stamp else "bundle: no mesh serial (an older makeconf)")
    if device is None:
        print(f"interface {site.interface}: not running (router-wg start brings it up)")
    print(f"watcher: {watcher['text']}")
    for name, verdict in watcher.get("last_verdicts", {}).items():
        moved = "withdrawn" if verdict["withdrawn"] else "restored"
        print(f"  {name}: {moved} {verdict['seconds_ago']:.0f} s ago ({verdict['reason']})")
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


def _age_text(age) -> str:
    if age is None:
        return "unknown (clock not set)"
    return age if isinstance(age, str) else f"{age} s ago"
