"""The system a run works on: the command runner, the paths, one netlink socket and cron,
each made when first used."""

from __future__ import annotations

from dataclasses import dataclass, field

from router_wg.backends.cron import Cron
from router_wg.backends.netlink import Netlink
from router_wg.backends.platform import detect
from router_wg.backends.runner import Runner
from router_wg.paths import Paths


@dataclass
class System:
    paths: Paths
    runner: Runner = field(default_factory=Runner)
    _netlink: Netlink | None = None
    _cron: Cron | None = None
    userspace: bool = False  # set when the module is missing and wireguard-go stands in

    @property
    def netlink(self) -> Netlink:
        if self._netlink is None:
            self._netlink = Netlink()
        return self._netlink

    @property
    def cron(self) -> Cron:
        if self._cron is None:
            self._cron = Cron(detect(self.paths), self.paths, self.runner)
        return self._cron

    def close(self) -> None:
        if self._netlink is not None:
            self._netlink.close()
