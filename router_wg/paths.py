"""Every file router-wg touches outside the site bundle, in one place.

`Paths(root)` re-roots all of them under `root`, so tests and demos never touch the
host's own cron, lock or state. `/proc` and `/sys` are never re-rooted: they belong
to the (network namespace of the) running kernel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CONF_DIR_ENV = "ROUTER_WG_CONF_DIR"


@dataclass(frozen=True)
class Paths:
    root: Path = Path("/")

    def _under_root(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    @property
    def state_dir(self) -> Path:
        """Volatile state (watchdog memory, lock): lost at reboot on purpose."""
        return self._under_root("/tmp/router-wg")

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "lock"

    @property
    def watchdog_state(self) -> Path:
        return self.state_dir / "watchdog.json"

    def creation_pending(self, interface: str) -> Path:
        """Exists while start creates `interface` and has not marked it ours yet: a run
        killed in between leaves the next one knowing the link is ours."""
        return self.state_dir / f"creating-{interface}"

    @property
    def ip6tables_marker(self) -> Path:
        """Exists from before a run's first ip6tables change until a run leaves none of ours
        there: an IPv4-only router never pays for reading ip6tables."""
        return self.state_dir / "ip6tables-used"

    @property
    def syslog_socket(self) -> Path:
        return self._under_root("/dev/log")

    @property
    def crontab_dir(self) -> Path:
        """Where plain Linux and OpenWrt keep root's crontab (`crontabs/root`)."""
        return self._under_root("/etc/crontabs")

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
