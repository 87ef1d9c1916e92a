"""Benchmark (not a test): what the resident prober costs, per number of peers.

For each N, in a network namespace of its own (`unshare --net`: the kernel removes it when
this process's child ends, however it ends), the prober runs at the default pace for SECONDS
of wall time twice: N addresses on lo that answer (127.0.1.x), then N that never do (127.0.2.x,
whose echo requests iptables drops: every probe goes out, nothing comes back, as when every
peer is dead or the uplink is down). Printed per phase: CPU (user + system) per wall second as
a percentage of one core, wakeups (returns from `poll`) per second, outcomes per address per
second, peak RSS (ru_maxrss) and RSS at the end (KiB) of the process. Then, for scale, the CPU
of a loop that only sleeps as often; last, what one peer's probes and replies cost on the
wire per day at the idle pace. Standard library and router_wg only: it runs in the ARM guest.

    sudo .venv/bin/python tests/bench/bench_prober.py [N ...]     (default: 3 30)
    qemu/run-tests --bench tests/bench/bench_prober.py 3 30
"""

from __future__ import annotations

import json
import os
import resource
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # router_wg from this tree

from router_wg.watchdog.pacing import Pace  # noqa: E402
from router_wg.watchdog.prober import Prober, wire_bytes  # noqa: E402

SECONDS = 20.0
INSIDE = "--inside"


def measure(addresses: list[str]) -> dict:
    """Run a prober over `addresses` for SECONDS: its cost and what it saw."""
    outcomes = {True: 0, False: 0}
    wakeups = 0
    with Prober(addresses) as prober:
        before, started = cpu_seconds(), time.monotonic()
        while (now := time.monotonic()) < started + SECONDS:
            for _, answered in prober.poll(started + SECONDS - now):
                outcomes[answered] += 1
            wakeups += 1
        wall, cpu = time.monotonic() - started, cpu_seconds() - before
    per_address = len(addresses) * wall
    return {
        "cpu_pct_of_core": round(100 * cpu / wall, 3),
        "wakeups_per_s": round(wakeups / wall, 1),
        "answered_per_address_s": round(outcomes[True] / per_address, 2),
        "lost_per_address_s": round(outcomes[False] / per_address, 2),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "end_rss_kib": int(Path("/proc/self/statm").read_text().split()[1])
        * (os.sysconf("SC_PAGE_SIZE") // 1024),
    }


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def baseline() -> dict:
    """What merely waking up costs here: a loop that only sleeps in select(), `interval` at a
    time (the answering prober sleeps as often; its other wakeups return at once)."""
    interval, seconds = Pace().interval, SECONDS / 2
    before, started = cpu_seconds(), time.monotonic()
    while time.monotonic() < started + seconds:
        select.select([], [], [], interval)
    return {"cpu_pct_of_core": round(100 * (cpu_seconds() - before) / seconds, 3)}


def inside(peers: int) -> None:
    """In the fresh namespace: the addresses, then both phases, one JSON line each."""
    live = [f"127.0.1.{i + 1}" for i in range(peers)]
    dead = [f"127.0.2.{i + 1}" for i in range(peers)]
    commands = ["link set lo up", *(f"address add {a}/32 dev lo" for a in live + dead)]
    subprocess.run(["ip", "-batch", "-"], input="\n".join(commands), text=True, check=True)
    iptables = "iptables-legacy" if shutil.which("iptables-legacy") else "iptables"
    silence = ["-d", "127.0.2.0/24", "-p", "icmp", "--icmp-type", "echo-request", "-j", "DROP"]
    subprocess.run([iptables, "-A", "INPUT", *silence], check=True)
    for phase, addresses in (("answering", live), ("dead", dead)):
        print(json.dumps({"peers": peers, "phase": phase, **measure(addresses)}), flush=True)
    print(json.dumps({"peers": 0, "phase": "sleeps_only", **baseline()}), flush=True)


def wire_cost() -> dict:
    probes_per_day = 86400 / Pace().interval
    return {
        f"wire_mb_per_peer_day_{name}": round(probes_per_day * 2 * wire_bytes(inner, 20) / 1e6, 1)
        for name, inner in (("ipv4", 20), ("ipv6", 40))
    } | {"probe_bytes_ipv4": wire_bytes(20, 20), "probe_bytes_ipv6": wire_bytes(40, 20)}


def main(argv: list[str]) -> int:
    if argv[:1] == [INSIDE]:
        inside(int(argv[1]))
        return 0
    for peers in [int(x) for x in argv] or [3, 30]:
        done = subprocess.run(
            ["unshare", "--net", sys.executable, __file__, INSIDE, str(peers)],
            capture_output=True,
            text=True,
            timeout=4 * SECONDS + 60,
            check=False,
        )
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            return 1
        for line in done.stdout.splitlines():
            print(" ".join(f"{k}={v}" for k, v in json.loads(line).items()), flush=True)
    print(" ".join(f"{k}={v}" for k, v in wire_cost().items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
