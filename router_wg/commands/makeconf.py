"""`router-wg makeconf`: ask about the sites (or read --answers) and write one bundle per site."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from router_wg.bundle import toml
from router_wg.bundle.site import WATCHDOG_LIMITS, WATCHDOG_MODES
from router_wg.errors import EXIT_USAGE, ConfigError
from router_wg.makeconf.write import OutputFolder
from router_wg.model.schema import MESH_OPTIONS, SITE_OPTIONS, WATCHDOG_OPTIONS

DEFAULT_OUT = Path("/tmp/wireguard")


def _fields_help() -> str:
    def lines(options):
        def need(option):
            if option.required:
                return "required"
            return "optional" if option.default is None else f"default {toml.value(option.default)}"

        return "\n".join(f"  {o.name:<19}{o.help} ({need(o)}; e.g. {o.example})" for o in options)

    def watchdog_lines():
        def limits(name):  # the limits `check` applies to wg.conf, the same for mesh.toml
            if name not in WATCHDOG_LIMITS:
                return " or ".join(WATCHDOG_MODES)
            limit = WATCHDOG_LIMITS[name]
            return f"{limit.low} to {limit.high}"

        return "\n".join(
            f"  {o.name:<19}{o.help} (default {o.example}; {limits(o.name)})"
            for o in WATCHDOG_OPTIONS
        )

    return (
        "The mesh file (TOML):\n[mesh]\n"
        + lines(MESH_OPTIONS)
        + "\n[[site]]  (one per router)\n"
        + lines(SITE_OPTIONS)
        + "\n[watchdog]  (optional; the wizard does not ask: edit mesh.toml and re-run makeconf)\n"
        + watchdog_lines()
        + "\n  probe_timeout may not be longer than loop_interval. A site may differ: a"
        + "\n  [site.watchdog] table after its [[site]] lines, with any of the same fields."
        + "\n\nOutput: OUT/mesh.toml (the record with every key, mode 0600) and, per site,\n"
        "OUT/<fqdn>/<interface>.conf (for wg setconf, 0600) and OUT/<fqdn>/wg.conf.\n"
        "An existing OUT/mesh.toml is kept up to date: keys, preshared keys and tunnel\n"
        "addresses already in it stay; sites no longer listed are removed with their keys.\n"
        "Sites keep the order of the file, and so do the peers in every bundle. Two sites\n"
        "that neither has an endpoint get no WireGuard link (a warning says so).\n"
        "OUT must be a folder of yours that nobody else may write to, and no link: makeconf\n"
        "makes a missing OUT itself (0700), makes one that others may only read 0700, and\n"
        "refuses any other, or a link inside it, before reading or writing anything.\n"
        "Exit codes: 0 written, 1 could not write (or OUT refused), 2 usage, 3 invalid mesh\n"
        "file (nothing written)."
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "Write the mesh record and one bundle per site. Without --answers, ask on the "
        "terminal (starting from OUT/mesh.toml if it exists)."
    )
    parser.epilog = _fields_help()
    parser.add_argument(
        "--answers",
        type=Path,
        metavar="FILE",
        help="read the mesh from FILE instead of asking (its sites and settings win over "
        "OUT/mesh.toml; keys and tunnel addresses already there are kept)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="OUT",
        help=f"output folder for the record and the bundles (default: {DEFAULT_OUT})",
    )


def run(args: argparse.Namespace) -> int:
    if args.answers is None and not sys.stdin.isatty():
        print(
            "router-wg makeconf: no terminal to ask on; pass --answers FILE "
            "(see router-wg makeconf --help)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    # The folder is checked before anything is read or asked: a refused one is never used.
    with OutputFolder.open(args.out) as folder:
        if args.answers is None:
            from router_wg.makeconf.wizard import Wizard

            return Wizard(folder).run()
        return _from_answers(args.answers, folder)


def _from_answers(answers_file: Path, folder: OutputFolder) -> int:
    from router_wg.makeconf import build as steps  # cryptography and jinja2: only here

    problems = []  # report the answers' and the record's problems together
    try:
        answers = steps.read_mesh_file(answers_file)
    except ConfigError as exc:
        problems += exc.problems
    try:
        record = steps.read_record(folder)
    except ConfigError as exc:
        problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return steps.finish(folder, answers, record)
