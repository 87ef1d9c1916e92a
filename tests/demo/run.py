"""Runs the demo: options, what the machine must have, the steps in order, cleanup always."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
# The installer shared with the packaging tests lives beside them (tests/packaging), whose
# folder name cannot be a package: `packaging` is taken by the PyPI library pytest uses.
sys.path.insert(0, str(TESTS / "packaging"))

from demo import steps_failover, steps_mesh  # noqa: E402
from demo.narrate import Narrator  # noqa: E402

STEPS = 7
NEEDED = ("ip", "wg", "tincd", "ping", "busybox", "sysctl", "mount")


@dataclass
class Demo:
    """What the steps share."""

    options: argparse.Namespace
    narrator: Narrator
    work: Path
    lab: object = None
    routers: list = field(default_factory=list)  # alpha, beta, gamma
    bundles: dict = field(default_factory=dict)  # fqdn -> bundle folder
    installed: dict = field(default_factory=dict)  # router -> jffs_install.Installed
    watchdog: object = None  # router_wg.bundle.site.Watchdog of alpha's bundle
    cron: dict = field(default_factory=dict)  # router -> the command of its crontab line
    iptables: str = "iptables"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make demo",
        description="router-wg's main job on three emulated routers, step by step.",
    )
    parser.add_argument(
        "--dist",
        type=Path,
        metavar="ARCHIVE",
        help="the `make dist` archive to install (default: build it with `make dist`)",
    )
    parser.add_argument(
        "--no-heal",
        action="store_true",
        help="leave the cut link cut in step 6, so its check fails: shows (and tests) what "
        "a failed step looks like",
    )
    return parser.parse_args(argv)


def missing_requirements() -> list[str]:
    problems = []
    if os.geteuid() != 0:
        problems.append("run it as root (network namespaces, veth, iptables)")
    problems += [f"{b} is not installed (make deps)" for b in NEEDED if shutil.which(b) is None]
    return problems


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    terminal = sys.stdout
    problems = missing_requirements()
    if problems:
        print("demo: cannot run here: " + "; ".join(problems), file=sys.stderr)
        return 2
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # kill: clean up like Ctrl-C
        signal.signal(signal.SIGTERM, _interrupt)
    work = Path(tempfile.mkdtemp(prefix="router-wg-demo-"))
    demo = Demo(options, Narrator(terminal, STEPS), work)
    log_path = work / "lab.log"
    demo.narrator.line(f"router-wg demo: three routers, one link cut and healed (work: {work})")
    demo.narrator.line(f"every command the lab runs is logged in {log_path}")
    cleanup_problem = ""
    with open(log_path, "w") as log, contextlib.redirect_stdout(log):
        try:
            for step in (*steps_mesh.STEPS, *steps_failover.STEPS):
                step(demo)
        except (Exception, KeyboardInterrupt) as stopped:
            # the narrator recorded which step and why; anything else is said here
            if all(o.result == "ok" for o in demo.narrator.outcomes):
                demo.narrator.line(f"demo: stopped between steps: {stopped!r}")
        finally:
            cleanup_problem = _clean_up(demo)
    return demo.narrator.summary(cleanup_problem)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _clean_up(demo: Demo) -> str:
    """Remove the lab (namespaces, the daemons in them, their folders); say what is left."""
    # a second Ctrl-C must not cut the cleanup short
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if demo.lab is not None:
            demo.lab.close()
        from lab import names

        listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
        left = [x.split()[0] for x in listed.stdout.splitlines() if x.startswith(names.PREFIX)]
        demo.narrator.line()
        if left:
            return f"namespaces still there: {', '.join(left)}"
        demo.narrator.line(f"cleanup: the lab is gone (no namespace {names.PREFIX}* left)")
        return ""
    except Exception as failure:  # noqa: BLE001 - reported, and the exit code says so
        return f"removing the lab failed: {failure}"
    finally:
        signal.signal(signal.SIGINT, previous)
