"""Hysteresis and hold-down: what decides when a peer's routes move."""

import random

import pytest

from router_wg.watchdog.health import MAX_HOLD_DOWN_FACTOR, PeerHealth, Thresholds, decide

T = Thresholds(fall=3, rise=2, hold_down=100.0)


HEALTHY = PeerHealth()


def run(ticks, start=HEALTHY, period=60.0, uplink=True):
    """Feed one peer's probe results, one per tick; return the times its routes changed."""
    health, changes = {"beta": start}, []
    for i, ok in enumerate(ticks):
        health, changed = decide(health, {"beta": ok}, i * period, T, uplink)
        changes += [(i, c.withdraw) for c in changed]
    return health["beta"], changes


def test_dead_peer_is_withdrawn_after_fall_ticks_not_before():
    health, changes = run([False, False, False])
    assert changes == [(2, True)]
    assert health.withdrawn


def test_one_good_tick_resets_the_count():
    _, changes = run([False, False, True, False, False, True])
    assert changes == []


def test_restored_after_rise_good_ticks_once_hold_down_passed():
    health, changes = run([False] * 3 + [True] * 3, period=60.0)
    # withdrawn at tick 2 (t=120); good at 3, 4 -> rise reached at t=240 >= 120 + 100
    assert changes == [(2, True), (4, False)]
    assert not health.withdrawn


def test_hold_down_delays_restoring_a_peer_that_just_moved():
    _, changes = run([False] * 3 + [True] * 10, period=10.0)
    # withdrawn at t=20; rise would allow t=40, hold-down allows t=120 (tick 12)
    assert changes == [(2, True), (12, False)]


def lossy(seed, failure_rate, count=400):
    chance = random.Random(seed)
    return [chance.random() >= failure_rate for _ in range(count)]


@pytest.mark.parametrize(
    "ticks",
    [[False] * 3 + [True] * 2, [False] * 5 + [True] * 5, lossy(1, 0.5), lossy(2, 0.7)],
    ids=["flap-5-ticks", "flap-10-ticks", "loss-50%", "loss-70%"],
)
def test_flapping_changes_at_most_once_per_hold_down(ticks):
    ticks = (ticks * 400)[:400]
    period = 5.0
    _, changes = run(ticks, period=period)
    times = [i * period for i, _ in changes]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(changes) >= 2  # the pattern does move the routes...
    assert all(gap >= T.hold_down for gap in gaps)  # ...but never faster than the hold-down


def test_hold_down_grows_while_flapping_and_is_capped():
    _, changes = run(([False] * 3 + [True] * 2) * 100, period=10.0)
    times = [i * 10.0 for i, _ in changes]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps[-1] > gaps[0]
    assert max(gaps) <= T.hold_down * MAX_HOLD_DOWN_FACTOR + 5 * 10.0


def test_no_uplink_withdraws_nobody_but_still_restores():
    health, changes = run([False] * 10, uplink=False)
    assert changes == [] and not health.withdrawn
    withdrawn = PeerHealth(withdrawn=True, changed_at=-1000.0)
    health, changes = run([True, True], start=withdrawn, uplink=False)
    assert changes == [(1, False)]


def test_describe_says_how_far_along_a_peer_is():
    assert PeerHealth().describe(T) == "healthy"
    assert PeerHealth(streak=2).describe(T) == "failing, 2 of 3 failed ticks to withdraw"
    assert "withdrawn" in PeerHealth(withdrawn=True).describe(T)
