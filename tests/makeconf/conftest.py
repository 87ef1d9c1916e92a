"""Helpers for makeconf's tests: run the real CLI, as a user would, in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lab import meshes

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = meshes.EXAMPLE
GOLDEN = Path(__file__).resolve().parent / "golden"


def run_makeconf(*args: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "router_wg", "makeconf", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )


@pytest.fixture
def makeconf():
    return run_makeconf
