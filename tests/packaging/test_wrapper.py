"""The FreshTomato folder from `make dist`, unpacked as an admin does, its wrapper run under
BusyBox ash with a PATH of BusyBox applets only.

Each run gets a network namespace of its own (`unshare --net`): empty, so no default route,
or with a dummy uplink and a default route when the test wants one. Syslog is a `logger`
stand-in writing to a file. Where the boot path would run a real `start` (which would load
modules and start daemons), python3 is a stand-in that records its argv; the real chain
(BusyBox ash -> bare python3 -> lib/router_wg -> pyroute2) is proven with `plan`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time

import pytest
from pkgtools import REPO, VERSION, bare_python, clean_env, require, router_bin, write_script

BUSYBOX = shutil.which("busybox") or "busybox"
IP = shutil.which("ip") or "ip"
UNSHARE = shutil.which("unshare") or "unshare"
BOUND = 3  # ROUTER_WG_BOOT_WAIT for these tests, seconds

# Host only: the wrapper's shell logic with a stand-in python3; the guest runs the wrapper's
# boot, start, check and stop for real in test_wrapper_guest.py.
pytestmark = [
    pytest.mark.host_only,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for unshare --net"),
]

WITH_UPLINK = (
    f"{IP} link add uplink type veth peer name isp && {IP} link set isp up && "
    f"{IP} link set uplink up && {IP} address add 10.99.0.1/24 dev uplink && "
    f"{IP} route add default via 10.99.0.2 && "
    'exec "$@"'
)
# The firmware's own tools that router_wg calls (FreshTomato has legacy iptables).
FIRMWARE_TOOLS = {
    "iptables-save": "iptables-legacy-save",
    "iptables-restore": "iptables-legacy-restore",
    "wg": "wg",
}


class Router:
    """/jffs with the dist folder, a re-rooted /opt and /tmp, BusyBox, a syslog file."""

    def __init__(self, built, tmp_path):
        self.tmp = tmp_path
        self.jffs = tmp_path / "jffs"
        self.jffs.mkdir()
        archive = built / f"router-wg-{VERSION}.tar.gz"
        subprocess.run([BUSYBOX, "tar", "-xzf", str(archive), "-C", str(self.jffs)], check=True)
        self.folder = self.jffs / "router-wg"
        self.wrapper = self.folder / "router-wg.sh"
        self.root = tmp_path / "root"
        self.syslog = tmp_path / "syslog"
        self.argv_file = tmp_path / "argv"
        self.bin = router_bin(tmp_path / "bin", self.syslog)
        for name, program in FIRMWARE_TOOLS.items():
            if shutil.which(program):
                (self.bin / name).symlink_to(shutil.which(program))
        self.env = clean_env(
            ROUTER_WG_ROOT=str(self.root),
            ROUTER_WG_BOOT_WAIT=str(BOUND),
            ROUTER_WG_BOOT_POLL="1",
            PATH=str(self.bin),
        )

    def put_bundle(self, text="# a site bundle\n"):
        (self.folder / "wg.conf").write_text(text)

    def recording_python(self, seconds=0):
        """A python3 in Entware's place that records its argv and exits 0 after `seconds`."""
        write_script(
            self.root / "opt" / "bin" / "python3",
            f'#!/bin/sh\nprintf "%s\\n" "$@" "ROUTER_WG_CONF_DIR=$ROUTER_WG_CONF_DIR" '
            f'>>"{self.argv_file}"\nsleep {seconds}\nexit 0\n',
        )

    def command(self, *args, uplink=False):
        netns = [UNSHARE, "--net"]
        if uplink:
            netns += ["/bin/sh", "-c", WITH_UPLINK, "sh"]
        return [*netns, BUSYBOX, "sh", str(self.wrapper), *args]

    def run(self, *args, uplink=False, timeout=BOUND + 30):
        return subprocess.run(
            self.command(*args, uplink=uplink),
            env=self.env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def logged(self) -> str:
        return self.syslog.read_text() if self.syslog.exists() else ""

    def recorded_runs(self) -> list[list[str]]:
        """The argv of each python3 run, split at the ROUTER_WG_CONF_DIR line ending each."""
        runs, current = [], []
        text = self.argv_file.read_text() if self.argv_file.exists() else ""
        for line in text.splitlines():
            current.append(line)
            if line.startswith("ROUTER_WG_CONF_DIR="):
                runs.append(current)
                current = []
        return runs

    def wait_for_log(self, text, timeout):
        deadline = time.monotonic() + timeout
        while text not in self.logged():
            assert time.monotonic() < deadline, f"{text!r} not logged: {self.logged()}"
            time.sleep(0.2)


@pytest.fixture
def router(built, tmp_path):
    require("busybox", "unshare")
    return Router(built, tmp_path)


def test_boot_without_default_route_gives_up_in_time_and_says_why(router):
    router.put_bundle()
    router.recording_python()
    began = time.monotonic()
    done = router.run("boot")
    took = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    assert BOUND <= took < BOUND + 3
    assert "still missing: a default route (uplink down);" in router.logged()
    assert "python3" not in router.logged().split("still missing:")[1]
    assert router.recorded_runs() == []  # start never ran


def test_boot_without_python_gives_up_and_says_why(router):
    router.put_bundle()  # no /opt/bin/python3, and none on the BusyBox PATH
    assert not (router.root / "opt").exists()  # /opt not mounted
    done = router.run("boot", uplink=True)
    assert done.returncode == 0, done.stderr
    missing = router.logged().split("still missing:")[1]
    assert missing.startswith(" python3 (not in")
    assert "default route" not in missing


def test_boot_with_the_clock_at_1970_waits_for_it(router):
    router.put_bundle()
    router.recording_python()
    (router.bin / "date").unlink()
    write_script(router.bin / "date", "#!/bin/sh\necho 1970\n")  # an unsynced router clock
    done = router.run("boot", uplink=True)
    assert done.returncode == 0, done.stderr
    assert "still missing: a set clock (year 1970)" in router.logged()
    assert router.recorded_runs() == []


def test_boot_when_ready_starts_with_the_script_folder_as_bundle(router):
    router.put_bundle()
    router.recording_python()
    done = router.run("boot", uplink=True)
    assert done.returncode == 0, done.stderr
    assert router.recorded_runs() == [
        ["-m", "router_wg", "--root", str(router.root), "start", "--conf-dir", str(router.folder)]
        + [f"ROUTER_WG_CONF_DIR={router.folder}"]
    ]
    assert "boot: start ended with exit 0" in router.logged()


def test_the_hook_line_returns_at_once_and_the_wait_goes_on(router):
    router.put_bundle()
    router.recording_python()
    hook_line = f"{router.wrapper} boot &"  # what the admin pastes, with our path
    done = subprocess.run(
        [UNSHARE, "--net", BUSYBOX, "sh", "-c", hook_line],
        env=router.env,
        cwd=router.tmp,
        timeout=30,
    )
    assert done.returncode == 0
    # back before the boot it left behind has waited out its bound: the firmware goes on
    assert "boot: gave up after" not in router.logged()
    router.wait_for_log("boot: gave up after", timeout=BOUND + 5)


def test_a_second_boot_joins_the_one_waiting(router):
    router.put_bundle()
    router.recording_python()
    first = subprocess.Popen(router.command("boot"), env=router.env, cwd=router.tmp)
    try:
        router.wait_for_log("boot: waiting up to", timeout=5)
        second = router.run("boot")
        assert second.returncode == 0
        assert first.poll() is None  # it came back at once, while the first still waits
        # unshare execs the wrapper: the waiting boot is that very process
        assert f"boot: another boot (pid {first.pid}) is waiting" in router.logged()
    finally:
        assert first.wait(timeout=BOUND + 5) == 0
    assert router.logged().count("boot: gave up after") == 1


def test_a_firewall_restart_during_start_makes_boot_start_again(router):
    router.put_bundle()
    router.recording_python(seconds=2)
    first = subprocess.Popen(router.command("boot", uplink=True), env=router.env, cwd=router.tmp)
    try:
        router.wait_for_log("boot: start: bundle", timeout=5)
        second = router.run("boot", uplink=True)
        assert second.returncode == 0
    finally:
        assert first.wait(timeout=15) == 0
    assert len(router.recorded_runs()) == 2
    assert "the firewall restarted during start; starting again" in router.logged()


def test_start_without_python_fails_and_logs_why(router):
    router.put_bundle()
    done = router.run("start")
    assert done.returncode == 1
    assert "start: python3 not found" in router.logged()


def test_plan_runs_the_bundled_router_wg_on_a_bare_python(router, tmp_path):
    """The real chain: BusyBox ash, python3 with the standard library only, router_wg and
    pyroute2 from lib/, the bundle beside the script, the kernel of an empty namespace."""
    mesh = tmp_path / "mesh"
    subprocess.run(
        [sys.executable, "-m", "router_wg", "makeconf"]  # the venv's, or the guest's
        + ["--answers", str(REPO / "router_wg" / "examples" / "three-sites.toml")]
        + ["--out", str(mesh)],
        check=True,
        capture_output=True,
    )
    for bundle_file in (mesh / "alpha.example.net").iterdir():
        shutil.copy(bundle_file, router.folder)
    bare_python(router.root / "opt" / "bin" / "python3")
    done = router.run("plan")
    assert done.returncode == 0, done.stderr
    assert "create interface wg0" in done.stdout
    assert f"plan: bundle {router.folder}, {router.root}/opt/bin/python3" in router.logged()
    assert not list((router.folder / "lib").rglob("__pycache__"))  # bytecode stays in /tmp


def test_dist_archive_is_one_router_wg_folder(built):
    with tarfile.open(built / f"router-wg-{VERSION}.tar.gz") as archive:
        tops = {name.split("/")[0] for name in archive.getnames()}
    assert tops == {"router-wg"}
