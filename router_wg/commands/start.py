"""`router-wg start`: bring this router to the state its bundle describes."""

from __future__ import annotations

from router_wg.backends import lock
from router_wg.bundle.load import load_bundle
from router_wg.converge.inputs import resolve_for
from router_wg.converge.service import converge
from router_wg.paths import Paths, add_conf_dir_argument, conf_dir_of
from router_wg.watchdog.state import withdrawn_peers


def add_arguments(parser) -> None:
    add_conf_dir_argument(parser)


def run(args) -> int:
    paths, conf_dir = Paths(args.root), conf_dir_of(args)
    bundle = load_bundle(conf_dir)  # both files checked before anything touches the kernel
    resolved = resolve_for(bundle.wireguard)  # before the lock: it may wait for DNS
    with lock.held(paths):
        withdrawn = withdrawn_peers(paths.watchdog_state)
        converge(paths, conf_dir, bundle, withdrawn, _say, resolved=resolved)
    return 0


def _say(text: str) -> None:
    print(f"[+] {text}", flush=True)
