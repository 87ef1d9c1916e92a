"""Benchmark (not a test): router-wg start against wg-quick, in a network namespace.

For 3 and 100 peers: cold `start`, no-op `start`, and `start` after the firmware flushed
the firewall, against `wg-quick up` (cold) and `wg-quick down` + `up` (a restart) of an
equivalent configuration (same peers, addresses, routes, and the same rules in PostUp).
Prints wall times, ratios (the targets: cold <= 0.3x up, after flush <= 0.1x down+up),
processes spawned (router-wg: 1 + Runner.spawned; wg-quick: counted with strace when
installed) and peak memory (getrusage children maxrss, KiB).

    sudo .venv/bin/python tests/bench/bench_start.py [PEERS ...]     (default: 3 100)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the lab and helpers

from lab import names  # noqa: E402
from lab.firmware_rules import firewall_restart  # noqa: E402
from lab.namespace import Namespace  # noqa: E402
from scenarios.bundles import write_bundles  # noqa: E402

IPTABLES = names.iptables()
os.environ["ROUTER_WG_IPTABLES"] = IPTABLES  # router-wg and wg-quick on the same backend
REPEATS = 3
# run a command, then report its wall time and the peak RSS of its process tree
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter(); done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "wall = time.perf_counter() - t\n"
    "sys.stdout.write(done.stdout); sys.stderr.write(done.stderr)\n"
    "print(f'@@ {wall:.4f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}',"
    " file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def measure(ns: Namespace, argv: list[str]):
    """(wall seconds, peak KiB of the process tree, completed)."""
    done = ns.run([sys.executable, "-c", MEASURE, *argv], check=True, timeout=600)
    wall, rss = re.search(r"@@ (\S+) (\d+)", done.stderr).groups()
    return float(wall), int(rss), done


def count_programs(ns: Namespace, argv: list[str]) -> int | None:
    """Programs one run executes (successful execve), with strace where installed.
    strace -f would wait for the wireguard-go daemon forever: once the command's own
    process has exited, strace is told to detach."""
    if not shutil.which("strace"):
        return None
    trace = ns.workdir / "strace.log"
    child = ns.popen(
        ["strace", "-f", "-q", "-e", "trace=execve", "-o", str(trace), *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and child.poll() is None:
        lines = trace.read_text().splitlines() if trace.exists() else []
        if lines and any(x.startswith(lines[0].split()[0] + " +++ exited") for x in lines):
            break
        time.sleep(0.1)
    if child.poll() is None:
        child.terminate()  # strace detaches from the daemon and exits...
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()  # ...or, when it hangs detaching, the kernel detaches it
    child.wait()
    lines = trace.read_text().splitlines()
    trace.unlink()
    return sum(1 for line in lines if "execve(" in line and "= 0" in line)


def router_wg_argv(root, bundle, verb):
    return [
        sys.executable,
        "-m",
        "router_wg",
        "--root",
        str(root),
        "-v",
        verb,
        "--conf-dir",
        str(bundle),
    ]


def router_wg(ns, root, bundle, verb):
    """(wall, peak KiB, processes: router-wg itself + what its Runner spawned)."""
    wall, rss, done = measure(ns, router_wg_argv(root, bundle, verb))
    spawned = re.search(r"(\d+) processes spawned", done.stderr)
    return wall, rss, 1 + int(spawned.group(1)) if spawned else None


def wg_quick_config(bundle: Path, peers: int, work: Path) -> Path:
    wg_conf = (bundle / "wg0.conf").read_text()
    post_up = [
        f"{IPTABLES} -I INPUT -p udp --dport 51820 -j ACCEPT",
        f"{IPTABLES} -I INPUT -i %i -j ACCEPT",
        f"{IPTABLES} -I FORWARD -s 10.200.0.0/24 -o %i -j ACCEPT",
        f"{IPTABLES} -I FORWARD -d 10.200.0.0/24 -i %i -j ACCEPT",
        f"{IPTABLES} -t mangle -I FORWARD -o %i -p tcp --tcp-flags SYN,RST SYN "
        "-j TCPMSS --clamp-mss-to-pmtu",
        f"{IPTABLES} -t mangle -I FORWARD -i %i -p tcp --tcp-flags SYN,RST SYN "
        "-j TCPMSS --clamp-mss-to-pmtu",
        f"{IPTABLES} -t nat -I POSTROUTING -o %i -j ACCEPT",
    ]
    post_down = [rule.replace(" -I ", " -D ") for rule in post_up]
    extra = ["Address = 192.168.100.1/24", "MTU = 1420"]
    extra += [f"PostUp = {rule}" for rule in post_up]
    extra += [f"PostDown = {rule}" for rule in post_down]
    text = wg_conf.replace("[Interface]\n", "[Interface]\n" + "\n".join(extra) + "\n", 1)
    path = work / "wgq" / "wg0.conf"
    path.parent.mkdir(mode=0o700)
    path.write_text(text)
    path.chmod(0o600)
    return path


def bench(peers: int) -> dict[str, float | int | None]:
    work = Path(tempfile.mkdtemp(prefix="bench-start-"))
    sites = [("self.example.net", ["10.200.0.0/24"], None)]
    sites += [
        (
            f"p{i}.example.net",
            [f"10.{201 + i // 250}.{i % 250}.0/24"],
            f"198.18.{i // 250}.{i % 250 + 1}",
        )
        for i in range(peers)
    ]
    bundle = write_bundles(work / "bundles", sites)["self.example.net"]
    root = work / "root"
    ns = Namespace("bench")
    results: dict[str, list] = {}

    def keep(name, value):
        results.setdefault(name, []).append(value)

    try:
        for _ in range(REPEATS):
            keep("cold", router_wg(ns, root, bundle, "start"))
            keep("noop", router_wg(ns, root, bundle, "start"))
            firewall_restart(ns, IPTABLES)
            keep("flush", router_wg(ns, root, bundle, "start"))
            router_wg(ns, root, bundle, "stop")
        config = wg_quick_config(bundle, peers, work)
        for _ in range(REPEATS):
            keep("up", measure(ns, ["wg-quick", "up", str(config)])[:2])
            down = measure(ns, ["wg-quick", "down", str(config)])
            up = measure(ns, ["wg-quick", "up", str(config)])
            keep("restart", (down[0] + up[0], max(down[1], up[1])))
            measure(ns, ["wg-quick", "down", str(config)])
        # programs executed, counted once with strace (it slows things down: not timed)
        traced = {}
        for name, argv in (
            ("cold", router_wg_argv(root, bundle, "start")),
            ("noop", router_wg_argv(root, bundle, "start")),
        ):
            traced[name] = count_programs(ns, argv)
        firewall_restart(ns, IPTABLES)
        traced["flush"] = count_programs(ns, router_wg_argv(root, bundle, "start"))
        router_wg(ns, root, bundle, "stop")
        up_p = count_programs(ns, ["wg-quick", "up", str(config)])
        down_p = count_programs(ns, ["wg-quick", "down", str(config)])
    finally:
        ns.close()
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v[0] for v in vals) for k, vals in results.items()}
    rss = {k: max(v[1] for v in vals) for k, vals in results.items()}
    return {
        "peers": peers,
        **{f"{k}_s": round(v, 3) for k, v in med.items()},
        "cold/up": round(med["cold"] / med["up"], 3),
        "noop/up": round(med["noop"] / med["up"], 3),
        "flush/restart": round(med["flush"] / med["restart"], 3),
        **{f"procs_{k}": results[k][0][2] for k in ("cold", "noop", "flush")},
        **{f"execs_{k}": v for k, v in traced.items()},
        "procs_wgquick_up": up_p,
        "procs_wgquick_restart": None if up_p is None or down_p is None else up_p + down_p,
        "peak_kib_start": max(rss["cold"], rss["noop"], rss["flush"]),
        "peak_kib_wgquick": max(rss["up"], rss["restart"]),
    }


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # so `finally` removes the namespace


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    counts = [int(x) for x in argv] or [3, 100]
    for peers in counts:
        row = bench(peers)
        print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
