"""Benchmark (not a test): the resident watcher's speed and cost, beside the old ways.

1. Failover and failback between two of three lab routers joined by WireGuard and tinc, the
   median of REPEATS cuts, under a ping train each way (an echo every 50 ms): failover is
   the longest silence of either train from the cut (traffic answered over tinc in both
   directions), failback the time from the heal until both routers route each other's LANs
   over wg0 again; and the longest stall of a TCP stream (a line every 50 ms, echoed). For:
   - the watcher (the default installation; hold-down HOLD s),
   - the old loop (`check --loop` every 3 s, cron mode), one cut,
   - cron alone: its ticks back to back, with what a one-minute cron makes of them.
2. The watcher's cost with 3 and 30 peers (their tunnel addresses answer from the router's
   own loopback: what a probe costs does not depend on who answers): CPU over WINDOW s as a
   share of one core, peak and final resident memory (/proc/<pid>/status), the cron run that
   finds it alive (wall, against `python3 -c pass`), and the probe bytes per peer per day
   counted on the uplink of an idle two-router mesh.

    sudo .venv/bin/python tests/bench/bench_watcher.py [--cost-only|--failover-only]
    qemu/run-tests --bench tests/bench/bench_watcher.py          (in the ARM guest)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the lab and helpers

from lab import names  # noqa: E402
from lab.namespace import Namespace  # noqa: E402
from lab.traffic import PingTrain, TcpStream, longest_silence  # noqa: E402
from lab.underlay import Lab  # noqa: E402
from scenarios.bundles import write_bundles  # noqa: E402
from scenarios.watchdog_lab import FALLBACK, routed_lans, start_mesh, write_mesh_bundles  # noqa: E402
from scenarios.watcher_lab import watcher_pids  # noqa: E402

os.environ["ROUTER_WG_IPTABLES"] = names.iptables()
REPEATS = 5
HOLD = 2
WINDOW = 60.0  # seconds of watching per cost figure
CLK_TCK = os.sysconf("SC_CLK_TCK")


def wait_until(condition, timeout: float = 120.0) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise RuntimeError("timed out")
        time.sleep(0.05)
    return time.time()


def three_routers(lab: Lab, work: Path, watchdog: dict):
    routers = [
        lab.add_router("alpha.example.net", ["10.0.1.0/24"]),
        lab.add_router("beta.example.net", ["10.0.2.0/24"]),
        lab.add_router("gamma.example.net", ["10.0.3.0/24"]),
    ]
    lab.start_tinc(FALLBACK)
    bundles = write_mesh_bundles(work / "bundles", routers, watchdog)
    start_mesh(lab, routers, bundles)
    return routers, bundles


def one_cut(lab: Lab, alpha, beta, settle: float) -> dict:
    """Cut alpha<->beta under traffic, wait for both to withdraw, heal, wait for both to
    restore; the figures of that one cut."""
    trains = [
        PingTrain(alpha.lan_host, beta.lan_host_address),
        PingTrain(beta.lan_host, alpha.lan_host_address),
    ]
    stream = TcpStream(beta.lan_host, alpha.lan_host, beta.lan_host_address)
    try:
        time.sleep(1)
        cut = time.time()
        lab.cut(alpha, beta)
        wait_until(lambda: not set(beta.lans) & routed_lans(alpha), 300)
        wait_until(lambda: not set(alpha.lans) & routed_lans(beta), 300)
        time.sleep(settle)
        heal = time.time()
        lab.heal(alpha, beta)
        back = max(
            wait_until(lambda: set(beta.lans) <= routed_lans(alpha), 300),
            wait_until(lambda: set(alpha.lans) <= routed_lans(beta), 300),
        )
        time.sleep(2)
    finally:
        stamps = [train.stop() for train in trains]
        carried = stream.stop()
    return {
        "failover_s": max(longest_silence(s, cut - 0.5, heal) for s in stamps),
        "failback_s": back - heal,
        "tcp_stall_s": longest_silence(carried, cut - 0.5, back + 2),
        "tcp_survived": stream.ended is None,
    }


def watcher_failover() -> dict:
    lab, work = Lab(), Path(tempfile.mkdtemp(prefix="bench-watcher-"))
    try:
        (alpha, beta, _), _ = three_routers(lab, work, {"mode": "resident", "hold_down": HOLD})
        cuts = [one_cut(lab, alpha, beta, settle=HOLD + 2) for _ in range(REPEATS)]
    finally:
        lab.close()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "mode": "watcher",
        **{k: round(statistics.median(c[k] for c in cuts), 2) for k in cuts[0] if k.endswith("_s")},
        "failover_max_s": round(max(c["failover_s"] for c in cuts), 2),
        "tcp_survived": all(c["tcp_survived"] for c in cuts),
        "cuts": REPEATS,
        "hold_down_s": HOLD,
    }


def loop_failover(interval: int = 3) -> dict:
    lab, work = Lab(), Path(tempfile.mkdtemp(prefix="bench-loop-"))
    watchdog = {"mode": "cron", "hold_down": HOLD, "loop_interval": interval}
    try:
        (alpha, beta, _), bundles = three_routers(lab, work, watchdog)
        for router in (alpha, beta):
            argv = [sys.executable, "-m", "router_wg", "--root", router.root, "check", "--loop"]
            router.popen([*argv, "--conf-dir", bundles[router.fqdn]])
        time.sleep(3 * interval)  # both loops past their first tick
        row = one_cut(lab, alpha, beta, settle=HOLD + 2)
    finally:
        lab.close()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "mode": f"check --loop every {interval} s",
        **{k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()},
    }


def cron_failover() -> dict:
    """Ticks back to back on both routers (a cron minute without the waiting): how many."""
    lab, work = Lab(), Path(tempfile.mkdtemp(prefix="bench-cron-"))
    try:
        (alpha, beta, _), bundles = three_routers(lab, work, {"mode": "cron", "hold_down": HOLD})

        def ticks_until(done) -> int:
            count = 0
            while not done():
                count += 1
                for proc in [
                    r.popen(
                        [
                            sys.executable,
                            "-m",
                            "router_wg",
                            "--root",
                            r.root,
                            "check",
                            "--conf-dir",
                            bundles[r.fqdn],
                        ]
                    )
                    for r in (alpha, beta)
                ]:
                    proc.wait(timeout=120)
            return count

        for router in (alpha, beta):  # the first tick of a boot converges
            router.router_wg("check", "--conf-dir", bundles[router.fqdn])
        lab.cut(alpha, beta)
        down = ticks_until(lambda: not set(beta.lans) & routed_lans(alpha))
        lab.heal(alpha, beta)
        wait_until(lambda: alpha.ping("192.168.100.2", count=1))
        time.sleep(HOLD)
        up = ticks_until(lambda: set(beta.lans) <= routed_lans(alpha))
    finally:
        lab.close()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "mode": "cron alone",
        "failover_ticks": down,
        "failover_with_1min_cron": f"{(down - 1) * 60}-{down * 60} s + one tick",
        "failback_ticks": up,
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def memory_kib(pid: int) -> tuple[int, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    now = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return peak, now


def watcher_cost(peers: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-watcher-cost-"))
    sites = [("self.example.net", ["10.200.0.0/24"], None)]
    sites += [
        (f"p{i}.example.net", [f"10.{201 + i // 250}.{i % 250}.0/24"], f"198.18.0.{i + 2}")
        for i in range(peers)
    ]
    bundle = write_bundles(work / "bundles", sites)["self.example.net"]
    root = work / "root"
    ns = Namespace("bench")
    router_wg = [sys.executable, "-m", "router_wg", "--root", root]
    try:
        # tunnel addresses 192.168.100.2.. (makeconf assigns them in order) answer locally
        ns.ip_batch([f"address add 192.168.100.{i + 2}/32 dev lo" for i in range(peers)])
        ns.run([*router_wg, "start", "--conf-dir", bundle], timeout=300)
        [pid] = watcher_pids(ns)
        time.sleep(10)  # past its start (imports, the first probes)
        cpu, began = cpu_seconds(pid), time.monotonic()
        time.sleep(WINDOW)
        share = (cpu_seconds(pid) - cpu) / (time.monotonic() - began)
        peak, now = memory_kib(pid)
        supervise = []
        for _ in range(REPEATS):
            started = time.monotonic()
            ns.run([*router_wg, "check", "--conf-dir", bundle])  # finds the watcher alive
            supervise.append(time.monotonic() - started)
        baseline = []
        for _ in range(REPEATS):
            started = time.monotonic()
            ns.run([sys.executable, "-c", "pass"])
            baseline.append(time.monotonic() - started)
        routes = len(ns.run(["ip", "route", "show", "proto", "0x57"]).stdout.splitlines())
        assert routes >= peers, "every peer answered: none withdrawn"
    finally:
        ns.close()
        shutil.rmtree(work, ignore_errors=True)
    check, base = statistics.median(supervise), statistics.median(baseline)
    return {
        "peers": peers,
        "watcher_cpu_percent": round(100 * share, 2),
        "peak_rss_kib": peak,
        f"rss_after_{WINDOW + 10:.0f}s_kib": now,
        "cron_check_alive_s": round(check, 3),
        "python_pass_s": round(base, 3),
        "check/python_pass": round(check / base, 2),
    }


def probe_bytes_per_day() -> dict:
    """An idle two-router mesh: whatever crosses alpha's uplink is the watchers' probes
    (each way, its own and beta's), WireGuard's handshakes and nothing else."""
    lab, work = Lab(), Path(tempfile.mkdtemp(prefix="bench-bytes-"))
    try:
        routers = [
            lab.add_router("alpha.example.net", ["10.0.1.0/24"]),
            lab.add_router("beta.example.net", ["10.0.2.0/24"]),
        ]
        bundles = write_mesh_bundles(work / "bundles", routers, {"mode": "resident"})
        start_mesh(lab, routers, bundles)
        alpha = routers[0]
        time.sleep(5)
        before, began = alpha.link_counters("wan"), time.monotonic()
        time.sleep(WINDOW)
        after, seconds = alpha.link_counters("wan"), time.monotonic() - began
    finally:
        lab.close()
        shutil.rmtree(work, ignore_errors=True)
    per_day = (sum(after) - sum(before)) / seconds * 86400
    return {"uplink_bytes_per_day_per_peer_MB": round(per_day / 1e6, 1), "over_s": round(seconds)}


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # so `finally` removes the namespaces


def show(row: dict) -> None:
    print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    if "--failover-only" not in argv:
        for peers in (3, 30):
            show(watcher_cost(peers))
        show(probe_bytes_per_day())
    if "--cost-only" not in argv:
        show(watcher_failover())
        show(loop_failover(3))
        show(cron_failover())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
