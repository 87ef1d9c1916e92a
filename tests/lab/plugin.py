"""pytest plugin loaded with `-p lab.plugin`: the lab's fixtures.

Every fixture skips, naming what is missing, when the run is not root or a binary is not
installed, and removes everything it made at teardown, also when the test failed or the run
was interrupted (Ctrl-C, or SIGTERM, which is turned into the same KeyboardInterrupt so
pytest still tears fixtures down). What a killed run left behind is swept by the next one
(see lab.names).
"""

from __future__ import annotations

import signal

import pytest

from lab import names, wireguard
from lab.namespace import Namespace
from lab.underlay import Lab


def pytest_configure(config: pytest.Config) -> None:
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def wireguard_impl() -> str:
    """ "kernel" (the ARM guest) or "wireguard-go" (the host); skips when neither works."""
    return wireguard.implementation()


@pytest.fixture
def namespace():
    """One empty network namespace (lo up), removed after the test."""
    names.require("ip", "sysctl", "mount")
    made = Namespace()
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def lab():
    """An empty underlay (the transit namespace); add routers with `lab.add_router`."""
    names.require("ip", "sysctl", "mount", "ping", names.iptables())
    made = Lab()
    try:
        yield made
    finally:
        made.close()
