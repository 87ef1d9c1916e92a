"""The prober's pacing and outcomes, on synthetic time: links that answer, lose, lag or die."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from itertools import pairwise

import pytest

from router_wg.watchdog.pacing import LATE_MEMORY, MAX_OUTSTANDING, Pace, PeerPace

PACE = Pace()  # the defaults the watcher uses
FALL = 15  # the watcher's fall: lost outcomes in a row that withdraw a peer
QUICK = 0.01  # round trip of a healthy link
# round trip of the probe with this seq sent at this time; None: no reply ever comes
Link = Callable[[int, float], float | None]


def simulate(link: Link, seconds: float, start: float = 0.0, peer: PeerPace | None = None):
    """Drive one peer through `seconds` of event time as the prober does (replies read, then
    probes expired, then due probes sent): its outcomes [(time, answered)] and send times."""
    peer = peer or PeerPace(PACE, start)
    in_flight: list[tuple[float, int]] = []  # (arrival, seq)
    outcomes, sends, seq, now = [], [], 0, start
    while now < start + seconds:
        while in_flight and in_flight[0][0] <= now:
            if peer.reply(heapq.heappop(in_flight)[1]):
                outcomes.append((now, True))
        if peer.expires <= now:
            outcomes += [(now, False)] * peer.expire(now)
        if peer.due <= now:
            seq = (seq + 1) & 0xFFFF
            peer.sent(seq, now)
            sends.append(now)
            assert peer.due > now, "a probe just sent must not be due again at once"
            round_trip = link(seq, now)
            if round_trip is not None:
                heapq.heappush(in_flight, (now + round_trip, seq))
        now = min(peer.deadline, in_flight[0][0] if in_flight else math.inf)
    return outcomes, sends


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 6) for a, b in pairwise(times)]


def longest_loss_run(outcomes) -> int:
    longest = run = 0
    for _, answered in outcomes:
        run = 0 if answered else run + 1
        longest = max(longest, run)
    return longest


def test_a_peer_that_answers_is_probed_every_interval():
    outcomes, sends = simulate(lambda seq, sent: QUICK, 10.0, start=0.2)
    assert set(gaps(sends[1:])) == {PACE.interval}
    assert len(outcomes) == len(sends)
    assert all(answered for _, answered in outcomes)


def test_peers_that_started_apart_share_their_idle_rounds():
    _, first = simulate(lambda seq, sent: QUICK, 3.2, start=0.0)
    _, second = simulate(lambda seq, sent: QUICK, 3.07, start=0.13)
    assert first[1:] == second[1:]


def test_a_lost_probe_brings_the_fast_pace_until_an_answer_then_the_idle_pace_again():
    dropped = {3, 4, 5}  # the idle probe at 1.0 and the first two fast ones
    outcomes, sends = simulate(lambda seq, sent: None if seq in dropped else QUICK, 2.6)
    # 1.3: seq 3 lost, fast probes until seq 6 is answered at 1.41, then the idle grid; the
    # losses of seqs 4 and 5 (1.6, 1.65) bring one fast probe each, answered at once
    expected = [0.0, 0.5, 1.0, 1.3, 1.35, 1.4, 1.5, 1.6, 1.65, 2.0, 2.5]
    assert sends == pytest.approx(expected)
    assert [answered for _, answered in outcomes] == [1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1]


def test_a_late_reply_is_an_answer_and_a_duplicate_or_stray_one_is_nothing():
    peer = PeerPace(PACE, 0.0)
    peer.sent(7, 0.0)
    assert peer.expire(0.29) == 0
    assert peer.expire(0.3) == 1
    assert peer.fast and peer.due <= 0.3
    assert peer.reply(7) is True  # late: the peer is alive
    assert not peer.fast
    assert peer.reply(7) is False  # the same reply again
    assert peer.reply(8) is False  # never sent
    peer.sent(9, 0.5)
    assert peer.reply(9) is True
    assert peer.reply(9) is False
    assert peer.expire(10.0) == 0  # answered probes are never lost afterwards


def test_every_other_probe_lost_never_gives_two_losses_in_a_row():
    outcomes, _ = simulate(lambda seq, sent: QUICK if seq % 2 else None, 60.0)
    assert {answered for _, answered in outcomes} == {True, False}
    assert longest_loss_run(outcomes) == 1


def test_a_lossy_link_never_loses_fall_probes_in_a_row_in_ten_minutes():
    """20 % loss each way (the lab's lossy link): 36 % of round trips lost."""
    rng = random.Random(20261204)

    def lossy(seq, sent):
        lost = rng.random() < 0.2 or rng.random() < 0.2
        return None if lost else QUICK + rng.random() * 0.05

    outcomes, _ = simulate(lossy, 600.0)
    lost = sum(1 for _, answered in outcomes if not answered)
    assert 0.3 < lost / len(outcomes) < 0.42
    assert longest_loss_run(outcomes) < FALL


@pytest.mark.parametrize("round_trip", [0.31, 0.6, PACE.reply_wait + (FALL - 1) * 0.05])
def test_a_slow_link_is_never_lost_fall_times_in_a_row(round_trip):
    outcomes, _ = simulate(lambda seq, sent: round_trip, 120.0)
    assert any(not answered for _, answered in outcomes)  # every probe is late...
    assert longest_loss_run(outcomes) < FALL  # ...and late answers break every run


def test_detection_after_a_cut_at_any_phase():
    fastest = 2 * PACE.reply_wait + (FALL - 2) * PACE.fast_interval
    slowest = PACE.interval + fastest
    detections = []
    for step in range(50):
        cut = 10.0 + step * PACE.interval / 50

        def cut_link(seq, sent, cut=cut):
            return QUICK if sent + QUICK < cut else None

        outcomes, _ = simulate(cut_link, 15.0)
        losses = [t for t, answered in outcomes if not answered]
        assert len(losses) >= FALL and all(t > cut for t in losses)
        detections.append(losses[FALL - 1] - cut)
    # a probe sent up to one round trip before the cut loses its reply in flight
    assert all(fastest - QUICK <= d <= slowest + 1e-9 for d in detections)
    # the sweep reaches both ends
    assert min(detections) < fastest + 0.02 and max(detections) > slowest - 0.02


def test_a_dead_peer_is_probed_fast_until_fall_losses_then_at_the_idle_pace():
    outcomes, sends = simulate(lambda seq, sent: None, 10.0)
    assert not any(answered for _, answered in outcomes)
    fall_reached = outcomes[FALL - 1][0]
    fast = [t for t in sends[1:] if t < fall_reached]  # the first lost one was an idle probe
    idle = [t for t in sends if t >= fall_reached]
    assert len(fast) >= FALL - 1 and set(gaps(fast)) == {PACE.fast_interval}
    assert idle[0] - fall_reached <= PACE.interval and set(gaps(idle)) == {PACE.interval}


def test_memory_stays_bounded_over_a_day_of_a_dead_peer():
    peer = PeerPace(PACE, 0.0)
    outcomes, sends = simulate(lambda seq, sent: None, 86400.0, peer=peer)
    assert len(sends) > 86400 / PACE.interval - 10
    assert len(outcomes) == len(sends) - peer.outstanding
    assert peer.outstanding <= 1
    assert peer.remembered_lost == LATE_MEMORY


def test_sends_that_outrun_expiry_are_capped_and_every_probe_still_has_one_outcome():
    peer = PeerPace(PACE, 0.0)
    for seq in range(MAX_OUTSTANDING + 4):
        peer.sent(seq, seq * 0.001)
    assert peer.outstanding == MAX_OUTSTANDING
    assert peer.expires <= 0.02  # the overdue ones want expiring now
    assert peer.expire(0.02) == 4
    assert peer.expire(1.0) == MAX_OUTSTANDING


@pytest.mark.parametrize(
    "settings",
    [{"fast_interval": 1.0}, {"fast_interval": 0}, {"reply_wait": 0}, {"fast_losses": 0}],
)
def test_a_pace_that_makes_no_sense_is_refused(settings):
    with pytest.raises(ValueError, match="pace"):
        Pace(**settings)
