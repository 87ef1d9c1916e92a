"""Endpoint names to addresses, all at once, with one bounded wait (no DNS at boot must
not hang start). Threads, because getaddrinfo cannot be cancelled: a late thread is
abandoned (daemon) and its peer gets no endpoint for now."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time

log = logging.getLogger("router_wg")
DEFAULT_TIMEOUT = 3.0


def split_endpoint(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host.strip("[]"), int(port)


def format_endpoint(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def resolve_endpoints(endpoints, timeout: float = DEFAULT_TIMEOUT) -> dict[str, list[str]]:
    """endpoint as written -> ["ip:port", ...] (IPv4 first); unresolved names are left out."""
    results: dict[str, list[str]] = {}
    threads = []
    for endpoint in set(endpoints):
        host, port = split_endpoint(endpoint)
        try:
            ipaddress.ip_address(host)
            results[endpoint] = [format_endpoint(host, port)]
            continue
        except ValueError:
            pass
        thread = threading.Thread(target=_lookup, args=(endpoint, host, port, results), daemon=True)
        thread.start()
        threads.append((endpoint, thread))
    deadline = time.monotonic() + timeout
    for endpoint, thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
        if endpoint not in results:
            log.warning(
                "endpoint %s does not resolve (yet): that peer gets no endpoint for now", endpoint
            )
    return dict(results)


def _lookup(endpoint: str, host: str, port: int, results: dict[str, list[str]]) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError):
        return
    addresses = sorted({info[4][0] for info in infos}, key=lambda a: (":" in a, a))
    if addresses:
        results[endpoint] = [format_endpoint(a, port) for a in addresses]
