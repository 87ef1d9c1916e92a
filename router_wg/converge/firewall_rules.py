"""Our firewall as data: the chains we own, their rules in `iptables-save`'s own spelling
(so observed and desired compare as plain strings), and the jumps into them.

Everything router-wg adds lives in chains named RWG_*; the built-in chains only get one
`-j RWG_*` jump each, inserted first so the firmware's own DROP rules cannot shadow ours.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

CHAIN_PREFIX = "RWG_"


@dataclass(frozen=True)
class Chain:
    table: str  # "filter", "mangle", "nat"
    name: str  # ours: RWG_*
    hooked_from: str  # the built-in chain that jumps to it
    rules: tuple[str, ...]  # "-A RWG_INPUT ..." exactly as iptables-save prints them

    @property
    def jump(self) -> str:
        return f"-A {self.hooked_from} -j {self.name}"


@dataclass(frozen=True)
class TableState:
    """Our part of one table as observed: our chains' rules and our jumps' counts."""

    chains: dict[str, tuple[str, ...]]
    jumps: dict[str, int]  # "-A INPUT -j RWG_INPUT" -> how many times it is there


def desired_chains(interface: str, listen_port: int, lans) -> tuple[Chain, ...]:
    """The rules of DESIGN section 3 / issue 4 point 3 (IPv4: iptables, not ip6tables)."""
    v4_lans = [n for n in lans if isinstance(n, ipaddress.IPv4Network)]
    forward = []
    for lan in v4_lans:
        forward.append(f"-A RWG_FORWARD -s {lan.with_prefixlen} -o {interface} -j ACCEPT")
        forward.append(f"-A RWG_FORWARD -d {lan.with_prefixlen} -i {interface} -j ACCEPT")
    clamp = "-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu"
    return (
        Chain(
            "filter",
            "RWG_INPUT",
            "INPUT",
            (
                f"-A RWG_INPUT -p udp -m udp --dport {listen_port} -j ACCEPT",
                f"-A RWG_INPUT -i {interface} -j ACCEPT",
            ),
        ),
        Chain("filter", "RWG_FORWARD", "FORWARD", tuple(forward)),
        Chain(
            "mangle",
            "RWG_MSS",
            "FORWARD",
            (
                f"-A RWG_MSS -o {interface} {clamp}",
                f"-A RWG_MSS -i {interface} {clamp}",
            ),
        ),
        # ACCEPT in nat POSTROUTING ends NAT for the connection: no masquerade rule of the
        # firmware (often written without -o) can rewrite traffic entering the tunnel.
        Chain("nat", "RWG_NAT", "POSTROUTING", (f"-A RWG_NAT -o {interface} -j ACCEPT",)),
    )


def parse_save(text: str) -> dict[str, TableState]:
    """Our chains and jumps out of `iptables-save` output (counters ignored)."""
    tables: dict[str, TableState] = {}
    current: TableState | None = None
    for raw in text.splitlines():
        line = _without_counters(raw.strip())
        if line.startswith("*"):
            current = tables.setdefault(line[1:], TableState({}, {}))
        elif current is None or not line or line.startswith("#"):
            continue
        elif line.startswith(":" + CHAIN_PREFIX):
            current.chains.setdefault(line[1:].split()[0], ())
        elif line.startswith("-A "):
            chain = line.split()[1]
            if chain.startswith(CHAIN_PREFIX):
                current.chains[chain] = (*current.chains.get(chain, ()), line)
            elif _is_our_jump(line):
                current.jumps[line] = current.jumps.get(line, 0) + 1
    return tables


def _without_counters(line: str) -> str:
    # `iptables-save -c` prefixes "[pkts:bytes] "; we never ask for it, but tolerate it
    return line.split("] ", 1)[1] if line.startswith("[") else line


def _is_our_jump(line: str) -> bool:
    words = line.split()
    return len(words) == 4 and words[2] == "-j" and words[3].startswith(CHAIN_PREFIX)
