"""What `show` reports of a router, as plain data: per peer its endpoint, handshake age,
transfer, the path its LANs take right now (the kernel's own route lookup) and the
watchdog's view of it; and whether the resident watcher runs, since when, and its last
verdicts. Nothing here changes anything."""

from __future__ import annotations

import time

from router_wg.bundle.site import Site
from router_wg.watchdog.health import PeerHealth, Thresholds
from router_wg.watchdog.status import WatcherStatus

CLOCK_SANE_AFTER = 1_500_000_000  # 2017: before that the router's clock is not set yet


def handshake_age(latest: int, now: float) -> int | None | str:
    """Seconds since the latest handshake; "never" for 0; None when the clock cannot say
    (not set yet at boot, or behind the handshake's own time)."""
    if latest == 0:
        return "never"
    if now < CLOCK_SANE_AFTER or now < latest:
        return None
    return int(now - latest)


def path_of(site: Site, device_name: str | None) -> str:
    """How a peer's LANs leave this router, from the interface the kernel picks for them."""
    if device_name == site.interface:
        return "wireguard"
    if device_name is None:  # our unreachable route answered: no fallback to take them
        return "dropped (no fallback)"
    if device_name == site.fallback_interface:
        return f"fallback ({device_name})"
    return f"{device_name} (not the fallback interface)"


def thresholds_for_show(site: Site, resident: bool) -> Thresholds:
    w = site.watchdog
    if resident:
        return Thresholds(w.lost_probes, w.answered_probes, float(w.hold_down))
    return Thresholds(w.fall, w.rise, float(w.hold_down))


def watchdog_view(health: PeerHealth | None, thresholds: Thresholds, now: float, unit: str) -> dict:
    """The watchdog's opinion of one peer; `now` is monotonic, like the state's times;
    `unit` is what it counts ("ticks" in cron mode, "probes" for the watcher)."""
    if health is None:
        return {"state": "unknown", "text": "no state yet (the watchdog has not judged it)"}
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
        "text": health.describe(thresholds, now, unit),
    }


def peer_rows(site, device, path_lookup, watchdog, thresholds: Thresholds, unit: str) -> list[dict]:
    now, monotonic = time.time(), time.monotonic()
    rows = []
    for peer in site.peers:
        seen = device.peers.get(peer.public_key) if device else None
        first = (
            next(iter(peer.lans[0].hosts()), peer.lans[0].network_address) if peer.lans else None
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
                "path": path_of(site, path_lookup(str(first))) if first is not None else "none",
                "configured": seen is not None,
                "watchdog": watchdog_view(
                    None if watchdog is None else watchdog.get(peer.fqdn, PeerHealth()),
                    thresholds,
                    monotonic,
                    unit,
                ),
            }
        )
    return rows


def watcher_view(mode: str, running: bool, status: WatcherStatus | None) -> dict:
    """Whether the resident watcher runs, since when, and its last verdict per peer."""
    if mode != "resident":
        return {"mode": mode, "running": False, "text": "none (cron mode: the cron tick judges)"}
    if not running:
        return {
            "mode": mode,
            "running": False,
            "text": "not running (cron starts it within a minute)",
        }
    now = time.monotonic()
    if status is None:
        return {"mode": mode, "running": True, "text": "running"}
    up = max(0.0, now - status.started)
    verdicts = {
        name: {
            "withdrawn": v.withdrawn,
            "seconds_ago": round(max(0.0, now - v.at), 1),
            "reason": v.reason,
        }
        for name, v in sorted(status.verdicts.items())
    }
    return {
        "mode": mode,
        "running": True,
        "pid": status.pid,
        "since_seconds": round(up, 1),
        "started": status.started_wall if status.started_wall > CLOCK_SANE_AFTER else None,
        "last_verdicts": verdicts,
        "text": f"running (pid {status.pid}) for {up:.0f} s",
    }
