"""What syslogd would receive from a lab router's router-wg: a unix datagram socket bound at
`<router root>/dev/log` (router-wg re-roots its syslog socket with --root, as every file)."""

from __future__ import annotations

import socket


class SyslogListener:
    """What syslogd would receive: a unix datagram socket bound at `<root>/dev/log`."""

    def __init__(self, router) -> None:
        self.path = router.root / "dev" / "log"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.setblocking(False)

    def lines(self) -> list[str]:
        """Every line received since the last call."""
        heard = []
        while True:
            try:
                heard.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return heard

    def close(self) -> None:
        self.sock.close()
        self.path.unlink(missing_ok=True)
