"""Run the test tiers one after another, time each, and print one summary at the end.

    tiers.py NAME COMMAND [JUNIT_XML] -- NAME COMMAND [JUNIT_XML] -- ...

Every tier runs even when an earlier one failed, so one run shows everything that is
broken. The last line is the totals over all junit files, as `N passed, N failed,
N skipped`; the exit code is non-zero when any tier failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path


def parse_tiers(argv: list[str]) -> list[tuple[str, str, Path | None]]:
    tiers, group = [], []
    for arg in [*argv, "--"]:
        if arg != "--":
            group.append(arg)
            continue
        if not 2 <= len(group) <= 3:
            sys.exit(f"tiers.py: expected NAME COMMAND [JUNIT_XML], got {group}")
        tiers.append((group[0], group[1], Path(group[2]) if len(group) == 3 else None))
        group = []
    return tiers


def count(junit: Path | None) -> tuple[int, int, int] | None:
    """(passed, failed, skipped) from a junit file, or None when there is none."""
    if junit is None or not junit.is_file():
        return None
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return total - failed - skipped, failed, skipped


def main(argv: list[str]) -> int:
    results = []
    for name, command, junit in parse_tiers(argv):
        if junit is not None:
            junit.unlink(missing_ok=True)
        print(f"\n===== {name}: {command}", flush=True)
        started = time.monotonic()
        code = subprocess.call(command, shell=True)  # noqa: S602 - our own Makefile's commands
        results.append((name, code, time.monotonic() - started, count(junit)))

    print("\n===== summary")
    totals = [0, 0, 0]
    for name, code, seconds, counts in results:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        tests = ""
        if counts is not None:
            totals = [t + c for t, c in zip(totals, counts, strict=True)]
            tests = "  {} passed, {} failed, {} skipped".format(*counts)
        print(f"{name:<10} {seconds:7.1f} s  {status}{tests}")
    print("{} passed, {} failed, {} skipped".format(*totals))
    return 0 if all(code == 0 for _, code, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
