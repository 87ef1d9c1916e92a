"""The prober against the real kernel, in a namespace of its own: IPv4 and IPv6 addresses on
lo that answer, two that never do (echo requests dropped by iptables; a blackhole route, where
every send fails), and one whose replies iptables drops for a while."""

from __future__ import annotations

import json
import statistics
import sys
from itertools import pairwise

import pytest
from lab import names

# Host only: the guest proves the same sockets through the watcher's failover test.
pytestmark = [pytest.mark.root, pytest.mark.host_only]

LIVE = ["127.0.0.2", "::1"]
FLAKY = "127.0.0.3"  # its replies are dropped in the second phase only
SILENT = "127.0.0.4"  # its echo requests are dropped: sent, never answered
BLACKHOLE = "fd00:dead::1"  # routed to a blackhole: every send fails
ADDRESSES = [*LIVE, FLAKY, SILENT, BLACKHOLE]
SILENT_RULE = ["INPUT", "-d", SILENT, "-p", "icmp", "--icmp-type", "echo-request", "-j", "DROP"]
REPLY_RULE = ["INPUT", "-s", FLAKY, "-p", "icmp", "--icmp-type", "echo-reply", "-j", "DROP"]
FALL = 15  # the watcher's fall: the pace stays fast until that many losses in a row

# Runs inside the namespace: per phase, a command and new addresses (each optional), then
# `seconds` of polling. Prints every outcome as [phase, seconds into the phase, address, answered].
DRIVER = """
import json, subprocess, sys, time
from router_wg.watchdog.prober import Prober
addresses, phases = json.loads(sys.argv[1]), json.loads(sys.argv[2])
outcomes = []
with Prober(addresses) as prober:
    for number, phase in enumerate(phases):
        if "run" in phase:
            subprocess.run(phase["run"], check=True)
        if "addresses" in phase:
            prober.set_addresses(phase["addresses"])
        started, seconds = time.monotonic(), phase["seconds"]
        while (now := time.monotonic()) < started + seconds:
            for address, answered in prober.poll(started + seconds - now):
                outcomes.append([number, time.monotonic() - started, address, answered])
print(json.dumps(outcomes))
"""


@pytest.fixture
def ns(namespace):
    """The namespace with IPv6 on, SILENT dropped by iptables and BLACKHOLE routed so."""
    names.require(names.iptables())
    namespace.sysctl({f"net.ipv6.conf.{c}.disable_ipv6": 0 for c in ("all", "default", "lo")})
    namespace.ip("-6", "route", "add", "blackhole", BLACKHOLE)
    namespace.run([names.iptables(), "-A", *SILENT_RULE])
    return namespace


def run_phases(ns, addresses: list[str], phases: list[dict]) -> list[list]:
    argv = [sys.executable, "-c", DRIVER, json.dumps(addresses), json.dumps(phases)]
    return json.loads(ns.run(argv, timeout=60).stdout)


def of(outcomes, phase: int, address: str) -> list[tuple[float, bool]]:
    return [(t, answered) for p, t, a, answered in outcomes if p == phase and a == address]


def test_prober_outcomes_and_pace_against_the_kernel(ns):
    iptables = names.iptables()
    outcomes = run_phases(
        ns,
        ADDRESSES,
        [
            {"seconds": 3.0},  # everything as set up
            {"run": [iptables, "-A", *REPLY_RULE], "seconds": 2.0},  # FLAKY's replies dropped
            {"run": [iptables, "-D", *REPLY_RULE], "seconds": 1.5},  # and let through again
        ],
    )

    # the live ones answer every probe, at the idle pace: 6 or 7 in 3 s, not dozens
    for address in [*LIVE, FLAKY]:
        first = of(outcomes, 0, address)
        assert all(answered for _, answered in first), address
        assert 5 <= len(first) <= 8, (address, first)
    for address in LIVE:
        assert all(answered for _, answered in of(outcomes, 1, address)), address

    # the dead ones: nothing but losses, the first FALL of them at the fast pace, then idle
    for address in (SILENT, BLACKHOLE):
        losses = [t for t, answered in of(outcomes, 0, address) if not answered]
        assert len(losses) == len(of(outcomes, 0, address)), address
        fast = losses[:FALL]
        assert 0.25 <= fast[0] < 0.5 and fast[-1] < 2.0, (address, fast)
        assert 0.03 <= statistics.median(b - a for a, b in pairwise(fast)) <= 0.1
        assert len([t for t in losses if t > 2.0]) <= 3, (address, losses)

    # replies dropped: losses come fast; let through again: answers, losses only of probes
    # sent before, and the last outcomes answered
    dropped = of(outcomes, 1, FLAKY)
    assert len([t for t, answered in dropped if not answered]) >= 10, dropped
    healed = of(outcomes, 2, FLAKY)
    assert all(t < 0.6 for t, answered in healed if not answered), healed
    assert len([1 for _, answered in healed if answered]) >= 2 and healed[-1][1], healed


def test_new_addresses_keep_the_state_of_those_that_stay(ns):
    outcomes = run_phases(
        ns,
        [LIVE[0], SILENT],
        [
            {"seconds": 1.8},  # SILENT: its first FALL losses come fast, then the idle pace
            {"addresses": [SILENT, LIVE[1]], "seconds": 1.5},
        ],
    )
    assert len(of(outcomes, 0, SILENT)) >= FALL
    assert of(outcomes, 1, LIVE[0]) == []  # gone
    added = of(outcomes, 1, LIVE[1])
    assert added[0][0] < 0.2 and all(answered for _, answered in added)  # probed at once
    assert 1 <= len(of(outcomes, 1, SILENT)) <= 4  # still idle: no new burst of fast probes
