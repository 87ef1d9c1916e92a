"""What router-wg owns on a router, and the mark each of those things carries.

`stop`, `plan` and the watchdog tell router-wg's objects from the firmware's and the user's by
these marks alone: nothing without one is ever changed or removed.
"""

from __future__ import annotations

# Routes: `ip route ... proto 0x57`. Unused by iproute2's rt_protos (0-4, 8-18, 42, 99,
# 186-192); name it in /etc/iproute2/rt_protos.d if you like.
ROUTE_PROTOCOL = 0x57
# The WireGuard interface: its alias (`ip link set wg0 alias router-wg`). A link of the same
# name without it is someone else's, and is refused.
INTERFACE_ALIAS = "router-wg"
# iptables and ip6tables: chains named RWG_*, each jumped to once from a built-in chain.
IPTABLES_CHAIN_PREFIX = "RWG_"
# fw4 (nftables): chains named rwg_* in table inet fw4, jumped to by rules with this comment,
# and a file of this name in each of fw4's include folders.
NFT_CHAIN_PREFIX = "rwg_"
NFT_JUMP_COMMENT = "router-wg"
NFT_INCLUDE_NAME = "router-wg.nft"
# cron: cru's entry id on FreshTomato, the comment that ends our crontab line elsewhere.
CRON_ID = "router-wg"
