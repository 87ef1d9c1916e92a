"""The watchdog when things go wrong around it: killed mid-tick, its state file corrupted,
the routes and its memory out of step.

Same three-router mesh as test_watchdog.py (its own copy, shared by this module's tests).
Host only: the same kernel calls as test_watchdog.py's, with other inputs to the watchdog's
logic (its clock-jump test, which the guest runs, lives there, on that module's mesh).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time

import pytest
from scenarios.bundles import wait_for
from scenarios.watchdog_lab import (
    FAST,
    routed_lans,
    state_file,
    three_routers,
    tick,
    tunnel_address,
)

pytestmark = [pytest.mark.root, pytest.mark.host_only]
FALL, RISE, HOLD = FAST["fall"], FAST["rise"], FAST["hold_down"]


@pytest.fixture(scope="module")
def shared_mesh(wireguard_impl, tmp_path_factory):
    yield from three_routers(tmp_path_factory.mktemp("watchdog-robustness"))


@pytest.fixture
def mesh(shared_mesh):
    return shared_mesh.fresh()


def withdraw_beta_from_alpha(mesh):
    alpha, beta, gamma = mesh.routers
    mesh.lab.cut(alpha, beta)
    for _ in range(FALL):
        mesh.tick(alpha)
    assert routed_lans(alpha) == set(gamma.lans)
    return alpha, beta, gamma


def heal_and_restore(mesh, alpha, beta, bundle) -> None:
    """Heal, wait for the tunnel, then tick until beta's LANs are routed again: at least
    `rise` ticks, and the ones after while the hold-down of the withdrawal lasts (a timer of
    the watchdog's, so it is ticked out, bounded, not slept out)."""
    mesh.lab.heal(alpha, beta)
    # WireGuard retries its handshake every 5 s
    wait_for(lambda: alpha.ping(tunnel_address(beta), count=1), 15, "the tunnel after heal")
    deadline = time.monotonic() + HOLD + 30
    ticks = 0
    while not set(beta.lans) <= routed_lans(alpha):
        assert time.monotonic() < deadline, f"beta not restored after {ticks} ticks"
        tick(alpha, bundle)
        ticks += 1
    assert ticks >= RISE  # hysteresis: never sooner


def test_routes_that_disagree_with_the_state_are_put_right_on_the_next_tick(mesh):
    """What a tick killed between saving its state and applying it leaves behind (or
    anyone adding or deleting our routes by hand): the next tick makes the kernel agree."""
    alpha, beta, gamma = withdraw_beta_from_alpha(mesh)
    alpha.ip("route", "add", beta.lans[0], "dev", "wg0", "proto", "0x57", "scope", "global")
    mesh.tick(alpha)
    assert routed_lans(alpha) == set(gamma.lans)  # withdrawn again

    heal_and_restore(mesh, alpha, beta, mesh.bundles[alpha.fqdn])
    assert routed_lans(alpha) == set(beta.lans + gamma.lans)
    alpha.ip("route", "del", gamma.lans[0], "dev", "wg0")
    mesh.tick(alpha)
    assert routed_lans(alpha) == set(beta.lans + gamma.lans)  # restored again


def test_a_tick_killed_at_a_random_moment_the_next_ticks_behave(mesh):
    alpha, beta, gamma = mesh.routers
    bundle = mesh.bundles[alpha.fqdn]
    seed = random.randrange(1 << 30)
    moment = random.Random(seed).uniform(0.0, FAST["probe_timeout"] + 1.0)
    print(f"killing the withdrawing tick after {moment:.2f} s (seed {seed})")
    mesh.lab.cut(alpha, beta)
    for _ in range(FALL - 1):
        mesh.tick(alpha)
    argv = [sys.executable, "-m", "router_wg", "--root", alpha.root, "check", "--conf-dir", bundle]
    killed = alpha.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(moment)  # not a wait: the random moment of the kill is what is tested
    killed.send_signal(signal.SIGKILL)  # `ip netns exec` and `sh` exec'd: this is python
    killed.communicate()
    # the killed tick may or may not have counted: at most one more tick than usual
    for _ in range(2):
        done = tick(alpha, bundle)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert routed_lans(alpha) == set(gamma.lans)
    saved = json.loads(state_file(alpha).read_text())
    assert saved["peers"][beta.fqdn]["withdrawn"] is True
    assert saved["peers"][gamma.fqdn]["withdrawn"] is False
    assert not list(state_file(alpha).parent.glob(".watchdog.json*"))  # no temp file left


@pytest.mark.parametrize("garbage", [b"\0\xff{not json", b'{"version": 1, "peers": []}'])
def test_a_corrupt_state_file_is_rebuilt_from_the_kernel(mesh, garbage):
    alpha, beta, gamma = withdraw_beta_from_alpha(mesh)
    bundle = mesh.bundles[alpha.fqdn]
    state_file(alpha).write_bytes(garbage)
    done = tick(alpha, bundle)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    # beta's routes are gone from the kernel: it stays withdrawn; gamma stays healthy
    assert routed_lans(alpha) == set(gamma.lans)
    saved = json.loads(state_file(alpha).read_text())
    assert {name: peer["withdrawn"] for name, peer in saved["peers"].items()} == {
        beta.fqdn: True,
        gamma.fqdn: False,
    }
    heal_and_restore(mesh, alpha, beta, bundle)
    assert routed_lans(alpha) == set(beta.lans + gamma.lans)
