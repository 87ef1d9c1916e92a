"""What the transit does to traffic between two routers: drop, lose, delay.

All of it happens in the transit namespace, between the routers' real underlay addresses:
- drops and loss are iptables rules at the top of the transit's FORWARD chain (FORWARD sees
  addresses before SNAT and after un-NAT, so they work for routers behind NAT too);
- delay is a netem qdisc under an htb class on the veth towards the receiver; a mangle rule
  (CLASSIFY) picks the class for that one pair, so other pairs on the same veth are not
  delayed. It needs sch_netem: the host kernel here has none, so delay() skips the test
  there with that reason; Debian's ARM kernel has it.
Every rule is remembered per pair, so heal() removes exactly what was added for that pair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lab.commands import CommandFailed
from lab.tinc import TINC_PORT

if TYPE_CHECKING:
    from lab.namespace import Namespace
    from lab.router import Router

Rule = tuple[str, str, tuple[str, ...]]  # table, chain, match and target


class Impairments:
    def __init__(self, transit: Namespace, iptables: str) -> None:
        self.transit = transit
        self.iptables = iptables
        self._rules: dict[frozenset[str], list[Rule]] = {}
        self._delays: dict[frozenset[str], list[tuple[Router, Router]]] = {}

    def cut(self, a: Router, b: Router, *, what: str = "wireguard", one_way: bool = False) -> None:
        if what == "wireguard":  # every UDP flow, except tinc's, which must keep working
            match = ("-p", "udp", "-m", "multiport", "!", "--ports", str(TINC_PORT))
        elif what == "all":
            match = ()
        else:
            raise ValueError(f"cut(what={what!r}): use 'wireguard' or 'all'")
        for src, dst in self._directions(a, b, one_way):
            drop = (*self._between(src, dst), *match, "-j", "DROP")
            self._add(a, b, ("filter", "FORWARD", drop))

    def loss(self, a: Router, b: Router, percent: float) -> None:
        if not 0 < percent <= 100:
            raise ValueError(f"loss(percent={percent}): give a percentage in (0, 100]")
        chance = ("-m", "statistic", "--mode", "random", "--probability", f"{percent / 100:.4f}")
        for src, dst in self._directions(a, b, one_way=False):
            drop = (*self._between(src, dst), *chance, "-j", "DROP")
            self._add(a, b, ("filter", "FORWARD", drop))

    def delay(self, a: Router, b: Router, ms: float) -> None:
        for src, dst in self._directions(a, b, one_way=False):
            device, classid = f"r{dst.index}", f"1:{src.index:x}"
            # unclassified traffic passes an htb root unshaped: only this pair's class waits
            root = ["tc", "qdisc", "replace", "dev", device, "root", "handle", "1:", "htb"]
            self.transit.run(root)
            self.transit.run(
                ["tc", "class", "replace", "dev", device, "parent", "1:", "classid", classid]
                + ["htb", "rate", "10gbit"]
            )
            netem = ["tc", "qdisc", "replace", "dev", device, "parent", classid]
            netem += ["handle", f"{src.index + 0x100:x}:", "netem", "delay", f"{ms}ms"]
            try:
                self.transit.run(netem)
            except CommandFailed as failure:
                pytest.skip(f"delay() needs the kernel's sch_netem (tc said: {failure.stderr})")
            classify = (*self._between(src, dst), "-j", "CLASSIFY", "--set-class", classid)
            self._add(a, b, ("mangle", "FORWARD", classify))
            delayed = self._delays.setdefault(self._pair(a, b), [])
            if (src, dst) not in delayed:
                delayed.append((src, dst))

    def heal(self, a: Router, b: Router) -> None:
        """Undo every cut, loss and delay between a and b, in both directions."""
        for table, chain, spec in reversed(self._rules.pop(self._pair(a, b), [])):
            self.transit.run([self.iptables, "-w", "10", "-t", table, "-D", chain, *spec])
        for src, dst in self._delays.pop(self._pair(a, b), []):
            device, classid = f"r{dst.index}", f"1:{src.index:x}"
            self.transit.run(["tc", "qdisc", "del", "dev", device, "parent", classid], check=False)
            self.transit.run(["tc", "class", "del", "dev", device, "classid", classid], check=False)

    def _add(self, a: Router, b: Router, rule: Rule) -> None:
        rules = self._rules.setdefault(self._pair(a, b), [])
        if rule in rules:  # cutting twice is one cut; heal removes it once
            return
        table, chain, spec = rule
        self.transit.run([self.iptables, "-w", "10", "-t", table, "-I", chain, *spec])
        rules.append(rule)

    @staticmethod
    def _pair(a: Router, b: Router) -> frozenset[str]:
        return frozenset((a.name, b.name))

    @staticmethod
    def _directions(a: Router, b: Router, one_way: bool) -> list[tuple[Router, Router]]:
        return [(a, b)] if one_way else [(a, b), (b, a)]

    @staticmethod
    def _between(src: Router, dst: Router) -> tuple[str, ...]:
        return ("-s", f"{src.underlay_address}/32", "-d", f"{dst.underlay_address}/32")
