"""The interactive side of makeconf: questions on the terminal, one field at a time.

Every answer goes through the same checks as the mesh file (router_wg.model.schema), and a
site is checked against the others as soon as it is complete, so a bad answer is asked again
right away. Nothing is written before the user confirms; Ctrl-C or end of input aborts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from router_wg.errors import EXIT_FAILURE, Problem
from router_wg.makeconf import build as steps
from router_wg.makeconf.write import OutputFolder
from router_wg.model import Mesh, Settings, Site
from router_wg.model.checks import check_mesh
from router_wg.model.mesh import usable_addresses
from router_wg.model.schema import MESH_OPTIONS, SITE_OPTIONS, by_name
from router_wg.options import Option

MESH = by_name(MESH_OPTIONS)
SITE = by_name(SITE_OPTIONS)
BEHIND_NAT = ("nat", "behind nat", "none", "-")
SUGGESTED_TUNNEL_NETWORK = "192.168.100.0/24"


class Wizard:
    def __init__(
        self,
        folder: OutputFolder,  # already checked: a refused folder never reaches the questions
        ask: Callable[[str], str] = input,
        say: Callable[[str], None] = print,
    ):
        self.folder = folder
        self.out_dir = folder.path
        self.ask_line = ask
        self.say = say

    def run(self) -> int:
        try:
            return self._run()
        except (EOFError, KeyboardInterrupt):
            print("\nrouter-wg makeconf: aborted; nothing written", file=sys.stderr)
            return EXIT_FAILURE

    def _run(self) -> int:
        record = steps.read_record(self.folder)
        if record is None:
            self.say(
                f"A new mesh, written to {self.out_dir}. First the settings all routers "
                "share; press Enter to take the value in [brackets]."
            )
            settings = self.ask_settings(None)
            sites: list[Site] = []
            while len(sites) < 2 or self.yes_no("Add another site?", False):
                sites.append(self.ask_site(settings, sites, None))
        else:
            self.say(f"Starting from the existing record {self.out_dir / 'mesh.toml'}.")
            settings, sites = record.settings, list(record.sites)
        while True:
            self.show(settings, sites)
            choice = self.ask(
                "[a]dd, [c]hange or [r]emove a site, change [s]ettings, [w]rite, [q]uit", "w"
            ).lower()[:1]
            if choice == "a":
                sites.append(self.ask_site(settings, sites, None))
            elif choice == "c" and (index := self.pick(sites)) is not None:
                others = sites[:index] + sites[index + 1 :]
                sites[index] = self.ask_site(settings, others, sites[index])
            elif choice == "r" and (index := self.pick(sites)) is not None:
                self.say(f"Removing {sites.pop(index).fqdn}: its keys leave the record.")
            elif choice == "s":
                settings = self.ask_settings(settings, sites)
            elif choice == "q":
                self.say("Nothing written.")
                return EXIT_FAILURE
            elif choice == "w":
                if len(sites) < 2:
                    self.say("  a mesh needs at least two sites; add one")
                    continue
                return self.write(Mesh(settings, tuple(sites)), record)

    def write(self, answers: Mesh, record: Mesh | None) -> int:
        if not self.yes_no(
            f"Write the record and {len(answers.sites)} bundles to {self.out_dir}?", True
        ):
            self.say("Nothing written.")
            return EXIT_FAILURE
        return steps.finish(self.folder, answers, record)

    # -- questions -------------------------------------------------------------------------

    def ask(self, question: str, default: str | None = None) -> str:
        hint = f" [{default}]" if default not in (None, "") else ""
        answer = self.ask_line(f"{question[:1].upper()}{question[1:]}{hint}: ").strip()
        return answer or (default or "")

    def ask_option(self, option: Option, default: Any, question: str | None = None) -> Any:
        """Ask until the answer passes the option's own check; empty takes the default."""
        while True:
            shown = ", ".join(map(str, default)) if isinstance(default, tuple) else default
            text = self.ask(question or option.help, None if shown is None else str(shown))
            if not text and not option.required:
                return None
            try:
                return option.from_text(text)
            except ValueError as exc:
                self.say(f"  {option.name}: {exc}")

    def yes_no(self, question: str, default: bool) -> bool:
        while True:
            answer = self.ask(f"{question} [{'Y/n' if default else 'y/N'}]").lower()
            if not answer:
                return default
            if answer in ("y", "yes", "n", "no"):
                return answer.startswith("y")
            self.say("  answer y or n")

    def pick(self, sites: list[Site]) -> int | None:
        names = [site.fqdn for site in sites]
        answer = self.ask(f"Which site ({', '.join(names)})")
        if answer in names:
            return names.index(answer)
        self.say(f"  no site {answer!r}")
        return None

    def ask_settings(self, current: Settings | None, sites: list[Site] = ()) -> Settings:
        def now(name: str, suggested: Any) -> Any:
            return getattr(current, name) if current else suggested

        while True:
            interface = self.ask_option(MESH["interface"], now("interface", "wg0"))
            port = self.ask_option(MESH["listen_port"], now("listen_port", 51820))
            tunnel = self.ask_option(
                MESH["tunnel_network"], now("tunnel_network", SUGGESTED_TUNNEL_NETWORK)
            )
            fallback_network = self.ask_option(
                MESH["fallback_network"],
                now("fallback_network", None),
                MESH["fallback_network"].help + ", empty for none",
            )
            fallback_interface = None
            if fallback_network:
                fallback_interface = self.ask_option(
                    MESH["fallback_interface"], now("fallback_interface", None) or "tinc"
                )
            settings = Settings(
                interface=interface,
                listen_port=port,
                tunnel_network=tunnel,
                fallback_network=fallback_network,
                fallback_interface=fallback_interface,
                keepalive=self.ask_option(MESH["keepalive"], now("keepalive", 25)),
                mtu=self.ask_option(MESH["mtu"], now("mtu", 1420)),
                watchdog=now("watchdog", ()),  # not asked: set in mesh.toml (makeconf --help)
            )
            problems = check_mesh(Mesh(settings, tuple(sites)), "answers", minimum_sites=0)
            if not problems:
                return settings
            self._show_problems(problems)

    def ask_site(self, settings: Settings, others: list[Site], current: Site | None) -> Site:
        """One site's questions, asked again until the site fits with the others."""
        before = set(check_mesh(Mesh(settings, tuple(others)), "answers", minimum_sites=0))
        while True:
            site = self._site_answers(settings, others, current)
            after = check_mesh(Mesh(settings, (*others, site)), "answers", minimum_sites=0)
            problems = [problem for problem in after if problem not in before]
            if not problems:
                return site
            self._show_problems(problems)
            current = site

    def _site_answers(self, settings: Settings, others: list[Site], current: Site | None) -> Site:
        self.say("A site:" if current is None else f"Changing {current.fqdn}:")
        fqdn = self.ask_option(SITE["fqdn"], current.fqdn if current else None)
        endpoint_default = (current.endpoint or "behind NAT") if current else fqdn
        while True:
            text = self.ask(
                f"{SITE['endpoint'].help.split(';')[0]}, or 'behind NAT'", endpoint_default
            )
            if text.lower() in BEHIND_NAT:
                endpoint, nat = None, True
                break
            try:
                endpoint, nat = SITE["endpoint"].from_text(text), False
                break
            except ValueError as exc:
                self.say(f"  endpoint: {exc}")
        port = self.ask_option(
            SITE["listen_port"], (current and current.listen_port) or settings.listen_port
        )
        lans = self.ask_option(
            SITE["lans"],
            current.lans if current else None,
            SITE["lans"].help + ", separated by commas",
        )
        taken = {site.tunnel_address for site in others}
        suggested = (current and current.tunnel_address) or next(
            (a for a in usable_addresses(settings.tunnel_network) if a not in taken), None
        )
        address = self.ask_option(SITE["tunnel_address"], suggested)
        kept = current or Site(fqdn=fqdn)
        return replace(
            kept,
            fqdn=fqdn,
            endpoint=endpoint,
            nat=nat,
            lans=lans,
            listen_port=None if port == settings.listen_port else port,
            tunnel_address=address,
        )

    # -- output ----------------------------------------------------------------------------

    def _show_problems(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.say(f"  {problem.where}: {problem.message}")
        self.say("  please answer again.")

    def show(self, settings: Settings, sites: list[Site]) -> None:
        fallback = (
            f", fallback {settings.fallback_network} via {settings.fallback_interface}"
            if settings.fallback_network
            else ""
        )
        self.say(
            f"\nMesh: interface {settings.interface}, port {settings.listen_port}, tunnel "
            f"network {settings.tunnel_network}{fallback}"
        )
        if settings.watchdog:
            self.say(f"  watchdog (from mesh.toml): {_values(settings.watchdog)}")
        for site in sites:
            where = (
                f"dialled at {site.endpoint}:{site.listen_port or settings.listen_port}"
                if site.endpoint
                else "behind NAT (not dialled)"
            )
            self.say(
                f"  {site.fqdn}: {where}, tunnel {site.tunnel_address or 'next free'}, "
                f"LANs {', '.join(map(str, site.lans)) or 'none'}"
            )
            if site.watchdog:
                self.say(f"    its own watchdog: {_values(site.watchdog)}")


def _values(pairs: tuple[tuple[str, object], ...]) -> str:
    return ", ".join(f"{name} {value}" for name, value in pairs)
