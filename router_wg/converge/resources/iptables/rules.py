"""iptables as data: the chains we own, their rules in `iptables-save`'s own spelling (so
observed and wanted compare as plain strings), and the jumps into them.

Everything router-wg adds lives in chains named RWG_*; the built-in chains only get one
`-j RWG_*` jump each, inserted first so the firmware's own DROP rules cannot shadow ours.
The same chains exist in ip6tables (without the nat one) when the bundle has IPv6.
"""

from __future__ import annotations

from dataclasses import dataclass

from router_wg.marks import IPTABLES_CHAIN_PREFIX as CHAIN_PREFIX

IPV4, IPV6 = "ipv4", "ipv6"  # iptables, ip6tables
FAMILIES = (IPV4, IPV6)


@dataclass(frozen=True)
class Chain:
    table: str  # "filter", "mangle", "nat"
    name: str  # ours: RWG_*
    hooked_from: str  # the built-in chain that jumps to it
    rules: tuple[str, ...]  # "-A RWG_INPUT ..." exactly as iptables-save prints them
    family: str = IPV4  # IPV6: the chain lives in ip6tables

    @property
    def jump(self) -> str:
        return f"-A {self.hooked_from} -j {self.name}"


@dataclass(frozen=True)
class TableState:
    """Our part of one table as observed: our chains' rules and our jumps' counts."""

    chains: dict[str, tuple[str, ...]]
    jumps: dict[str, int]  # "-A INPUT -j RWG_INPUT" -> how many times it is there


def desired_chains(
    interface: str, listen_port: int, lans, *, ipv6: bool = False
) -> tuple[Chain, ...]:
    """Our chains in iptables: the WireGuard port and the tunnel open in INPUT, the LANs
    forwarded to and from the tunnel, TCP MSS clamped to the path MTU, NAT left out of the
    tunnel; with `ipv6` the same (but NAT) in ip6tables for the IPv6 LANs."""
    chains = _family_chains(IPV4, interface, listen_port, lans)
    # ACCEPT in nat POSTROUTING ends NAT for the connection: no masquerade rule of the
    # firmware (often written without -o) can rewrite traffic entering the tunnel.
    chains += (Chain("nat", "RWG_NAT", "POSTROUTING", (f"-A RWG_NAT -o {interface} -j ACCEPT",)),)
    if ipv6:
        # No IPv6 nat chain: router firmware often has no ip6table_nat (the table would not
        # even load), and IPv6 LANs are routed, not masqueraded, so nothing needs exempting.
        chains += _family_chains(IPV6, interface, listen_port, lans)
    return chains


def _family_chains(family: str, interface: str, listen_port: int, lans) -> tuple[Chain, ...]:
    version = 6 if family == IPV6 else 4
    forward = []
    for lan in (n for n in lans if n.version == version):
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
            family,
        ),
        Chain("filter", "RWG_FORWARD", "FORWARD", tuple(forward), family),
        Chain(
            "mangle",
            "RWG_MSS",
            "FORWARD",
            (
                f"-A RWG_MSS -o {interface} {clamp}",
                f"-A RWG_MSS -i {interface} {clamp}",
            ),
            family,
        ),
    )


def parse_save(text: str) -> dict[str, TableState]:
    """Our chains and jumps out of `iptables-save` or `ip6tables-save` output (counters
    ignored)."""
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
