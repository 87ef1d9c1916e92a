"""iptables through `iptables-save` (observe: one process for all tables) and one
`iptables-restore --noflush` transaction (change). Legacy iptables is what FreshTomato
has; ROUTER_WG_IPTABLES picks the program family (e.g. "iptables-legacy" runs
iptables-legacy-save / iptables-legacy-restore), default "iptables".
"""

from __future__ import annotations

import os

from router_wg.backends.runner import Runner
from router_wg.errors import CommandError

IPTABLES_ENV = "ROUTER_WG_IPTABLES"


def _program(suffix: str) -> str:
    return f"{os.environ.get(IPTABLES_ENV) or 'iptables'}-{suffix}"


def save(runner: Runner) -> str:
    return runner.run([_program("save")]).stdout


def restore(runner: Runner, transaction: str) -> None:
    """Apply atomically, waiting for the xtables lock where this iptables knows `-w`."""
    argv = [_program("restore"), "--noflush"]
    try:
        runner.run([*argv, "-w", "5"], secret_input=transaction)
    except CommandError as exc:
        old_iptables = any(w in exc.stderr for w in ("unrecognized option", "invalid option"))
        if not old_iptables:
            raise
        runner.run(argv, secret_input=transaction)
