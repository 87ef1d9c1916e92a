"""An OpenWrt root for tests: the firmware's stand-ins (tests/lab/firmware/openwrt/) installed
where OpenWrt keeps the real ones, and their procd running.

    <root>/bin/sh                      BusyBox (OpenWrt's /bin/sh is BusyBox ash)
    <root>/etc/rc.common               what runs every init script
    <root>/lib/functions/procd.sh      the procd_* functions of USE_PROCD=1 scripts
    <root>/sbin/procd                  the supervisor, its state in <root>/var/run, its log in
                                       <root>/var/log/procd.log

An init script's first line names /etc/rc.common (`#!/bin/sh /etc/rc.common`): a chroot would
find it in the root, so `reroot` writes the root's own paths into that line, which is all a
chroot would change. Nothing here reads or writes the host's /etc or /var.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

FIRMWARE = Path(__file__).resolve().parent / "firmware" / "openwrt"
INTERPRETER = "#!/bin/sh /etc/rc.common"
READY_WITHIN = 30.0  # seconds for procd to listen (Python's start in the ARM guest)


def install_firmware(root: Path) -> None:
    """rc.common, procd.sh and procd into `root`, BusyBox as its /bin/sh, an empty rc.d."""
    busybox = shutil.which("busybox")
    if busybox is None:
        raise FileNotFoundError("busybox is not installed (`make deps` installs it)")
    for folder in ("bin", "etc/rc.d", "etc/init.d", "lib/functions", "sbin"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "bin" / "sh").symlink_to(busybox)
    for source, target, mode in (
        ("rc.common", "etc/rc.common", 0o755),
        ("procd.sh", "lib/functions/procd.sh", 0o644),
        ("procd.py", "sbin/procd", 0o755),
    ):
        shutil.copyfile(FIRMWARE / source, root / target)
        (root / target).chmod(mode)


def reroot(init_script: Path, root: Path) -> None:
    """Point the script's first line at the root's sh and rc.common, as a chroot would."""
    first, rest = init_script.read_text().split("\n", 1)
    if first != INTERPRETER:
        raise ValueError(f"{init_script}: first line {first!r}, not {INTERPRETER!r}")
    init_script.write_text(f"#!{root}/bin/sh {root}/etc/rc.common\n{rest}")


class Procd:
    """The stand-in procd of one root, running; started by `popen` (a namespace's, so that
    its instances live in that namespace) with `env` as procd's environment."""

    def __init__(self, root: Path, env: dict[str, str], popen=subprocess.Popen) -> None:
        self.root = root
        self.socket = root / "var" / "run" / "procd.sock"
        argv = [sys.executable, str(root / "sbin" / "procd"), "daemon"]
        self.process = popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + READY_WITHIN
        while not self.socket.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"procd ended: {self.process.stderr.read().decode()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"procd did not listen within {READY_WITHIN} s")
            time.sleep(0.05)

    def services(self, name: str | None = None) -> dict:
        """What `ubus call service list` would say: service -> {"instances": {...}}."""
        argv = [sys.executable, str(self.root / "sbin" / "procd"), "list"]
        done = subprocess.run(
            [*argv, *([name] if name else [])], capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            raise RuntimeError(f"procd list: {done.stderr}")
        return json.loads(done.stdout)

    def log(self) -> str:
        path = self.root / "var" / "log" / "procd.log"
        return path.read_text() if path.exists() else ""

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM: procd ends its instances (SIGKILL after their term_timeout), then
        itself. Safe to call twice."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
