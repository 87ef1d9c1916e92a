"""The WireGuard kernel module: loaded?, load, unload when unused (via /sys, modprobe)."""

from __future__ import annotations

from pathlib import Path

from router_wg.backends.runner import Runner

SYS_MODULE = Path("/sys/module/wireguard")


def loaded() -> bool:
    return SYS_MODULE.exists()


def refcount() -> int:
    try:
        return int((SYS_MODULE / "refcnt").read_text())
    except (OSError, ValueError):
        return 0  # built in, or gone: nothing to unload either way


def load(runner: Runner) -> None:
    runner.run(["modprobe", "wireguard"])


def unload(runner: Runner) -> None:
    runner.run(["modprobe", "-r", "wireguard"])


def unloadable() -> bool:
    """A loadable module (not built in) that nothing holds."""
    return (SYS_MODULE / "initstate").exists() and refcount() == 0
