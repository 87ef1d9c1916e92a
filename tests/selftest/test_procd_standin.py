"""The OpenWrt stand-ins (tests/lab/firmware/openwrt/: rc.common, procd.sh, procd) on a
trivial service whose instance is `sleep`: what procd does with an instance, checked with
procd's own listing (`ubus call service list`'s, here `procd list`), /proc and its log."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from lab.openwrt import Procd, install_firmware, reroot

BOUND = 5.0  # seconds a test allows beyond what procd's rules say


@dataclass
class Service:
    root: Path
    procd: Procd
    script: Path
    runs: Path  # each run of a counting command appends a line

    def run(self, action: str, **env: str) -> subprocess.CompletedProcess[str]:
        """`/etc/init.d/demo ACTION`, the script run through its first line."""
        return subprocess.run(
            [str(self.script), action],
            env={"PATH": os.environ["PATH"], **env},
            capture_output=True,
            text=True,
            timeout=30,
        )

    def instance(self) -> dict | None:
        return self.procd.services().get("demo", {}).get("instances", {}).get("main")

    def pid(self) -> int | None:
        instance = self.instance()
        return instance.get("pid") if instance else None

    def run_count(self) -> int:
        return len(self.runs.read_text().splitlines()) if self.runs.exists() else 0


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)
    return found


def command_of(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_text().split("\0")[:-1]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


START_SERVICE = """\
start_service() {{
	[ -n "${{NO_INSTANCE:-}}" ] && return 0
	procd_open_instance main
	procd_set_param command {command}
	{params}
	procd_close_instance
}}
"""


@pytest.fixture
def service(tmp_path):
    """A root with the stand-ins, procd running, and /etc/init.d/demo whose start_service
    each test writes with `make`."""
    root = tmp_path / "root"
    install_firmware(root)
    procd = Procd(root, {"PATH": os.environ["PATH"]})
    script = root / "etc" / "init.d" / "demo"
    runs = tmp_path / "runs"

    def make(command: str, *params: str, extra: str = "") -> Service:
        text = "#!/bin/sh /etc/rc.common\nUSE_PROCD=1\nSTART=50\nSTOP=50\n"
        text += START_SERVICE.format(command=command, params="\n\t".join(params)) + extra
        script.write_text(text)
        script.chmod(0o755)
        reroot(script, root)
        return Service(root, procd, script, runs)

    try:
        yield make
    finally:
        procd.stop()


def counting(runs: Path, then: str) -> str:
    """A command that notes each run in `runs`, then does `then`."""
    return f'sh -c "echo run >>{runs}; {then}"'


def test_a_second_start_leaves_a_running_unchanged_instance_and_restarts_a_changed_one(service):
    demo = service('sleep "${NAP:-30}"', "procd_set_param respawn")
    assert demo.run("start").returncode == 0
    first = wait_for(demo.pid, BOUND, "the instance running")
    assert command_of(first) == ["sleep", "30"]
    assert demo.instance()["respawn"] == {"threshold": 3600, "timeout": 5, "retry": 5}

    assert demo.run("start").returncode == 0
    assert demo.pid() == first and alive(first)

    assert demo.run("start", NAP="31").returncode == 0  # the command changed
    second = wait_for(lambda: demo.pid() not in (None, first) and demo.pid(), BOUND, "restart")
    assert command_of(second) == ["sleep", "31"]
    wait_for(lambda: not alive(first), BOUND, "the first run ended")


def test_a_start_without_the_instance_stops_it(service):
    demo = service("sleep 30")
    demo.run("start")
    pid = wait_for(demo.pid, BOUND, "the instance running")
    assert demo.run("start", NO_INSTANCE="1").returncode == 0
    wait_for(lambda: not alive(pid), BOUND, "the instance stopped")
    assert demo.procd.services()["demo"]["instances"] == {}


def test_stop_ends_the_instance_with_sigterm_then_sigkill_after_term_timeout(service):
    demo = service("sh -c \"trap '' TERM; exec sleep 60\"", "procd_set_param term_timeout 1")
    demo.run("start")
    pid = wait_for(demo.pid, BOUND, "the instance running")
    wait_for(lambda: command_of(pid)[0] == "sleep", BOUND, "sh exec'd sleep")
    began = time.monotonic()
    assert demo.run("stop").returncode == 0
    wait_for(lambda: not alive(pid), 1 + BOUND, "the instance killed")
    assert time.monotonic() - began >= 0.9  # SIGTERM was ignored: it took term_timeout
    assert f"demo::main pid {pid} not stopped on SIGTERM, SIGKILL" in demo.procd.log()
    assert "demo" not in demo.procd.services()


def test_an_instance_that_died_is_started_again_after_the_respawn_timeout(service):
    demo = service("sleep 30", "procd_set_param respawn 60 2 5")
    demo.run("start")
    first = wait_for(demo.pid, BOUND, "the instance running")
    os.kill(first, signal.SIGKILL)
    killed = time.monotonic()
    second = wait_for(lambda: demo.pid() not in (None, first) and demo.pid(), 2 + BOUND, "again")
    assert time.monotonic() - killed >= 1.9  # no sooner than the timeout
    assert command_of(second) == ["sleep", "30"]


def test_more_quick_crashes_than_retry_give_up_and_a_start_after_that_gives_up_at_once(
    service, tmp_path
):
    demo = service(counting(tmp_path / "runs", "exit 1"), "procd_set_param respawn 10 0 2")
    demo.run("start")
    wait_for(lambda: "crash loop 3 crashes" in demo.procd.log(), BOUND, "procd gave up")
    assert demo.run_count() == 3  # the first run and `retry` more
    assert demo.instance()["running"] is False and demo.instance()["exit_code"] == 1

    # procd keeps the crash count: the instance starts again, and its next crash ends it
    demo.run("start")
    wait_for(lambda: "crash loop 4 crashes" in demo.procd.log(), BOUND, "procd gave up again")
    assert demo.run_count() == 4


def test_retry_0_never_gives_up(service, tmp_path):
    demo = service(counting(tmp_path / "runs", "exit 1"), "procd_set_param respawn 10 0 0")
    demo.run("start")
    wait_for(lambda: demo.run_count() >= 8, BOUND, "8 runs")
    assert "crash loop" not in demo.procd.log()
    demo.run("stop")


def test_a_run_longer_than_threshold_sets_the_crash_count_back(service, tmp_path):
    demo = service(
        counting(tmp_path / "runs", "sleep 1.2; exit 1"), "procd_set_param respawn 1 0 1"
    )
    demo.run("start")
    wait_for(lambda: demo.run_count() >= 4, 4 * 1.2 + BOUND, "4 runs")  # retry 1, yet going
    assert "crash loop" not in demo.procd.log()
    demo.run("stop")


def test_stdout_reaches_the_log_only_when_asked(service):
    demo = service('sh -c "echo out; echo err >&2; exec sleep 30"', "procd_set_param stdout 1")
    demo.run("start")
    pid = wait_for(demo.pid, BOUND, "the instance running")
    wait_for(lambda: f"sh[{pid}]: out" in demo.procd.log(), BOUND, "stdout in the log")
    assert "err" not in demo.procd.log()


def test_enable_links_the_script_into_rc_d_by_start_and_stop(service):
    demo = service("sleep 30")
    rc_d = demo.root / "etc" / "rc.d"
    assert demo.run("enabled").returncode == 1
    assert demo.run("enable").returncode == 0
    assert {p.name: os.readlink(p) for p in rc_d.iterdir()} == {
        "S50demo": "../init.d/demo",
        "K50demo": "../init.d/demo",
    }
    assert demo.run("enabled").returncode == 0
    assert demo.run("disable").returncode == 0
    assert list(rc_d.iterdir()) == []
    assert demo.run("enabled").returncode == 1


def test_the_service_lock_is_held_for_the_whole_run_and_then_released(service, tmp_path):
    lock = tmp_path / "root" / "var" / "lock" / "procd_demo.lock"
    seen = tmp_path / "seen"
    demo = service(
        "sleep 30",
        extra=f"service_started() {{\n\tflock -n {lock} true && echo free >{seen} || "
        f"echo held >{seen}\n}}\n",
    )
    assert demo.run("start").returncode == 0
    assert seen.read_text() == "held\n"
    assert subprocess.run(["flock", "-n", str(lock), "true"]).returncode == 0


def test_start_fails_saying_so_when_no_procd_runs(service):
    demo = service("sleep 30")
    demo.procd.stop()
    done = demo.run("start")
    assert "Failed to connect to procd" in done.stderr
