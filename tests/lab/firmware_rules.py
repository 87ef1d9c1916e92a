"""The firewall a firmware leaves on a router, as `iptables-save` prints it (and
`iptables-restore` takes it), with none of router-wg's chains in it.

A firmware's firewall restart flushes every table and loads its own rules; `firewall_restart`
does the same to a lab router. (The executable stand-ins for firmware tools, cru, nvram, fw4,
an old iptables, are in tests/lab/firmware/.)

- `FRESHTOMATO`: FreshTomato's IPv4 ruleset after a firewall restart, cut to what matters to
  the mesh: INPUT and FORWARD policy DROP, only loopback and established connections let in,
  and the LANs masqueraded on their way out (so a mesh packet that router-wg does not exempt
  leaves with the router's address). Nothing crosses the mesh until router-wg's chains are in.
- `FRESHTOMATO_IPV6`: the same firmware's ip6tables with IPv6 on: policy DROP, ICMPv6 let in
  (neighbour discovery needs it), no nat table.
- `ACCEPT_ALL`: built-in chains only, every policy ACCEPT, in the three tables router-wg uses:
  a router whose firmware filters nothing, where every packet passes with or without us.

Standard library only: the tests that use it also run in the ARM guest.
"""

from __future__ import annotations

FRESHTOMATO = """\
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
COMMIT
*nat
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 10.0.0.0/8 -j MASQUERADE
COMMIT
"""

FRESHTOMATO_IPV6 = """\
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
COMMIT
"""

ACCEPT_ALL = """\
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
COMMIT
*nat
:POSTROUTING ACCEPT [0:0]
COMMIT
"""


def firewall_restart(
    router, iptables: str, rules: str = FRESHTOMATO, rules6: str | None = None
) -> None:
    """What the firmware's firewall restart does: the tables in `rules` (and `rules6`, for
    ip6tables) flushed and loaded with them. `iptables` is the backend's program
    (`iptables-legacy` also means `ip6tables-legacy`)."""
    router.run([f"{iptables}-restore"], input=rules)
    if rules6 is not None:
        router.run([f"{iptables.replace('iptables', 'ip6tables')}-restore"], input=rules6)
