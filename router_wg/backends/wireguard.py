"""The WireGuard device through `wg` (kernel module or wireguard-go alike), and the
userspace fallback. Keys only ever travel on stdin; `wg show dump` output holds the
private key, so it is parsed and never logged.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from router_wg.backends.runner import Runner
from router_wg.converge.wgconf import DumpDevice, WgDevice, parse_dump, render_config
from router_wg.errors import CommandError, UserError


def dump(runner: Runner, interface: str) -> DumpDevice | None:
    done = runner.run(["wg", "show", interface, "dump"], check=False)
    if done.returncode != 0:
        return None  # a link that is not (or no longer) a WireGuard device
    return parse_dump(done.stdout)


def syncconf(runner: Runner, interface: str, config: WgDevice) -> None:
    runner.run(["wg", "syncconf", interface, "/dev/stdin"], secret_input=render_config(config))


def userspace_available() -> bool:
    return shutil.which("wireguard-go") is not None


def start_userspace(runner: Runner, interface: str) -> None:
    """wireguard-go creates the tun link and daemonises; its socket lives in run_dir."""
    runner.run(["wireguard-go", interface])


def stop_userspace(run_dir: Path, interface: str) -> bool:
    """wireguard-go exits and removes its link when its control socket disappears
    (what wg-quick does too). Returns False when there is no such socket."""
    socket = run_dir / f"{interface}.sock"
    try:
        socket.unlink()
    except FileNotFoundError:
        return False
    return True


def wait_gone(exists, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def module_missing_error(error: CommandError) -> UserError:
    return UserError(
        f"cannot load WireGuard: {error.stderr or error}\n"
        "hint: install your firmware's WireGuard kernel module (FreshTomato: an ARM build "
        "with WireGuard), or install wireguard-go; nothing was changed"
    )
