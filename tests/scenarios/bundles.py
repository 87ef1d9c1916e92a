"""Bundles for lab routers, written by router-wg's own makeconf (in this process: the
routers never import cryptography), and system-tool views of a router for assertions."""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

from lab.meshes import mesh_toml

from router_wg.cli import main as router_wg_main


def write_bundles(
    out: Path, sites: list[tuple[str, list[str], str | None]], **mesh
) -> dict[str, Path]:
    """sites: (fqdn, lans, endpoint host or None); `mesh`: [mesh] fields, and `watchdog`
    (lab.meshes.mesh_toml). Re-running into the same `out` keeps every existing key, as
    makeconf promises. Returns fqdn -> bundle folder."""
    tables = [{"fqdn": fqdn, "lans": lans, "endpoint": endpoint} for fqdn, lans, endpoint in sites]
    out.mkdir(parents=True, exist_ok=True)
    answers_file = out.parent / f"{out.name}-answers.toml"
    answers_file.write_text(mesh_toml(tables, **mesh))
    with contextlib.redirect_stdout(io.StringIO()):
        code = router_wg_main(["makeconf", "--answers", str(answers_file), "--out", str(out)])
    assert code == 0, f"makeconf failed with {code}"
    return {fqdn: out / fqdn for fqdn, _, _ in sites}


def lab_bundles(out: Path, routers) -> dict[str, Path]:
    return write_bundles(out, [(r.fqdn, r.lans, r.fqdn) for r in routers])


# --- what the system tools say (never router-wg's own reader) ------------------------------


def iptables_rules(router, iptables: str) -> list[str]:
    """`iptables-save` without comments and counters."""
    text = router.run([f"{iptables}-save"]).stdout
    return [
        line.split(" [", 1)[0] if line.startswith(":") else line
        for line in text.splitlines()
        if line and not line.startswith("#")
    ]


def ours(rules: list[str]) -> list[str]:
    """router-wg's lines of an iptables-save: its RWG_* chains, their rules and jumps."""
    return [r for r in rules if "RWG_" in r]


def link_details(router, ifname="wg0") -> dict:
    """`ip -d address show` of one link: flags, mtu, ifalias (the mark of ours), addresses."""
    return json.loads(router.run(["ip", "-j", "-d", "address", "show", ifname]).stdout)[0]


def addresses(router, ifname="wg0") -> list[str]:
    return [f"{a['local']}/{a['prefixlen']}" for a in link_details(router, ifname)["addr_info"]]


def mesh_view(router, iptables: str) -> tuple:
    """What an admin checks of a router's mesh: the interface (mark, mtu, up, addresses),
    its WireGuard peers, our routes, rules (a duplicate shows as one more line) and cron."""
    link = link_details(router)
    return (
        link.get("ifalias"),
        link["mtu"],
        "UP" in link["flags"],
        addresses(router),
        wg_config_view(router),
        sorted(our_routes(router)),
        sorted(ours(iptables_rules(router, iptables))),
        crontab(router),
    )


def assert_nothing_ours(router, iptables: str) -> None:
    assert "wg0" not in links(router)
    assert ours(iptables_rules(router, iptables)) == []
    assert our_routes(router) == []
    assert "router-wg" not in crontab(router)
    assert not list(router.socket_dir.glob("wg0*"))  # no wireguard-go left


def routes(router) -> list[dict]:
    return json.loads(router.run(["ip", "-j", "route", "show", "table", "all"]).stdout)


def our_routes(router) -> list[str]:
    return router.run(["ip", "route", "show", "proto", "0x57"]).stdout.splitlines()


def wg_dump(router, ifname="wg0") -> list[list[str]]:
    return [
        line.split("\t") for line in router.run(["wg", "show", ifname, "dump"]).stdout.splitlines()
    ]


def wg_config_view(router, ifname="wg0") -> list[list[str]]:
    """The dump without latest handshake and transfer counters (what start controls)."""
    rows = wg_dump(router, ifname)
    return [rows[0]] + sorted(row[:4] + row[7:] for row in rows[1:])


def handshakes(router, ifname="wg0") -> dict[str, int]:
    return {row[0]: int(row[4]) for row in wg_dump(router, ifname)[1:]}


def ifindex(router, ifname="wg0") -> int:
    return json.loads(router.run(["ip", "-j", "link", "show", ifname]).stdout)[0]["ifindex"]


def links(router) -> list[str]:
    return [x["ifname"] for x in json.loads(router.run(["ip", "-j", "link"]).stdout)]


def crontab(router) -> str:
    path = router.root / "etc" / "crontabs" / "root"
    return path.read_text() if path.exists() else ""


def start(router, bundle: Path, *extra: str, check=True):
    return router.router_wg(*extra, "start", "--conf-dir", bundle, check=check)


def plan(router, bundle: Path) -> str:
    return router.router_wg("plan", "--conf-dir", bundle).stdout


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)
