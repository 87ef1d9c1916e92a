"""`make demo DEMO_ON=host` run as a user runs it: it passes with the narration a newcomer
reads; a step that really fails (--no-heal: the cut link stays cut, so failback cannot
happen) and Ctrl-C both end non-zero, naming the step, with every namespace removed."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from lab import names

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.root, pytest.mark.slow]
BOUND = 600  # s; about 60 s on the host (the demo's hold-down is 20 s)


@pytest.fixture(autouse=True)
def needs():
    names.require("make", "busybox", "tincd", "wg", "ip")


def namespaces() -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    return {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}


def leaked(before: set[str]) -> list[str]:
    """Namespaces made since `before` whose owner (the demo, from the name) has exited."""
    left = []
    for name in namespaces() - before:
        owner = names.OWNED.fullmatch(name)
        if owner and not Path(f"/proc/{owner.group(1)}").exists():
            left.append(name)
    return left


def make_demo(*options: str) -> list[str]:
    argv = ["make", "--no-print-directory", "-C", str(REPO), "demo", "DEMO_ON=host"]
    return argv + ([f"DEMO_ARGS={' '.join(options)}"] if options else [])


def forget_work_folder(output: str) -> None:
    """The demo keeps its folder (bundles, lab.log) for the reader; a test run does not."""
    found = re.search(r"\(work: (/\S+)\)", output)
    if found and Path(found.group(1)).name.startswith("router-wg-demo-"):
        shutil.rmtree(found.group(1), ignore_errors=True)


def test_make_demo_on_the_host_passes_every_step():
    before = namespaces()
    done = subprocess.run(make_demo(), capture_output=True, text=True, timeout=BOUND)
    out = done.stdout
    forget_work_folder(out)
    assert done.returncode == 0, out[-3000:] + done.stderr[-2000:]
    for number in range(1, 8):
        assert f"== Step {number}/7: " in out
    assert out.count(" ok ") >= 8  # the summary: setup and the seven steps
    assert "files written:" in out and "alpha.example.net/wg0.conf  0600" in out
    assert "/jffs/router-wg/router-wg.sh boot &" in out
    assert "boot: start ended with exit 0" in out
    assert re.search(
        r"\* \* \* \* \* ROUTER_WG_ROOT=\S+ \S+/jffs/router-wg/router-wg.sh check", out
    )
    assert re.search(r"alpha: pid \d+: -m router_wg --root \S+ watch --conf-dir", out)
    found = re.search(r"both ways on tinc (\d+\.\d) s after the cut", out)
    assert found and float(found.group(1)) <= 3.0, out[-3000:]
    # step 4: over wg0; step 5: beta over tinc, gamma still wg0; step 6: back on wg0. Ten
    # echoes of 1028 B each way on the carrying interface; the other one has at most the
    # watchers' probes (28 B each, a few a second), never the echoes
    counted = [
        tuple(map(int, found))
        for found in re.findall(
            r"wg0: \+(\d+) B out, \+(\d+) B in; tinc: \+(\d+) B out, \+(\d+) B in", out
        )
    ]
    assert len(counted) >= 4, out[-3000:]
    on_wg0 = [c for c in counted if min(c[:2]) >= 10280 and max(c[2:]) < 10280]
    on_tinc = [c for c in counted if min(c[2:]) >= 10280 and max(c[:2]) < 10280]
    assert len(on_wg0) == len(counted) - 1 and len(on_tinc) == 1, counted
    assert "beta.example.net: routes withdrawn, traffic goes to the fallback" in out
    assert "LANs 10.0.2.0/24 via fallback (tinc)" in out
    assert "alpha<->beta is back on WireGuard" in out
    assert out.count("nothing of router-wg's") == 3
    assert "demo: PASSED" in out
    assert not leaked(before)


def test_a_failing_step_exits_non_zero_naming_it_and_leaves_no_namespace():
    before = namespaces()
    done = subprocess.run(make_demo("--no-heal"), capture_output=True, text=True, timeout=BOUND)
    out = done.stdout
    forget_work_folder(out)
    assert done.returncode != 0, out[-3000:]
    assert "demo: FAILED at step 6/7 (heal alpha<->beta" in out, out[-3000:]
    assert "not back on wg0 within" in out
    assert "== Step 7/7" not in out  # nothing after the failed step, but the cleanup:
    assert "cleanup: the lab is gone" in out
    assert not leaked(before)


def test_ctrl_c_cleans_up():
    before = namespaces()
    # a terminal's Ctrl-C: SIGINT to make and the demo, the whole foreground group
    demo = subprocess.Popen(
        make_demo(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    seen, in_step_6 = [], False
    deadline = time.monotonic() + 300
    try:  # interrupted while step 6 waits out the hold-down: once it printed a progress line
        for line in demo.stdout:
            seen.append(line)
            in_step_6 = in_step_6 or line.startswith("== Step 6/7")
            if (in_step_6 and re.search(r"^\s*\S* *\+ *\d+\.\d s: ", line)) or (
                time.monotonic() > deadline
            ):
                break
        os.killpg(demo.pid, signal.SIGINT)
        rest, _ = demo.communicate(timeout=120)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    out = "".join(seen) + rest
    forget_work_folder(out)
    assert demo.returncode != 0, out[-3000:]
    assert "demo: INTERRUPTED during step 6/7" in out, out[-3000:]
    assert not leaked(before)
