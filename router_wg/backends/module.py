"""The WireGuard kernel module: loaded?, load, unload when unused (via /sys, modprobe).

Unloading a module deletes every interface of its kind in every network namespace, and its
reference count stays 0 while interfaces exist. A router normally has one network namespace,
where `stop` can see every WireGuard link; with others (containers, `ip netns`) it cannot, so
the module stays loaded.
"""

from __future__ import annotations

import os
from pathlib import Path

from router_wg.backends.runner import Runner

SYS_MODULE = Path("/sys/module/wireguard")
PROC = Path("/proc")


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
    """A loadable module (not built in) that nothing holds, on a system whose only network
    namespace is ours."""
    return (
        (SYS_MODULE / "initstate").exists()
        and refcount() == 0
        and not other_network_namespaces(PROC)
    )


def other_network_namespaces(proc: Path) -> bool:
    """True when a process or a mount (`ip netns add`) holds a network namespace not ours."""
    own = _inode(proc / "self" / "ns" / "net")
    if own is None:
        return True  # cannot tell: keep the module
    for entry in os.scandir(proc):
        if entry.name.isdigit():
            inode = _inode(Path(entry.path, "ns", "net"))
            if inode is not None and inode != own:
                return True
    return any(_inode(Path(point)) not in (None, own) for point in _nsfs_mounts(proc))


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:  # a process that ended, or one we may not look into
        return None


def _nsfs_mounts(proc: Path) -> list[str]:
    """Mount points of namespace files, from mountinfo (field 5; the type follows " - ")."""
    points = []
    try:
        lines = (proc / "self" / "mountinfo").read_text().splitlines()
    except OSError:
        return points
    for line in lines:
        fields, _, tail = line.partition(" - ")
        if tail.split(" ", 1)[0] == "nsfs":
            points.append(fields.split(" ")[4].replace("\\040", " "))
    return points
