"""Steps 5-7: one link cut and its traffic moved to tinc by the routers' watchers within
seconds, the link healed and the traffic back on WireGuard after the hold-down, then `stop`
and nothing of router-wg left."""

from __future__ import annotations

import time

from lab.syslog import SyslogListener

from demo.checks import (
    device_towards,
    leftovers,
    on_each,
    ping_counted,
    ping_line,
    wait_until,
)
from demo.narrate import expect

SLACK = 30.0  # s beyond what the thresholds need, for a slow machine under emulation
EVERY = 0.1  # s between looks at the routes


class Watching:
    """Looks at which way each link's traffic goes every EVERY s, and says so whenever it
    changes (and once a second while waiting), with what the watchers told syslog."""

    def __init__(self, demo):
        self.demo = demo
        self.started = time.monotonic()
        self.last_view, self.last_said = "", 0.0
        self.listeners = [SyslogListener(r) for r in demo.routers]

    def __call__(self, n: int) -> None:
        view = paths_view(self.demo)
        elapsed = time.monotonic() - self.started
        if view != self.last_view or elapsed - self.last_said >= 1.0:
            self.demo.narrator.say(f"+{elapsed:5.1f} s: {view}")
            self.last_view, self.last_said = view, elapsed
        for router, listener in zip(self.demo.routers, self.listeners, strict=True):
            for line in listener.lines():
                self.demo.narrator.output(f"{router.label} syslog: {line.split('>', 1)[-1]}")

    def close(self) -> float:
        self(0)
        for listener in self.listeners:
            listener.close()
        return time.monotonic() - self.started


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


def failover(demo) -> None:
    say = demo.narrator
    alpha, beta, gamma = demo.routers
    w = demo.watchdog
    with say.step(
        5,
        "cut alpha<->beta: the watchers move it to tinc",
        "a dead WireGuard link's traffic falls back to tinc within seconds; the others stay",
    ):
        say.say(
            f"each router's watcher probes every peer through the tunnel every "
            f"{w.probe_interval:g} s, 20 a second once one is lost; {w.lost_probes} lost in a "
            "row withdraw that peer's routes"
        )
        say.command(
            "transit", f"(drop UDP between {alpha.label} and {beta.label}, except tinc's 655)"
        )
        watching = Watching(demo)
        demo.lab.cut(alpha, beta)
        try:
            moved = wait_until(lambda: both_ways_on(demo, "tinc"), 3 + SLACK, EVERY, watching)
        finally:
            took = watching.close()
        expect(moved, f"alpha<->beta still not on tinc {took:.0f} s after the cut")
        say.say(f"both ways on tinc {took:.1f} s after the cut: tinc's wide route wins")
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
            f"the watchers keep moved routes for at least hold_down = {w.hold_down} s "
            f"(wg.conf [watchdog]), then restore them after {w.answered_probes} answered probes"
        )
        bound = w.hold_down + 3 + SLACK
        watching = Watching(demo)
        try:
            back = wait_until(lambda: both_ways_on(demo, "wg0"), bound, EVERY, watching)
        finally:
            took = watching.close()
        expect(back, f"alpha<->beta not back on wg0 within {bound:.0f} s: {paths_view(demo)}")
        say.say(f"back on WireGuard {took:.1f} s after the heal")
        _ping_via(demo, alpha, beta, "wg0", "tinc")
        say.ok("alpha<->beta is back on WireGuard")


def _ping_via(demo, source, target, device: str, not_device: str) -> None:
    say = demo.narrator
    say.command(f"{source.label}-host", ping_line(target))
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
