"""What the demo checks, read from the routers with system tools only (`ip`, `iptables-save`,
`wg`, /sys counters, the crontab file), never with router-wg's own readers."""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

PROTO = "0x57"  # the routing protocol number router-wg marks its routes with (README)
# Echoes per proof, and their size: 10 x 1028 B, so that neither WireGuard's handshake
# retries on a cut link (148 B every 5 s) nor the watchers' probes through wg0 (28 B each,
# a few a second) can pass for them in the interface counters.
PING_COUNT = 10
PING_PAYLOAD = 1000
PING_BYTES = PING_PAYLOAD + 28  # IPv4 and ICMP headers


def on_each(routers, action) -> list:
    """`action(router)` on every router at once, as separate routers would act; results in
    the routers' order. Leaves no thread waiting on an interrupt."""
    pool = ThreadPoolExecutor(max_workers=len(routers))
    try:
        futures = [pool.submit(action, r) for r in routers]
        return [f.result() for f in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def device_towards(router, address: str) -> str:
    """The interface the router's kernel picks for `address` right now (`ip route get`)."""
    found = json.loads(router.ip("-j", "route", "get", address).stdout)
    return found[0].get("dev", "?") if found else "?"


def our_routes(router) -> list[str]:
    return router.ip("route", "show", "table", "all", "proto", PROTO).stdout.splitlines()


def handshakes(router, ifname="wg0") -> dict[str, int]:
    """public key -> latest handshake (epoch seconds, 0 = never), from `wg show dump`."""
    rows = router.run(["wg", "show", ifname, "dump"]).stdout.splitlines()[1:]
    return {row.split("\t")[0]: int(row.split("\t")[4]) for row in rows}


@dataclass
class Traffic:
    """What one ping did: echoes answered, and bytes per interface of the pinging router."""

    sent: int
    received: int
    bytes: dict[str, tuple[int, int]]  # ifname -> (out, in) during the ping

    def carried_by(self, ifname: str) -> bool:
        out, back = self.bytes[ifname]
        return min(out, back) >= self.received * PING_BYTES

    def describe(self, router_label: str) -> str:
        parts = [f"{n}: +{o} B out, +{i} B in" for n, (o, i) in self.bytes.items()]
        return f"{router_label} counters during the ping: " + "; ".join(parts)


def ping_line(target) -> str:
    """The ping of `ping_counted`, as the narrator shows it."""
    return f"ping -c {PING_COUNT} -s {PING_PAYLOAD} {target.lan_host_address}"


def ping_counted(source, target, interfaces=("wg0", "tinc"), count: int = PING_COUNT) -> Traffic:
    """source's LAN host pings target's LAN host; counts bytes on source's interfaces."""
    before = {n: source.link_counters(n) for n in interfaces}
    echoes = source.lan_host.ping(target.lan_host_address, count=count, size=PING_PAYLOAD)
    after = {n: source.link_counters(n) for n in interfaces}
    moved = {n: (after[n][1] - before[n][1], after[n][0] - before[n][0]) for n in interfaces}
    return Traffic(echoes.sent, echoes.received, moved)


def leftovers(router, installed, iptables: str) -> list[str]:
    """Everything of router-wg's still on a router after stop, by system tools."""
    left = []
    links = json.loads(router.ip("-j", "link", "show").stdout)
    left += [f"link {x['ifname']}" for x in links if x["ifname"] == "wg0"]
    left += [
        f"link {x['ifname']} (alias router-wg)" for x in links if x.get("ifalias") == "router-wg"
    ]
    left += [f"route {r}" for r in our_routes(router)]
    saved = router.run([f"{iptables}-save"]).stdout
    left += [f"iptables: {x}" for x in saved.splitlines() if "RWG_" in x]
    left += [f"cron: {x}" for x in _crontab(installed).splitlines() if x.endswith("# router-wg")]
    left += [f"process {p}" for p in _processes(router) if p != "tincd"]
    return left


def _crontab(installed) -> str:
    return installed.crontab.read_text() if installed.crontab.exists() else ""


def _processes(router) -> list[str]:
    """Names of the processes inside the router's namespace (tinc is the lab's)."""
    listed = subprocess.run(["ip", "netns", "pids", router.name], capture_output=True, text=True)
    pids = listed.stdout.split()
    names = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/comm") as comm:
                names.append(comm.read().strip())
        except OSError:
            continue  # gone meanwhile
    return names


def wait_until(condition, timeout: float, every: float, on_round=None):
    """Call `condition()` (after `on_round(n)` when given) every `every` s until it is true
    or `timeout` s passed; returns its last value."""
    deadline = time.monotonic() + timeout
    n = 0
    while True:
        n += 1
        started = time.monotonic()
        if on_round:
            on_round(n)
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(max(0.0, every - (time.monotonic() - started)))
