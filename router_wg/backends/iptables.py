"""iptables and ip6tables through `*-save` (observe: one process per family, all tables)
and one `*-restore --noflush` transaction per family (change). Legacy iptables is what
FreshTomato has; ROUTER_WG_IPTABLES picks the program family for IPv4 (e.g.
"iptables-legacy" runs iptables-legacy-save / iptables-legacy-restore), default
"iptables"; IPv6 uses the same name with ip6tables in it ("ip6tables-legacy-save").
"""

from __future__ import annotations

import os
import shutil

from router_wg.backends.runner import Runner
from router_wg.errors import CommandError

IPTABLES_ENV = "ROUTER_WG_IPTABLES"


def program(suffix: str, *, ipv6: bool = False) -> str:
    """The program for `suffix` ("save" -> iptables-legacy-save, ip6tables-legacy-save).
    For IPv6 the last "iptables" in the name becomes "ip6tables", so a path such as
    /opt/iptables/sbin/iptables keeps its folder."""
    name = os.environ.get(IPTABLES_ENV) or "iptables"
    if ipv6:
        head, found, tail = name.rpartition("iptables")
        name = f"{head}ip6tables{tail}" if found else "ip6tables"
    return f"{name}-{suffix}"


def installed(*, ipv6: bool = False) -> bool:
    """Whether this family's save program is on PATH (many routers have no ip6tables)."""
    return shutil.which(program("save", ipv6=ipv6)) is not None


def save(runner: Runner, *, ipv6: bool = False) -> str:
    return runner.run([program("save", ipv6=ipv6)]).stdout


def restore(runner: Runner, transaction: str, *, ipv6: bool = False) -> None:
    """Apply atomically, waiting for the xtables lock where this iptables knows `-w`."""
    argv = [program("restore", ipv6=ipv6), "--noflush"]
    try:
        runner.run([*argv, "-w", "5"], secret_input=transaction)
    except CommandError as exc:
        old_iptables = any(w in exc.stderr for w in ("unrecognized option", "invalid option"))
        if not old_iptables:
            raise
        runner.run(argv, secret_input=transaction)
