"""A resident process of router-wg's, known by the lock file it holds for its whole life.

The kernel drops an flock when its holder dies, even by SIGKILL, so "is it running?" is one
non-blocking lock attempt, with no pid file to go stale. The holder writes its pid into the
lock file; that pid is believed only while the lock is held, and only for a process whose
command line is router-wg's, never a program that got the number since.

A daemon is started detached: its own session, stdin, stdout and stderr on /dev/null, no
other descriptor inherited, so whoever started it (the firmware's Firewall script, cron)
never waits on it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from pathlib import Path


def running(lock: Path) -> bool:
    """Whether some process holds `lock` (a daemon is alive)."""
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def hold(lock: Path, *, wait: bool) -> int | None:
    """Take `lock` for this process's life: the descriptor, or None when another holds it
    and `wait` is False. With `wait`, block until the holder dies (a standby)."""
    lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def holder(lock: Path) -> int | None:
    """The pid of the process holding `lock`, if one does and it is router-wg's."""
    if not running(lock):
        return None
    try:
        pid = int(lock.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"router_wg" in command or b"router-wg" in command else None


def spawn(argv: list[str]) -> int:
    """Start `argv` detached; its pid. It does not keep our caller's output open."""
    child = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,
        cwd="/",
    )
    return child.pid


def stop(lock: Path, *, timeout: float = 5.0) -> bool:
    """End the daemon holding `lock` (SIGTERM, then SIGKILL after `timeout`). True when
    none runs any more."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pid = holder(lock)
        if pid is None:
            return not running(lock)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while running(lock) and time.monotonic() < deadline:
            time.sleep(0.02)
    return not running(lock)
