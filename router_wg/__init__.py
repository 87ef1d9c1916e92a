"""router-wg: a WireGuard full mesh for small routers, with per-peer fallback to tinc."""

__version__ = "0.1.0"
