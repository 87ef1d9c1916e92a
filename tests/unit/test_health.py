"""Hysteresis and hold-down: what decides when a peer's routes move."""

import random

import pytest

from router_wg.watchdog.health import MAX_HOLD_DOWN_FACTOR, PeerHealth, Thresholds, decide

T = Thresholds(fall=3, rise=2, hold_down=100.0)


HEALTHY = PeerHealth(answered=True)  # a peer that answered before: its flaps are damped


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
def test_flapping_comes_back_at_most_once_per_hold_down_and_withdraws_at_once(ticks):
    ticks = (ticks * 400)[:400]
    period = 5.0
    _, changes = run(ticks, period=period)
    assert len(changes) >= 2  # the pattern does move the routes...
    withdrawals = [i for i, withdraw in changes if withdraw]
    restores = [i for i, withdraw in changes if not withdraw]
    for before, after in zip(withdrawals, restores, strict=False):
        assert (after - before) * period >= T.hold_down  # ...back only after the hold-down...
    for i in withdrawals:  # ...and away from a dead link as soon as fall ticks failed
        assert ticks[i - T.fall + 1 : i + 1] == [False] * T.fall


def test_a_dead_link_is_withdrawn_at_once_even_just_after_coming_back():
    # withdrawn at tick 2, back at tick 12 (hold-down 100 s), dead again at once
    _, changes = run([False] * 3 + [True] * 10 + [False] * 3, period=10.0)
    assert changes == [(2, True), (12, False), (15, True)]


def test_a_peer_that_never_answered_comes_back_without_a_hold_down():
    # a router still booting: withdrawn, then up: back after rise ticks, not the hold-down
    health, changes = run([False] * 3 + [True] * 2, start=PeerHealth(), period=10.0)
    assert changes == [(2, True), (4, False)] and health.answered
    # after that it has answered: its next flap is damped as any
    _, changes = run([False] * 3 + [True] * 2, start=health, period=10.0)
    assert changes == [(2, True)]


def test_hold_down_grows_while_flapping_and_is_capped():
    _, changes = run(([False] * 3 + [True] * 2) * 100, period=10.0)
    withdrawals = [i * 10.0 for i, withdraw in changes if withdraw]
    restores = [i * 10.0 for i, withdraw in changes if not withdraw]
    held = [back - away for away, back in zip(withdrawals, restores, strict=False)]
    assert held[-1] > held[0] >= T.hold_down  # each time on the fallback longer...
    assert max(held) <= T.hold_down * MAX_HOLD_DOWN_FACTOR + 5 * 10.0  # ...up to the cap


def test_no_uplink_withdraws_nobody_but_still_restores():
    health, changes = run([False] * 10, uplink=False)
    assert changes == [] and not health.withdrawn
    withdrawn = PeerHealth(withdrawn=True, changed_at=-1000.0, answered=True)
    health, changes = run([True, True], start=withdrawn, uplink=False)
    assert changes == [(1, False)]


def test_describe_says_how_far_along_a_peer_is():
    assert PeerHealth().describe(T) == "healthy"
    assert PeerHealth(streak=2).describe(T) == "failing, 2 of 3 failed ticks to withdraw"
    assert "withdrawn" in PeerHealth(withdrawn=True).describe(T)
