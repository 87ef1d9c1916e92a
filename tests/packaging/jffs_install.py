"""router-wg installed on a lab router the way the README tells a FreshTomato admin, shared by
the packaging tests (test_wrapper_guest.py) and the demo (tests/demo).

Inside the router's own root folder (`router.root`, what `--root`/ROUTER_WG_ROOT re-roots):

    jffs/router-wg/          the `make dist` archive unpacked in jffs/, the site's bundle beside
                             the wrapper (wg.conf, wg0.conf)
    opt/bin/python3          Entware's python3: the interpreter without site-packages (-S)
    bin/                     BusyBox applets and a `logger` that appends to var/log/messages
    etc/crontabs/root        where `start` registers the watchdog (plain Linux cron)

Every command runs under BusyBox sh with the router's environment (`env`): that PATH, the
root, and the iptables family the lab uses (legacy, as on FreshTomato).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pkgtools import bare_python, router_bin

BUSYBOX = shutil.which("busybox") or "busybox"
HOOK_VERB = "boot"  # the README's Firewall hook line: /jffs/router-wg/router-wg.sh boot &
CRON_MARK = " # router-wg"  # how start marks its line in crontabs/root


class Installed:
    """The dist archive unpacked into a router's own /jffs, its bundle beside the wrapper."""

    def __init__(self, router, archive: Path, bundle: Path, iptables: str):
        self.router = router
        root = router.root
        jffs = root / "jffs"
        jffs.mkdir(parents=True, exist_ok=True)
        subprocess.run([BUSYBOX, "tar", "-xzf", str(archive), "-C", str(jffs)], check=True)
        self.folder = jffs / "router-wg"
        self.wrapper = self.folder / "router-wg.sh"
        for bundle_file in bundle.iterdir():
            shutil.copy(bundle_file, self.folder)
        self.syslog = root / "var" / "log" / "messages"
        self.syslog.parent.mkdir(parents=True, exist_ok=True)
        tools = router_bin(root / "bin", self.syslog)
        bare_python(root / "opt" / "bin" / "python3")  # the wrapper looks in $root/opt/bin first
        self.crontab = root / "etc" / "crontabs" / "root"
        self.env = [
            f"PATH={tools}:/usr/sbin:/usr/bin:/sbin:/bin",
            f"ROUTER_WG_ROOT={root}",
            f"ROUTER_WG_IPTABLES={iptables}",
            "ROUTER_WG_BOOT_WAIT=20",
        ]

    def _sh(self) -> list[str]:
        return ["env", "-u", "PYTHONPATH", *self.env, BUSYBOX, "sh"]

    def run(self, verb: str, *args: str, timeout: float = 120):
        """`router-wg.sh VERB ARGS` in the router, as an admin over SSH runs it."""
        argv = [*self._sh(), str(self.wrapper), verb, *args]
        return self.router.run(argv, check=False, timeout=timeout)

    @property
    def hook_line(self) -> str:
        """The README's Firewall hook line, with /jffs where this router keeps it."""
        return f"{self.wrapper} {HOOK_VERB} &"

    def run_hook(self) -> None:
        """What the firmware does at boot and after a firewall restart: run the Firewall
        script box (the hook line) with sh, output nowhere; the line backgrounds the wrapper."""
        argv = [*self._sh(), "-c", self.hook_line]
        self.router.popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).wait(30)

    def cron_command(self) -> str | None:
        """The command of the watchdog line `start` put in the crontab (schedule and mark
        removed), or None when there is none."""
        text = self.crontab.read_text() if self.crontab.exists() else ""
        for line in text.splitlines():
            if line.endswith(CRON_MARK):
                return line[: -len(CRON_MARK)].split(None, 5)[5]
        return None

    def run_cron_command(self, command: str, timeout: float = 120):
        """Run a crontab command as cron does: `sh -c COMMAND` in the router's environment."""
        return self.router.run([*self._sh(), "-c", command], check=False, timeout=timeout)

    def logged(self) -> str:
        return self.syslog.read_text() if self.syslog.exists() else ""
