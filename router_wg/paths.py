"""Every file router-wg touches outside the site bundle, in one place.

`Paths(root)` re-roots all of them under `root`, so tests and demos never touch the
host's own cron, lock or state. `/proc` and `/sys` are never re-rooted: they belong
to the (network namespace of the) running kernel.

The FreshTomato wrapper (files/jffs/router-wg/router-wg.sh) keeps files of its own in the
state folder. Shell cannot import this module, so their names are the constants below, and
tests/unit/test_paths.py checks that the wrapper uses exactly these.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CONF_DIR_ENV = "ROUTER_WG_CONF_DIR"
STATE_DIR = "/tmp/router-wg"
BOOT_LOCK = "boot.lock"
BOOT_AGAIN = "boot.again"
BOOT_STATUS = "boot.status"
PYCACHE = "pycache"
WRAPPER_FILES = (BOOT_LOCK, BOOT_AGAIN, BOOT_STATUS, PYCACHE)


@dataclass(frozen=True)
class Paths:
    root: Path = Path("/")

    def _under_root(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    @property
    def state_dir(self) -> Path:
        """Volatile state (watchdog memory, lock): lost at reboot on purpose."""
        return self._under_root(STATE_DIR)

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "lock"

    @property
    def watchdog_state(self) -> Path:
        return self.state_dir / "watchdog.json"

    def creation_pending(self, interface: str) -> Path:
        """Exists while `start` creates `interface` and has not yet marked it as ours: a link
        found with it is ours, half made by a run that was killed."""
        return self.state_dir / f"creating-{interface}"

    @property
    def ip6tables_marker(self) -> Path:
        """Exists while ip6tables may hold rules of ours, so an IPv4-only router never pays
        for reading ip6tables."""
        return self.state_dir / "ip6tables-used"

    @property
    def rp_filter_record(self) -> Path:
        """The rp_filter values `start` replaced (JSON), for `stop` to put back."""
        return self.state_dir / "rp_filter.json"

    @property
    def boot_lock(self) -> Path:
        """The wrapper's `boot`: a symbolic link to the pid of the one boot that waits."""
        return self.state_dir / BOOT_LOCK

    @property
    def boot_again(self) -> Path:
        """The wrapper's `boot`: a firewall restart came during `start`, so start again."""
        return self.state_dir / BOOT_AGAIN

    @property
    def boot_status(self) -> Path:
        """The wrapper's `boot`: the exit code of `start`, out of the pipe that logs it."""
        return self.state_dir / BOOT_STATUS

    @property
    def pycache(self) -> Path:
        """The wrapper's PYTHONPYCACHEPREFIX: bytecode in RAM, not on the router's flash."""
        return self.state_dir / PYCACHE

    @property
    def applied_bundle(self) -> Path:
        """The makeconf run (serial, fingerprint) of the bundle the last full converge put in
        place: the watcher follows that bundle, not files copied but not yet started."""
        return self.state_dir / "applied.json"

    @property
    def watcher_lock(self) -> Path:
        """Held by the resident watcher for its whole life (its pid inside): one per router."""
        return self.state_dir / "watcher.lock"

    @property
    def watcher_status(self) -> Path:
        """The watcher's own account for `show`: since when it runs, its last verdicts."""
        return self.state_dir / "watcher.json"

    @property
    def syslog_socket(self) -> Path:
        return self._under_root("/dev/log")

    @property
    def crontab(self) -> Path:
        """Root's crontab on plain Linux and OpenWrt (FreshTomato's cron is `cru`)."""
        return self._under_root("/etc/crontabs/root")

    @property
    def cron_init_script(self) -> Path:
        """OpenWrt's cron service, restarted to read a changed crontab."""
        return self._under_root("/etc/init.d/cron")

    @property
    def openwrt_release(self) -> Path:
        return self._under_root("/etc/openwrt_release")

    @property
    def nftables_includes(self) -> Path:
        """fw4's include folders (table-post/, chain-pre/<chain>/): read at every reload."""
        return self._under_root("/usr/share/nftables.d")

    @property
    def wireguard_run_dir(self) -> Path:
        """Where userspace WireGuard (wireguard-go) keeps its control sockets."""
        return Path("/var/run/wireguard")

    def proc_sys_net(self, *parts: str) -> Path:
        return Path("/proc/sys/net").joinpath(*parts)


def default_conf_dir() -> Path:
    """The bundle folder when `--conf-dir` is not given: the environment, then here."""
    return Path(os.environ.get(CONF_DIR_ENV) or ".")


def add_conf_dir_argument(parser) -> None:
    parser.add_argument(
        "--conf-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="the site's bundle folder (default: $ROUTER_WG_CONF_DIR, then the current folder)",
    )


def conf_dir_of(args) -> Path:
    return args.conf_dir or default_conf_dir()
