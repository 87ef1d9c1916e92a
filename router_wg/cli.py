"""The `router-wg` dispatcher: one table of verbs, one module per verb.

Verb modules are imported only when their verb runs, so the watchdog's cron path
never pays for makeconf's cryptography and jinja2.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from pathlib import Path

from router_wg import __version__
from router_wg.errors import EXIT_USAGE, UserError

# verb -> (module under router_wg.commands, one-line help)
VERBS: dict[str, tuple[str, str]] = {
    "makeconf": ("makeconf", "ask about the sites and write one bundle per site"),
    "start": ("start", "bring this router to the state its bundle describes"),
    "stop": ("stop", "remove everything router-wg added on this router"),
    "plan": ("plan", "print what start would change, changing nothing"),
    "show": ("show", "print each peer's handshake, transfer and current path"),
    "check": ("check", "one watchdog tick, or start the watcher if none runs (cron)"),
    "watch": ("watch", "the resident watcher: judge every peer continuously (foreground)"),
}

log = logging.getLogger("router_wg")


def build_parser(available: dict[str, object]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="router-wg",
        description="WireGuard full mesh for small routers, with per-peer fallback to tinc.",
    )
    parser.add_argument("--version", action="version", version=f"router-wg {__version__}")
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("/"),
        metavar="DIR",
        help="re-root every file router-wg keeps outside the bundle (cron, lock, state); "
        "for tests and demos (default: /)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every command before it runs"
    )
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")
    verbs.required = True
    for name, module in available.items():
        _, summary = VERBS[name]
        sub = verbs.add_parser(name, help=summary, description=summary)
        module.add_arguments(sub)  # type: ignore[attr-defined]
    return parser


def _load_verbs(argv: list[str]) -> dict[str, object]:
    """Import only the verb being run (all of them when asked for help)."""
    wanted = next((a for a in argv if a in VERBS), None)
    names = [wanted] if wanted and not {"-h", "--help"} & set(argv[: argv.index(wanted)]) else []
    names = names or [n for n in VERBS if _implemented(n)]
    return {n: importlib.import_module(f"router_wg.commands.{VERBS[n][0]}") for n in names}


def _implemented(name: str) -> bool:
    return importlib.util.find_spec(f"router_wg.commands.{VERBS[name][0]}") is not None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        available = _load_verbs(argv)
    except ModuleNotFoundError as exc:
        print(
            f"router-wg: missing Python module {exc.name!r}; install it (see README)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    args = build_parser(available).parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(message)s",
        stream=sys.stderr,
    )
    try:
        return int(available[args.verb].run(args) or 0)  # type: ignore[attr-defined]
    except UserError as exc:
        print(f"router-wg {args.verb}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"router-wg {args.verb}: interrupted", file=sys.stderr)
        return 130
