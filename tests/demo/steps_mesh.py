"""Setup and steps 1-4: the lab, makeconf, the install on each router, start through the
Firewall hook line, and a LAN-to-LAN ping over WireGuard."""

from __future__ import annotations

import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from jffs_install import Installed
from lab import Lab, meshes, names, wireguard
from lab.processes import watchers

from demo.checks import (
    device_towards,
    handshakes,
    on_each,
    our_routes,
    ping_counted,
    ping_line,
)
from demo.narrate import StepFailed, expect

REPO = Path(__file__).resolve().parents[2]
# The demo's answers: the shipped example, as it is. The lab is built from them.
ANSWERS = meshes.EXAMPLE.read_text()
BOOT_BOUND = 300.0  # s for every router's boot path to finish start (the guest is slow)


def on_router(router, path: Path) -> str:
    """A path as the router's admin sees it: relative to the router's own root."""
    return "/" + str(Path(path).relative_to(router.root))


def setup(demo) -> None:
    with demo.narrator.step(
        0, "the lab", "three routers joined by an underlay and by tinc (the fallback VPN)"
    ):
        try:
            implementation = wireguard.implementation()
        except pytest.skip.Exception as skipped:  # the lab's way of saying what is missing
            raise StepFailed(f"no WireGuard here: {skipped}") from None
        demo.iptables = names.iptables()
        mesh = tomllib.loads(ANSWERS)
        demo.lab = Lab()
        for site in mesh["site"]:
            demo.lab.add_router(site["fqdn"], site["lans"], nat=site.get("nat", False))
        demo.routers = list(demo.lab.routers)
        demo.lab.start_tinc(mesh["mesh"]["fallback_network"], mesh["mesh"]["fallback_interface"])
        where = "kernel module" if implementation == "kernel" else implementation
        demo.narrator.say(f"WireGuard here: {where}; iptables: {demo.iptables}")
        for r in demo.routers:
            nat = ", behind NAT" if r.nat else ""
            demo.narrator.say(
                f"{r.label:<6} WAN {r.underlay_address}{nat}, LAN {r.lans[0]} with a host at "
                f"{r.lan_host_address}, tinc up (route {mesh['mesh']['fallback_network']} dev tinc)"
            )


def makeconf(demo) -> None:
    say = demo.narrator
    with say.step(1, "makeconf writes the bundles", "one answers file gives every site its files"):
        (demo.work / "answers.toml").write_text(ANSWERS)
        say.command("laptop", "router-wg makeconf --answers answers.toml --out bundles")
        done = subprocess.run(
            [sys.executable, "-m", "router_wg", "makeconf"]
            + ["--answers", "answers.toml", "--out", "bundles"],
            cwd=demo.work,
            capture_output=True,
            text=True,
            timeout=300,
        )
        say.output(done.stdout + done.stderr, limit=12)
        expect(done.returncode == 0, f"makeconf exited {done.returncode}")
        say.say("files written:")
        bundles = demo.work / "bundles"
        for path in sorted(p for p in bundles.rglob("*") if p.is_file()):
            mode = path.stat().st_mode & 0o777
            say.output(f"{path.relative_to(demo.work)}  {mode:04o}  {path.stat().st_size} B")
        for r in demo.routers:
            folder = bundles / r.fqdn
            for name in ("wg.conf", "wg0.conf"):
                expect((folder / name).is_file(), f"{folder / name} was not written")
            mode = (folder / "wg0.conf").stat().st_mode & 0o777
            expect(mode == 0o600, f"{folder}/wg0.conf holds a private key but is {mode:04o}")
            demo.bundles[r.fqdn] = folder
        from router_wg.bundle.settings import load_site  # stdlib only: the router's own reader

        demo.watchdog = load_site(demo.bundles[demo.routers[0].fqdn]).watchdog
        w = demo.watchdog
        say.say(
            f"watchdog in wg.conf: mode {w.mode}, a probe every {w.probe_interval:g} s, "
            f"lost_probes {w.lost_probes}, answered_probes {w.answered_probes}, hold_down "
            f"{w.hold_down} s (the defaults: the example sets no [watchdog] table)"
        )
        say.ok(f"{len(demo.bundles)} bundles; keys only in mesh.toml and wg0.conf, both 0600")


def install(demo) -> None:
    say = demo.narrator
    with say.step(
        2,
        "install on each router as the README says",
        "the `make dist` archive in /jffs, the bundle beside the wrapper, the hook line",
    ):
        archive = demo.options.dist or _make_dist(demo)
        expect(archive.is_file(), f"{archive} does not exist")
        for r in demo.routers:
            demo.installed[r] = inst = Installed(r, archive, demo.bundles[r.fqdn], demo.iptables)
            say.command(r.label, f"tar -xzf {archive.name} -C /jffs")
            say.command(r.label, f"cp bundles/{r.fqdn}/* /jffs/router-wg/")
            expect(inst.wrapper.is_file(), f"{r.label}: no wrapper at {inst.wrapper}")
            expect((inst.folder / "wg.conf").is_file(), f"{r.label}: no wg.conf beside it")
        first = demo.routers[0]
        inst = demo.installed[first]
        say.say(f"{first.label}'s /jffs/router-wg: {' '.join(sorted(_listing(inst.folder)))}")
        say.say(
            f"each router's / is a folder of its own ({first.label}'s: {first.root}, passed as "
            "ROUTER_WG_ROOT);\npython3 is Entware's /opt/bin/python3 (no site-packages: "
            "pyroute2 comes in lib/)"
        )
        say.say("Administration > Scripts > Firewall, on every router:")
        say.output("/jffs/router-wg/router-wg.sh boot &")
        say.ok("3 routers carry the wrapper, lib/ and their own bundle")


def _make_dist(demo) -> Path:
    demo.narrator.command("laptop", "make dist")
    out = demo.work / "dist"
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "dist", f"PKG_OUT={out}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    expect(done.returncode == 0, f"make dist failed: {(done.stderr or done.stdout)[-400:]}")
    found = sorted(out.glob("router-wg-*.tar.gz"))
    expect(found, f"make dist wrote no router-wg-*.tar.gz into {out}")
    demo.narrator.output(f"{found[0].name}  {found[0].stat().st_size} B")
    return found[0]


def _listing(folder: Path) -> list[str]:
    return [p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()]


def start(demo) -> None:
    say = demo.narrator
    with say.step(
        3,
        "start through the boot path; show the mesh",
        "the hook line alone brings each router up and starts its watcher; cron supervises it",
    ):
        for r in demo.routers:
            say.command(r.label, f"{on_router(r, demo.installed[r].wrapper)} boot &")
        on_each(demo.routers, lambda r: demo.installed[r].run_hook())
        ended = _wait_for_boots(demo)
        alpha = demo.routers[0]
        say.say(f"{alpha.label}'s syslog:")
        say.output(_boot_lines(demo.installed[alpha]))
        for r in demo.routers:
            expect(ended[r] == "0", f"{r.label}: boot's start ended with exit {ended[r]}")
        cron = {r: demo.installed[r].cron_command() for r in demo.routers}
        for r in demo.routers:
            expect(cron[r], f"{r.label}: start registered no watchdog line in its crontab")
        say.say(f"{alpha.label}'s crontab line (start put it there: it restarts a dead watcher):")
        say.output(demo.installed[alpha].crontab.read_text())
        demo.cron = cron
        say.command("router", "ip netns pids <router>   (router-wg's resident watcher)")
        for r in demo.routers:
            found = watchers(r)
            expect(len(found) == 1, f"{r.label}: {len(found)} watchers running, not one")
            pid, argv = found[0]
            say.output(f"{r.label}: pid {pid}: {' '.join(argv[argv.index('-m') :])}")
        _wait_for_handshakes(demo)  # gamma, behind NAT, is reachable once it has dialled out
        say.command(alpha.label, "/jffs/router-wg/router-wg.sh show")
        shown = demo.installed[alpha].run("show")
        say.output(shown.stdout)
        expect(shown.returncode == 0, f"show exited {shown.returncode}: {shown.stderr}")
        say.command(alpha.label, "ip route show proto 0x57   (router-wg's routes)")
        say.output("\n".join(our_routes(alpha)))
        for r in demo.routers:
            for other in demo.routers:
                if other is not r:
                    dev = device_towards(r, other.lan_host_address)
                    expect(dev == "wg0", f"{r.label} sends to {other.label}'s LAN via {dev}")
        say.ok("every router started by its hook line; every LAN routed via wg0; handshakes done")


def _wait_for_boots(demo) -> dict:
    deadline = time.monotonic() + BOOT_BOUND
    ended: dict = {}
    while len(ended) < len(demo.routers):
        for r in demo.routers:
            for line in demo.installed[r].logged().splitlines():
                if "boot: start ended with exit " in line:
                    ended[r] = line.rsplit(" ", 1)[-1]
        if time.monotonic() > deadline:
            waiting = ", ".join(r.label for r in demo.routers if r not in ended)
            raise StepFailed(f"the boot path did not finish within {BOOT_BOUND:.0f} s: {waiting}")
        time.sleep(0.5)
    return ended


def _boot_lines(installed, actions_shown: int = 8) -> str:
    """The boot path's syslog lines, with only the first few of start's `[+]` actions."""
    lines, actions = [], 0
    for line in installed.logged().splitlines():
        if "boot:" not in line:
            continue
        if "[+]" in line:
            actions += 1
            if actions > actions_shown:
                continue
        elif actions > actions_shown:
            lines.append(f"... ({actions - actions_shown} more actions)")
            actions = 0
        lines.append(line)
    return "\n".join(lines)


def _wait_for_handshakes(demo) -> None:
    deadline = time.monotonic() + 30
    while True:
        missing = [
            r.label
            for r in demo.routers
            if not all(handshakes(r).values()) or len(handshakes(r)) != len(demo.routers) - 1
        ]
        if not missing:
            return
        expect(time.monotonic() < deadline, f"no handshake with every peer on: {missing}")
        time.sleep(0.5)


def ping(demo) -> None:
    say = demo.narrator
    with say.step(
        4, "LAN to LAN over WireGuard", "a LAN host reaches the other sites' LANs through wg0"
    ):
        alpha = demo.routers[0]
        for other in demo.routers[1:]:
            say.command(
                f"{alpha.label}-host",
                ping_line(other),
            )
            traffic = ping_counted(alpha, other)
            say.output(f"{traffic.received}/{traffic.sent} answered")
            say.output(traffic.describe(alpha.label))
            expect(traffic.received == traffic.sent, f"{other.label}'s LAN host did not answer")
            expect(traffic.carried_by("wg0"), f"the echoes to {other.label} did not cross wg0")
            expect(not traffic.carried_by("tinc"), f"the echoes to {other.label} crossed tinc")
        say.ok("echoes answered, and the bytes went through wg0, none through tinc")


STEPS = (setup, makeconf, install, start, ping)
