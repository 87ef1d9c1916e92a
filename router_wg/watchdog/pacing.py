"""When to probe each peer, and what became of each probe. Pure: the times are passed in.

The resident watcher probes every peer's tunnel address (watchdog/prober.py does the I/O).
Per peer, this module says when the next echo is due and turns sends, replies and the passing
of time into outcomes, True (answered) or False (lost), in the order they occur:

- a peer whose last outcome was an answer is probed every `interval`;
- a probe with no reply after `reply_wait` is lost; after a loss the peer is probed every
  `fast_interval` until an answer comes, or until `fast_losses` losses in a row: by then the
  watcher has withdrawn it, probing a dead peer fast gains nothing, and with the uplink down
  every peer is dead (20 probes a second each would be most of a router's CPU);
- a reply to a probe already counted lost (a late reply, recognised among the peer's last
  LATE_MEMORY lost sequence numbers) is an answer too: the peer is alive, only slow;
- a duplicate reply, or one whose sequence number the peer does not know, is nothing.

Whether a reply is on time is decided by the order of calls: a reply handed to `reply` before
`expire` passed its probe's deadline is an answer (the prober reads replies before expiring).

Idle probes fall on multiples of `interval`, fast ones on multiples of `fast_interval`, in
monotonic time: peers share send rounds, so the prober wakes once per round, not per peer.

Detection after a cut: the first idle probe after it (within `interval`) is lost `reply_wait`
after it was sent; fast probes follow at once, 13 more are sent `fast_interval` apart and the
last is lost `reply_wait` later. The 15th loss in a row comes 2 x reply_wait + 13 x
fast_interval after that first probe: 1.25 to 1.75 s after the cut at the defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LATE_MEMORY = 32  # lost probes per peer whose late replies still count (1.6 s of fast probes)
MAX_OUTSTANDING = 16  # unanswered probes per peer; the defaults never have more than 7


@dataclass(frozen=True)
class Pace:
    interval: float = 0.5  # seconds between probes of a peer that answers
    fast_interval: float = 0.05  # seconds between probes of a peer that just lost one
    reply_wait: float = 0.3  # seconds before an unanswered probe is lost
    fast_losses: int = 15  # losses in a row after which fast probing stops (the watcher's fall)

    def __post_init__(self) -> None:
        if not 0 < self.fast_interval <= self.interval:
            raise ValueError("pace: need 0 < fast_interval <= interval")
        if self.reply_wait <= 0 or self.fast_losses < 1:
            raise ValueError("pace: need reply_wait > 0 and fast_losses >= 1")


def next_on_grid(after: float, step: float, guard: float) -> float:
    """The first multiple of `step` later than `after + guard`. The guard keeps a send made on
    a grid point, a hair before or after it (float rounding, wakeup latency), from being due
    again at that same point."""
    return (math.floor((after + guard) / step) + 1) * step


class PeerPace:
    """One peer's probes. `due`: when the next probe should be sent; `expires`: when the
    oldest unanswered one is lost (inf when none is); both monotonic seconds."""

    __slots__ = (
        "pace",
        "due",
        "expires",
        "losses_in_a_row",
        "_last_sent",
        "_sent",
        "_lost",
        "_overdue",
    )

    def __init__(self, pace: Pace, now: float) -> None:
        self.pace = pace
        self.due = now  # a new peer is probed at once
        self.expires = math.inf
        self.losses_in_a_row = 0
        self._last_sent = now
        self._sent: dict[int, float] = {}  # unanswered probes, seq -> send time, oldest first
        self._lost: dict[int, None] = {}  # recently lost seqs, oldest first (an ordered set)
        self._overdue = 0  # probes pushed out of `_sent` by the cap, lost at the next expire

    @property
    def fast(self) -> bool:
        return 0 < self.losses_in_a_row < self.pace.fast_losses

    @property
    def deadline(self) -> float:
        """When this peer next needs attention: a probe to send or one to count lost."""
        return min(self.due, self.expires)

    @property
    def outstanding(self) -> int:
        return len(self._sent)

    @property
    def remembered_lost(self) -> int:
        return len(self._lost)

    def sent(self, seq: int, now: float) -> None:
        """A probe with sequence number `seq` went out at `now`."""
        sent = self._sent
        if len(sent) >= MAX_OUTSTANDING:  # only when sends outrun reply_wait without expire
            oldest = next(iter(sent))
            del sent[oldest]
            self._remember_lost(oldest)
            self._overdue += 1
        sent.pop(seq, None)  # a reused seq (after 65536 rounds) goes to the end, as new
        self._lost.pop(seq, None)
        sent[seq] = self._last_sent = now
        self._schedule()
        self._refresh_expiry()

    def reply(self, seq: int) -> bool:
        """A reply to `seq` came from this peer: True when it is an answered outcome (on time
        or late), False when it is nothing (a duplicate, or a seq this peer does not know)."""
        if self._sent.pop(seq, None) is not None:
            self._refresh_expiry()
        elif seq in self._lost:
            del self._lost[seq]
        else:
            return False
        if self.losses_in_a_row:
            self.losses_in_a_row = 0
            self._schedule()
        return True

    def expire(self, now: float) -> int:
        """Count the probes unanswered `reply_wait` after they were sent: how many were lost."""
        lost, self._overdue = self._overdue, 0
        sent, reply_wait = self._sent, self.pace.reply_wait
        while sent:
            seq = next(iter(sent))
            if sent[seq] + reply_wait > now:  # the same sum as `expires`: no rounding apart
                break
            del sent[seq]
            self._remember_lost(seq)
            lost += 1
        if lost:
            self.losses_in_a_row += lost
            self._schedule()
            self._refresh_expiry()
        return lost

    def _remember_lost(self, seq: int) -> None:
        self._lost[seq] = None
        if len(self._lost) > LATE_MEMORY:
            del self._lost[next(iter(self._lost))]

    def _schedule(self) -> None:
        step = self.pace.fast_interval if self.fast else self.pace.interval
        self.due = next_on_grid(self._last_sent, step, self.pace.fast_interval / 2)

    def _refresh_expiry(self) -> None:
        if self._overdue:
            self.expires = self._last_sent  # already lost: count them at the next expire
            return
        oldest = next(iter(self._sent.values()), None)
        self.expires = math.inf if oldest is None else oldest + self.pace.reply_wait
