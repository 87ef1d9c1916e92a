"""Per-peer health with hysteresis and a growing hold-down. Pure: plain data in and out.

A peer's LAN routes are withdrawn after `fall` consecutive failed probes (or ticks) and
restored after `rise` consecutive good ones. Withdrawing is never held back: keeping routes
on a dead link loses traffic, while the fallback loses none. Restoring is: not sooner than
`hold_down` seconds after the withdrawal. A withdrawal that comes within two hold-downs of
the previous change doubles the hold-down (up to `MAX_HOLD_DOWN_FACTOR` times the base); a
peer that stays put that long gets the base value back. So a flapping link comes back to
WireGuard at most once per hold-down, and less and less often while it flaps. A peer that
never answered since the state began (a router still booting, say) has nothing to flap
from: it comes back as soon as it answers `rise` times.

Time is a monotonic clock (seconds since boot), never the wall clock: a router that boots
at 1970 and steps to today when NTP answers must not look like it has been dead for decades.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

MAX_HOLD_DOWN_FACTOR = 8


@dataclass(frozen=True)
class Thresholds:
    fall: int  # failed ticks in a row before withdrawing
    rise: int  # good ticks in a row before restoring
    hold_down: float  # seconds, the base minimum time between two changes of one peer


@dataclass(frozen=True)
class PeerHealth:
    withdrawn: bool = False
    streak: int = 0  # ticks in a row that disagree with the current state
    changed_at: float | None = None  # monotonic time of the last route change
    hold_down: float | None = None  # current hold-down; None until the first change
    answered: bool = False  # it answered at least once since the state began

    def describe(self, thresholds: Thresholds, now: float | None = None, unit="ticks") -> str:
        """What `show` prints; `now` is the same monotonic clock as `changed_at`; `unit` is
        what the thresholds count: the cron tick's "ticks", the watcher's "probes"."""
        if self.withdrawn:
            since = (
                "since before this boot's first verdict"
                if self.changed_at is None or now is None
                else f"since {max(0.0, now - self.changed_at):.0f} s ago"
            )
            good = "good ticks" if unit == "ticks" else "answered probes"
            return f"withdrawn {since}, {self.streak} of {thresholds.rise} {good} to restore"
        if self.streak:
            bad = "failed ticks" if unit == "ticks" else "lost probes"
            return f"failing, {self.streak} of {thresholds.fall} {bad} to withdraw"
        return "healthy"


@dataclass(frozen=True)
class Change:
    """A decision to move a peer's LAN routes, with the reason for the log."""

    peer: str
    withdraw: bool  # True: to the fallback; False: back onto WireGuard
    reason: str
    previous_state_seconds: float | None  # how long the peer was in its previous state

    def describe(self) -> str:
        """The syslog line: what moved, why, and how long the peer was in its previous state."""
        seconds = self.previous_state_seconds
        before = "since the watchdog started" if seconds is None else f"for {seconds:.0f} s"
        if self.withdraw:
            what, previous = "routes withdrawn, traffic goes to the fallback", "on WireGuard"
        else:
            what, previous = "routes restored, traffic back on WireGuard", "withdrawn"
        return f"{self.peer}: {what} ({self.reason}; was {previous} {before})"


def step(
    health: PeerHealth, probe_ok: bool, now: float, thresholds: Thresholds
) -> tuple[PeerHealth, bool]:
    """One tick for one peer: its new health, and whether its routes change now."""
    if probe_ok and not health.answered:
        health = replace(health, answered=True)
    agrees = probe_ok != health.withdrawn  # a good probe agrees with routes in place
    if agrees:
        return replace(health, streak=0), False
    streak = health.streak + 1
    needed = thresholds.rise if health.withdrawn else thresholds.fall
    held = (
        health.withdrawn
        and health.changed_at is not None
        and now - health.changed_at < _hold(health, thresholds)
    )
    if streak < needed or held:
        return replace(health, streak=min(streak, needed)), False
    withdrawing = not health.withdrawn
    return (
        PeerHealth(
            withdrawn=withdrawing,
            streak=0,
            changed_at=now,
            # a peer that never answered has no flap to damp: back as soon as it answers
            hold_down=_next_hold(health, now, thresholds) if health.answered else 0.0,
            answered=health.answered,
        ),
        True,
    )


def _hold(health: PeerHealth, thresholds: Thresholds) -> float:
    return health.hold_down if health.hold_down is not None else thresholds.hold_down


def _next_hold(health: PeerHealth, now: float, thresholds: Thresholds) -> float:
    """Double the hold-down while the peer keeps flapping; back to base once it was stable."""
    if health.changed_at is None or not health.hold_down:
        return thresholds.hold_down
    current = _hold(health, thresholds)
    if now - health.changed_at < 2 * current:
        return min(current * 2, thresholds.hold_down * MAX_HOLD_DOWN_FACTOR)
    return thresholds.hold_down


def decide(
    peers: dict[str, PeerHealth],
    probes: dict[str, bool],
    now: float,
    thresholds: Thresholds,
    uplink_up: bool,
) -> tuple[dict[str, PeerHealth], list[Change]]:
    """One tick for all peers. Without an uplink nothing is withdrawn: every peer would
    look dead, and the fallback rides the same uplink anyway; restoring still happens."""
    new_peers: dict[str, PeerHealth] = {}
    changes: list[Change] = []
    for name, probe_ok in probes.items():
        before = peers.get(name, PeerHealth())
        if not uplink_up and not probe_ok and not before.withdrawn:
            new_peers[name] = before
            continue
        after, changed = step(before, probe_ok, now, thresholds)
        new_peers[name] = after
        if changed:
            since = now - before.changed_at if before.changed_at is not None else None
            reason = (
                f"no answer through the tunnel for {thresholds.fall} ticks"
                if after.withdrawn
                else f"answering through the tunnel again for {thresholds.rise} ticks"
            )
            changes.append(Change(name, after.withdrawn, reason, since))
    return new_peers, changes
