"""router-wg installed the way an OpenWrt admin gets it, shared by conftest's opkg_root,
test_openwrt_service.py and test_ipk_guest.py:

    /etc/rc.common, /lib/functions/procd.sh, /sbin/procd, /bin/sh
                              OpenWrt's, as the stand-ins of lab.openwrt
    the ipk                   installed as opkg does (pkgtools.opkg_install, postinst included)
    /usr/bin/python3          the interpreter with the standard library only
    /etc/router-wg/           the site's bundle, copied there by the admin

On a lab router the root is the router's own (`router.root`, which ROUTER_WG_ROOT re-roots)
and procd runs in the router's namespace with the router's environment (`env`): nothing
inherited, PATH the root's /usr/bin, BusyBox applets, then the system's tools.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from jffs_install import CRON_MARK
from lab.openwrt import Procd, install_firmware, reroot
from pkgtools import bare_python, opkg_install, router_bin
from scenarios.watcher_lab import watcher_pids

SERVICE = "router-wg"


def openwrt_tools(folder: Path, syslog: Path) -> Path:
    """router_bin's BusyBox applets, plus what OpenWrt's BusyBox also has and rc.common and
    procd.sh call: basename, and flock (util-linux's: Debian's BusyBox lacks the applet)."""
    tools = router_bin(folder, syslog)
    (tools / "basename").symlink_to(shutil.which("busybox"))
    (tools / "flock").symlink_to(shutil.which("flock"))
    return tools


def install(ipk: Path, root: Path, tools: Path) -> None:
    """The firmware's stand-ins, then the package as opkg installs it, then python3; the
    init script's first line re-rooted (lab.openwrt.reroot)."""
    install_firmware(root)
    opkg_install(ipk, root, tools)
    bare_python(root / "usr" / "bin" / "python3")
    reroot(root / "etc" / "init.d" / SERVICE, root)


def lock_holder(lock: Path) -> int | None:
    """The pid that /proc/locks names as holding an flock on `lock` (waiters aside)."""
    found = os.stat(lock)
    key = f"{os.major(found.st_dev):02x}:{os.minor(found.st_dev):02x}:{found.st_ino}"
    for fields in map(str.split, Path("/proc/locks").read_text().splitlines()):
        if fields[1] == "FLOCK" and fields[5] == key:
            return int(fields[4])
    return None


class OpenWrtRouter:
    """The ipk on a lab router, its bundle in place, procd running."""

    def __init__(self, router, ipk: Path, bundle: Path, iptables: str, work: Path):
        self.router = router
        self.root = root = router.root
        self.syslog = work / "syslog"
        self.tools = openwrt_tools(work / "bin", self.syslog)
        install(ipk, root, self.tools)
        self.conf_dir = root / "etc" / "router-wg"
        self.watcher_lock = root / "tmp" / "router-wg" / "watcher.lock"
        for bundle_file in bundle.iterdir():
            shutil.copy(bundle_file, self.conf_dir)
        self.script = root / "etc" / "init.d" / SERVICE
        self.env = {
            "PATH": f"{root}/usr/bin:{self.tools}:/usr/sbin:/usr/bin:/sbin:/bin",
            "ROUTER_WG_ROOT": str(root),
            "ROUTER_WG_IPTABLES": iptables,
            "ROUTER_WG_BOOT_POLL": "1",
        }
        self.procd = Procd(root, self.env, popen=router.popen)

    def _argv(self, *argv: str, path_first: Path | None = None) -> list[str]:
        env = dict(self.env)
        if path_first:
            env["PATH"] = f"{path_first}:{env['PATH']}"
        return ["env", "-i", *(f"{k}={v}" for k, v in env.items()), *argv]

    def service(self, action: str, *, path_first: Path | None = None, timeout: float = 240):
        """`/etc/init.d/router-wg ACTION`, as an admin runs it (under emulation the first
        run compiles pyroute2 from the package); `path_first`: a folder of tools that
        shadow the router's."""
        argv = self._argv(str(self.script), action, path_first=path_first)
        return self.router.run(argv, check=False, timeout=timeout)

    def cron_command(self) -> str:
        """The command of the line `start` put in crontabs/root."""
        text = (self.root / "etc" / "crontabs" / "root").read_text()
        line = next(line for line in text.splitlines() if line.endswith(CRON_MARK))
        return line[: -len(CRON_MARK)].split(None, 5)[5]

    def run_cron_command(self, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        """The crontab's command, as cron runs it: `sh -c COMMAND` (BusyBox's)."""
        argv = self._argv("sh", "-c", self.cron_command())
        return self.router.run(argv, check=False, timeout=timeout)

    def holding_watcher(self) -> int | None:
        """The pid of the router's one watcher (/proc) when it holds the lock (/proc/locks),
        else None."""
        pids = watcher_pids(self.router)
        holder = lock_holder(self.watcher_lock) if self.watcher_lock.exists() else None
        return holder if pids == [holder] else None

    def watcher(self) -> dict | None:
        """procd's view of the service's watcher instance (running, pid, respawn...)."""
        service = self.procd.services(SERVICE).get(SERVICE, {})
        return service.get("instances", {}).get("watcher")

    def logged(self) -> str:
        return self.syslog.read_text() if self.syslog.exists() else ""

    def close(self) -> None:
        self.procd.stop()
