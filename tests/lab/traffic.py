"""Traffic that runs while a test breaks things, and what it saw: a ping train (an echo every
50 ms, each answer stamped with the wall clock) and a TCP stream (a line every 50 ms, echoed
back, each echo stamped). The longest silence of either is how long users lost the path.

Both run as daemons inside a lab namespace (Namespace.popen), so closing the lab ends them
even when a test fails. The wall clock (time.time, ping -D) is shared by every namespace on
the machine; tests never change it while these run.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field

from lab.namespace import Namespace

INTERVAL = 0.05
_STAMP = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from ")

# The TCP peers, as small Python programs (python3 is on every lab machine and the guest).
ECHO_SERVER = """
import socket, sys
server = socket.create_server(("0.0.0.0", int(sys.argv[1])))
connection, _ = server.accept()
while data := connection.recv(4096):
    connection.sendall(data)
"""
STREAM_CLIENT = """
import select, socket, sys, time
sock = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
sock.settimeout(None)
interval, next_send = float(sys.argv[3]), time.monotonic()
try:
    while True:
        ready, _, _ = select.select([sock], [], [], max(0.0, next_send - time.monotonic()))
        if ready:
            data = sock.recv(65536)
            if not data:
                print("CLOSED", flush=True)
                break
            print(f"{time.time():.6f} {len(data)}", flush=True)
        if time.monotonic() >= next_send:
            sock.sendall(b"x" * 64)
            next_send += interval
except OSError as exc:
    print("ERROR", exc, flush=True)
"""


def longest_silence(stamps: list[float], start: float, end: float) -> float:
    """The longest time between two consecutive stamps in [start, end], its ends included."""
    inside = sorted(s for s in stamps if start <= s <= end)
    points = [start, *inside, end]
    return max(b - a for a, b in zip(points, points[1:], strict=False))


@dataclass
class PingTrain:
    host: Namespace
    address: str
    stamps: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.output = self.host.workdir / f"ping-{self.address}.log"
        self._log = open(self.output, "w")  # noqa: SIM115 - closed in stop()
        argv = ["ping", "-D", "-n", "-i", str(INTERVAL), "-W", "1", self.address]
        self.process = self.host.popen(argv, stdout=self._log, stderr=self._log)

    def stop(self) -> list[float]:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._log.close()
        self.stamps = [
            float(m.group(1)) for m in map(_STAMP.match, self.output.read_text().splitlines()) if m
        ]
        return self.stamps


@dataclass
class TcpStream:
    """`client` sends 64 bytes every 50 ms to `server` at `address`, which echoes them."""

    server: Namespace
    client: Namespace
    address: str
    port: int = 5201
    stamps: list[float] = field(default_factory=list)
    ended: str | None = None  # "CLOSED" or "ERROR ..." when the connection did not survive

    def __post_init__(self) -> None:
        python = sys.executable
        self.echo = self.server.popen([python, "-c", ECHO_SERVER, str(self.port)])
        self.output = self.client.workdir / f"tcp-{self.address}.log"
        deadline = time.monotonic() + 20
        while True:  # the server listens once its Python has started (seconds in the guest)
            self._log = open(self.output, "w")  # noqa: SIM115 - closed in stop()
            argv = [python, "-c", STREAM_CLIENT, self.address, str(self.port), str(INTERVAL)]
            self.process = self.client.popen(argv, stdout=self._log)
            time.sleep(0.5)
            if self.process.poll() is None:
                return
            self._log.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"TCP stream: no connection to {self.address}:{self.port}")

    def stop(self) -> list[float]:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.echo.terminate()
        self.echo.wait(timeout=10)
        self._log.close()
        for line in self.output.read_text().splitlines():
            if line.startswith(("CLOSED", "ERROR")):
                self.ended = line
            elif line:
                self.stamps.append(float(line.split()[0]))
        return self.stamps
