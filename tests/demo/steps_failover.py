"""Steps 5-7: one link cut and its traffic moved to tinc by the watchdog's cron ticks, the
link healed and the traffic back on WireGuard, then `stop` and nothing of router-wg left."""

from __future__ import annotations

import time

from demo.checks import PING_COUNT, device_towards, leftovers, on_each, ping_counted, wait_until
from demo.narrate import expect

SLACK = 30.0  # s beyond what the thresholds need, for slow ticks under emulation


class Ticker:
    """Runs the watchdog's crontab command on every router at once, as each router's cron
    would, and prints one line per tick round (every round, or only on change)."""

    def __init__(self, demo, only_changes: bool = False):
        self.demo = demo
        self.only_changes = only_changes
        self.started = time.monotonic()
        self.last_view = ""
        self.rounds = 0

    def __call__(self, n: int) -> None:
        self.rounds = n
        demo = self.demo
        done = on_each(demo.routers, lambda r: demo.installed[r].run_cron_command(demo.cron[r]))
        events = []
        for r, result in zip(demo.routers, done, strict=True):
            expect(result.returncode == 0, f"{r.label}: check exited {result.returncode}")
            # no syslogd in the lab: check's state-change lines go to stderr (see events.py)
            events += [f"{r.label}: {x}" for x in result.stderr.splitlines() if "router-wg" in x]
        view = paths_view(demo)
        elapsed = time.monotonic() - self.started
        if not self.only_changes or view != self.last_view or events or n % 10 == 0:
            demo.narrator.say(f"tick {n:>2} (+{elapsed:5.1f} s): {view}")
        for line in events:
            demo.narrator.output(line)
        self.last_view = view


def paths_view(demo) -> str:
    """Which interface each link's traffic leaves by now, e.g. `alpha->beta tinc`."""
    alpha, beta, gamma = demo.routers
    pairs = ((alpha, beta), (beta, alpha), (alpha, gamma))
    return ", ".join(
        f"{a.label}->{b.label} {device_towards(a, b.lan_host_address)}" for a, b in pairs
    )


def both_ways_on(demo, device: str) -> bool:
    alpha, beta, _ = demo.routers
    return (
        device_towards(alpha, beta.lan_host_address) == device
        and device_towards(beta, alpha.lan_host_address) == device
    )


def _tick_time(demo) -> float:
    """How long a round may take: the tick interval, or a probe timing out, whichever is more."""
    return max(demo.options.tick_every, demo.watchdog.probe_timeout + 1)


def failover(demo) -> None:
    say = demo.narrator
    alpha, beta, gamma = demo.routers
    with say.step(
        5,
        "cut alpha<->beta: the watchdog moves it to tinc",
        "a dead WireGuard link's traffic falls back to tinc; the other links stay on wg0",
    ):
        say.command(
            "transit", f"(drop UDP between {alpha.label} and {beta.label}, except tinc's 655)"
        )
        demo.lab.cut(alpha, beta)
        say.say(
            f"every {demo.options.tick_every:g} s (cron: every 60 s), each router runs its "
            "crontab's command:"
        )
        say.command("cron", demo.cron[alpha])
        fall = demo.watchdog.fall
        bound = (fall + 2) * _tick_time(demo) + SLACK
        ticker = Ticker(demo)
        moved = wait_until(
            lambda: both_ways_on(demo, "tinc"), bound, demo.options.tick_every, ticker
        )
        expect(moved, f"alpha<->beta still not on tinc after {ticker.rounds} ticks ({bound:.0f} s)")
        say.say(f"withdrawn after {ticker.rounds} ticks (fall = {fall}): tinc's wide route wins")
        _ping_via(demo, alpha, beta, "tinc", "wg0")
        _ping_via(demo, alpha, gamma, "wg0", "tinc")
        say.command(alpha.label, "/jffs/router-wg/router-wg.sh show")
        shown = demo.installed[alpha].run("show")
        say.output(shown.stdout)
        expect(shown.returncode == 0, f"show exited {shown.returncode}: {shown.stderr}")
        say.ok("alpha<->beta rides tinc, alpha<->gamma still WireGuard")


def failback(demo) -> None:
    say = demo.narrator
    alpha, beta, _ = demo.routers
    with say.step(
        6,
        "heal alpha<->beta: the traffic comes back",
        "once the link answers again, its routes (and traffic) return to WireGuard",
    ):
        if demo.options.no_heal:
            say.say("--no-heal: the link stays cut, so this step must fail")
        else:
            say.command("transit", f"(remove the drop between {alpha.label} and {beta.label})")
            demo.lab.heal(alpha, beta)
        w = demo.watchdog
        say.say(
            f"the watchdog keeps moved routes for at least hold_down = {w.hold_down} s "
            f"(wg.conf [watchdog]), then restores them after rise = {w.rise} good ticks"
        )
        bound = w.hold_down + (w.rise + 2) * _tick_time(demo) + SLACK
        ticker = Ticker(demo, only_changes=True)
        back = wait_until(lambda: both_ways_on(demo, "wg0"), bound, demo.options.tick_every, ticker)
        expect(
            back,
            f"alpha<->beta not back on wg0 within {bound:.0f} s ({ticker.rounds} ticks): "
            f"{paths_view(demo)}",
        )
        say.say(f"restored after {ticker.rounds} ticks ({time.monotonic() - ticker.started:.0f} s)")
        _ping_via(demo, alpha, beta, "wg0", "tinc")
        say.ok("alpha<->beta is back on WireGuard")


def _ping_via(demo, source, target, device: str, not_device: str) -> None:
    say = demo.narrator
    say.command(f"{source.label}-host", f"ping -c {PING_COUNT} {target.lan_host_address}")
    traffic = ping_counted(source, target)
    say.output(f"{traffic.received}/{traffic.sent} answered")
    say.output(traffic.describe(source.label))
    expect(traffic.received == traffic.sent, f"{target.label}'s LAN host did not answer")
    expect(traffic.carried_by(device), f"the echoes to {target.label} did not cross {device}")
    expect(not traffic.carried_by(not_device), f"the echoes to {target.label} crossed {not_device}")


def stop(demo) -> None:
    say = demo.narrator
    with say.step(
        7, "stop on every router", "stop removes everything router-wg added, and only that"
    ):
        for r in demo.routers:
            say.command(r.label, "/jffs/router-wg/router-wg.sh stop")
        done = on_each(demo.routers, lambda r: demo.installed[r].run("stop"))
        for r, result in zip(demo.routers, done, strict=True):
            expect(result.returncode == 0, f"{r.label}: stop exited {result.returncode}")
        say.say("then, on each router, with the system's own tools:")
        say.command("router", "ip -j link; ip route show table all proto 0x57")
        say.command("router", f"{demo.iptables}-save | grep RWG_; cat /etc/crontabs/root")
        say.command("router", "ip netns pids <router>   (any process but the lab's tincd)")
        for r in demo.routers:
            left = leftovers(r, demo.installed[r], demo.iptables)
            say.output(f"{r.label}: " + ("; ".join(left) if left else "nothing of router-wg's"))
            expect(not left, f"{r.label} still has: {'; '.join(left)}")
        say.ok("no wg0, no route of proto 0x57, no RWG_ chain, no cron line, no daemon left")


STEPS = (failover, failback, stop)
