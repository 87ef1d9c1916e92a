"""Our firewall under fw4 (OpenWrt 22.03+) as data: our chains in fw4's `table inet fw4`,
their rules in the spelling `nft list` prints back (so observed and desired compare as
plain strings), the jumps into them, the include files fw4 re-reads on every reload, and
the reader of `nft -a list table inet fw4`.

Everything router-wg adds lives in chains named rwg_*; fw4's own chains only get one
`jump rwg_* comment "router-wg"` each. One inet table serves IPv4 and IPv6: the forward
rules say `ip saddr` or `ip6 saddr` per LAN, the other rules match both families.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from router_wg.marks import NFT_CHAIN_PREFIX as CHAIN_PREFIX
from router_wg.marks import NFT_INCLUDE_NAME as INCLUDE_NAME
from router_wg.marks import NFT_JUMP_COMMENT as JUMP_COMMENT

TABLE = "inet fw4"
CHAINS_INCLUDE = f"table-post/{INCLUDE_NAME}"  # our chains, inside `table inet fw4 { }`


@dataclass(frozen=True)
class NftChain:
    name: str  # ours: rwg_*
    hooked_from: str  # fw4's chain that jumps to it: input, forward, mangle_forward, srcnat
    rules: tuple[str, ...]  # as `nft list` prints them, without "# handle N"

    @property
    def jump(self) -> str:
        return jump_rule(self.name)

    @property
    def jump_include(self) -> str:
        """The include file (relative to fw4's nftables.d) that holds our jump."""
        return f"chain-pre/{self.hooked_from}/{INCLUDE_NAME}"


@dataclass(frozen=True)
class NftState:
    """Our part of `table inet fw4` as observed, and which of fw4's chains exist."""

    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ours -> rules
    # (fw4's chain, our jump rule in it) -> the handles of its copies
    jumps: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    fw4_chains: frozenset[str] = frozenset()  # every chain in the table not ours
    includes: dict[str, str | None] = field(default_factory=dict)  # file -> text, None: absent
    table: bool = True  # False: no table inet fw4 (fw4 not started, or stopped)


def jump_rule(chain: str) -> str:
    return f'jump {chain} comment "{JUMP_COMMENT}"'


def desired_nft_chains(interface: str, listen_port: int, lans) -> tuple[NftChain, ...]:
    """The rules of the iptables chains (resources/iptables/rules.py), in nft."""
    dev = f'"{interface}"'
    forward = []
    for lan in lans:
        ip = "ip6" if lan.version == 6 else "ip"
        forward.append(f"{ip} saddr {lan.with_prefixlen} oifname {dev} accept")
        forward.append(f"{ip} daddr {lan.with_prefixlen} iifname {dev} accept")
    # `tcp flags syn` is "syn is set": SYN and SYN-ACK, as fw4's own mtu_fix spells it
    clamp = "tcp flags syn tcp option maxseg size set rt mtu"
    return (
        NftChain(
            "rwg_input", "input", (f"udp dport {listen_port} accept", f"iifname {dev} accept")
        ),
        NftChain("rwg_forward", "forward", tuple(forward)),
        NftChain("rwg_mss", "mangle_forward", (f"oifname {dev} {clamp}", f"iifname {dev} {clamp}")),
        # accept in srcnat ends NAT for the packet: no masquerade of fw4's rewrites it
        NftChain("rwg_srcnat", "srcnat", (f"oifname {dev} accept",)),
    )


def include_files(chains: tuple[NftChain, ...]) -> dict[str, str]:
    """File (relative to fw4's nftables.d) -> its text: the very rules of the live
    transaction, so what nft accepted live is what fw4 includes at its next reload."""
    blocks = [f"chain {c.name} {{\n" + "".join(f"\t{r}\n" for r in c.rules) + "}\n" for c in chains]
    header = "# router-wg: its chains, included by fw4 inside table inet fw4 { }.\n"
    files = {CHAINS_INCLUDE: header + "".join(blocks)}
    for chain in chains:
        files[chain.jump_include] = f"{chain.jump}\n"
    return files


def every_include(hooks=("input", "forward", "mangle_forward", "srcnat")) -> tuple[str, ...]:
    """Every include file router-wg may have written (observed even when none is wanted)."""
    return (CHAINS_INCLUDE, *(f"chain-pre/{h}/{INCLUDE_NAME}" for h in hooks))


def parse_listing(text: str) -> NftState:
    """Our chains and jumps out of `nft -a list table inet fw4` (handles kept for jumps,
    dropped from rules)."""
    state = NftState()
    fw4_chains: set[str] = set()
    chain = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("chain ") and line.split(" # ")[0].endswith("{"):
            chain = line.split()[1]
            if chain.startswith(CHAIN_PREFIX):
                state.chains[chain] = ()
            else:
                fw4_chains.add(chain)
        elif line.startswith("}"):
            chain = None
        elif chain is not None and " # handle " in line:
            rule, handle = line.rsplit(" # handle ", 1)
            if chain.startswith(CHAIN_PREFIX):
                state.chains[chain] += (rule,)
            elif _is_our_jump(rule):
                key = (chain, rule)
                state.jumps[key] = (*state.jumps.get(key, ()), int(handle))
    table = any(line.startswith(f"table {TABLE} ") for line in text.splitlines())
    return NftState(state.chains, state.jumps, frozenset(fw4_chains), table=table)


def _is_our_jump(rule: str) -> bool:
    words = rule.split()
    return (
        len(words) == 4
        and words[0] == "jump"
        and words[1].startswith(CHAIN_PREFIX)
        and words[2:] == ["comment", f'"{JUMP_COMMENT}"']
    )
