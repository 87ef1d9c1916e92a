"""State changes go to syslog, tagged `router-wg`, one line each.

On a router that is BusyBox syslogd (or logd, or rsyslog) listening on /dev/log; the
firmware's log page shows them. Under `--root` the socket is re-rooted too, so a test can
listen on `<root>/dev/log` like syslogd would. Without a listening syslog the line goes to
stderr instead, so nothing is lost.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

TAG = "router-wg"
FACILITY_DAEMON = 3
SEVERITY = {"error": 3, "warning": 4, "notice": 5, "info": 6}


def send_event(syslog_socket: Path, message: str, severity: str = "notice") -> None:
    """Send one line to syslog (RFC 3164 framing, as BusyBox syslogd expects)."""
    priority = FACILITY_DAEMON * 8 + SEVERITY[severity]
    line = f"<{priority}>{TAG}: {message}"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(str(syslog_socket))
            sock.send(line.encode("utf-8", "replace"))
    except OSError:
        print(f"{TAG}: {message}", file=sys.stderr)
