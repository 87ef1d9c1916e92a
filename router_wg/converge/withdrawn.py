"""The peers whose LAN routes the watchdog has withdrawn: part of the desired state.

The watchdog keeps them in its state file (`Paths.watchdog_state`, see
router_wg.watchdog.state); this is the one reader start, plan and stop use. It never
fails: a missing, corrupt or previous-boot file means "none withdrawn" (after a reboot
every route comes back, and the watchdog withdraws again if it must).
"""

from __future__ import annotations

from router_wg.paths import Paths


def load_withdrawn(paths: Paths) -> frozenset[str]:
    from router_wg.watchdog.state import withdrawn_peers

    return withdrawn_peers(paths.watchdog_state)
