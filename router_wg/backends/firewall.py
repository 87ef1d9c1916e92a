"""Which firewall router-wg writes: fw4's nftables where fw4 is installed (OpenWrt 22.03+:
`fw4` on PATH; backends.nftables), else iptables (FreshTomato, older OpenWrt, plain Linux;
backends.iptables). ROUTER_WG_FIREWALL=fw4|iptables overrides the detection.
"""

from __future__ import annotations

import os
import shutil

from router_wg.errors import UserError

FIREWALL_ENV = "ROUTER_WG_FIREWALL"
IPTABLES, FW4 = "iptables", "fw4"


def kind() -> str:
    """Which firewall router-wg writes: fw4 where fw4 is installed, else iptables."""
    chosen = os.environ.get(FIREWALL_ENV, "").strip()
    if chosen in (IPTABLES, FW4):
        return chosen
    if chosen:
        raise UserError(
            f"{FIREWALL_ENV}={chosen!r} is not a firewall router-wg knows: use fw4 (OpenWrt "
            f"22.03 and later, nftables) or iptables (FreshTomato, older OpenWrt, plain "
            f"Linux), or unset it to detect fw4 by its program on PATH."
        )
    return FW4 if shutil.which("fw4") else IPTABLES
