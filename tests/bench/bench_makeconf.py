"""Benchmark (not a test): makeconf on a 100-site full mesh, 4,950 pairs. Target: <= 2 s.

Prints the wall time of the real CLI, cold (no record: every key is new) and warm (the record
exists: every key is kept), the time of each step in-process, and the size of the output.

    .venv/bin/python tests/bench/bench_makeconf.py [SITES]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the lab's meshes

from lab.meshes import mesh_toml, site  # noqa: E402

from router_wg.makeconf import build as steps  # noqa: E402
from router_wg.makeconf.write import OutputFolder  # noqa: E402

TARGET_SECONDS = 2.0


def answers(sites: int) -> str:
    """A full mesh of `sites` sites, each dialled at its name, one /24 LAN each."""
    tables = [
        site(f"site{n:03d}", n, lans=[f"10.{n // 256}.{n % 256}.0/24"]) for n in range(1, sites + 1)
    ]
    return mesh_toml(
        tables,
        tunnel_network="192.168.0.0/16",
        fallback_network="10.0.0.0/8",
        fallback_interface="tinc",
    )


def cli(answers_file: Path, out: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "router_wg",
            "makeconf",
            "--answers",
            str(answers_file),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"makeconf failed:\n{done.stderr}")
    return elapsed


def in_process(answers_file: Path, out: Path) -> dict[str, float]:
    times = {}
    with OutputFolder.open(out) as folder:
        started = time.perf_counter()
        mesh = steps.read_mesh_file(answers_file)
        record = steps.read_record(folder)
        times["read + validate"] = time.perf_counter() - started
        started = time.perf_counter()
        result = steps.build(mesh, record)
        times["merge + keys + render"] = time.perf_counter() - started
        started = time.perf_counter()
        steps.write(folder, result, record)
        times["write (fsync)"] = time.perf_counter() - started
    return times


def main() -> None:
    sites = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory(prefix="bench-makeconf-") as scratch:
        answers_file = Path(scratch) / "answers.toml"
        answers_file.write_text(answers(sites))
        out = Path(scratch) / "out"
        cold = cli(answers_file, out)
        warm = cli(answers_file, out)
        files = [path for path in out.rglob("*") if path.is_file()]
        size = sum(path.stat().st_size for path in files)
        record_size = (out / "mesh.toml").stat().st_size
        fresh = Path(scratch) / "fresh"
        cold_steps = in_process(answers_file, fresh)
        warm_steps = in_process(answers_file, fresh)
    pairs = sites * (sites - 1) // 2
    print(f"makeconf, {sites} sites, {pairs} pairs (target <= {TARGET_SECONDS:g} s)")
    print(f"  CLI cold (new keys):     {cold:.3f} s")
    print(f"  CLI warm (record kept):  {warm:.3f} s")
    for label, times in (("cold", cold_steps), ("warm", warm_steps)):
        detail = ", ".join(f"{step} {seconds:.3f} s" for step, seconds in times.items())
        print(f"  in-process {label}: {detail}")
    print(f"  output: {len(files)} files, {size:,} bytes (record {record_size:,} bytes)")
    worst = max(cold, warm)
    print(f"  {'OK' if worst <= TARGET_SECONDS else 'OVER TARGET'}: worst {worst:.3f} s")


if __name__ == "__main__":
    main()
