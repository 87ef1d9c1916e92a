"""Names of everything the lab creates, what it needs, and the sweep of what a dead run left.

Every namespace is called `rwg<pid>-<kind><n>` after the pytest process that made it; its
private WireGuard socket folder is `/run/rwg-<namespace>`, its hosts file lives in
`/etc/netns/<namespace>/`, its scratch folder is `<tmp>/<namespace>-*`. A run that was killed
before its finalizers ran (SIGKILL, a guest powered off) leaves those behind; the first
namespace a later run creates sweeps every object whose owning pid is gone. Objects of runs
that are still alive (other pytest processes on the same machine) are never touched.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PREFIX = f"rwg{os.getpid()}-"
NETNS_ETC = Path("/etc/netns")
RUN = Path("/run")
OWNED = re.compile(r"rwg(\d+)-[a-z]\d+")

_serial = itertools.count(1)
_swept = False


def new_namespace_name(kind: str) -> str:
    """`kind` is one letter: r(outer), h(ost), t(ransit), n(amespace)."""
    return f"{PREFIX}{kind}{next(_serial)}"


def socket_dir(namespace: str) -> Path:
    """The folder bound over /run/wireguard for every command run in `namespace`."""
    return RUN / f"rwg-{namespace}"


def require(*binaries: str) -> None:
    """Skip the test, naming what is missing, unless root with every binary installed."""
    missing = [b for b in binaries if shutil.which(b) is None]
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces, veth, iptables)")
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")


def iptables() -> str:
    """The legacy backend when it is there: FreshTomato and the ARM guest use it."""
    return "iptables-legacy" if shutil.which("iptables-legacy") else "iptables"


def kill_namespace_processes(namespace: str) -> None:
    """TERM, then KILL, every process still inside `namespace` (daemons the lab did not start
    itself, such as a wireguard-go that router-wg daemonised)."""
    for sig, grace in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
        pids = _namespace_pids(namespace)
        for pid in pids:
            _signal(pid, sig)
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline:
            time.sleep(0.05)
            pids = [p for p in pids if _alive(p)]
        if not pids:
            return


def remove_namespace(namespace: str) -> None:
    """Everything named after `namespace`: its processes, the netns with its veths, its
    hosts folder, its socket folder and its scratch folders."""
    kill_namespace_processes(namespace)
    subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
    shutil.rmtree(NETNS_ETC / namespace, ignore_errors=True)
    shutil.rmtree(socket_dir(namespace), ignore_errors=True)
    for scratch in Path(tempfile.gettempdir()).glob(f"{namespace}-*"):
        shutil.rmtree(scratch, ignore_errors=True)


def sweep_stale_once() -> None:
    """Remove what runs that died without cleaning up left behind (once per process)."""
    global _swept
    if not _swept:
        _swept = True
        sweep_stale()


def sweep_stale() -> None:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    names = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    names |= {p.name for p in NETNS_ETC.glob("rwg*")}
    names |= {p.name.removeprefix("rwg-") for p in RUN.glob("rwg-rwg*")}
    names |= {p.name.rsplit("-", 1)[0] for p in Path(tempfile.gettempdir()).glob("rwg*-*-*")}
    for name in sorted(names):
        owner = OWNED.fullmatch(name)
        if owner and not _alive(int(owner.group(1))):
            print(f"lab$ # sweeping {name}, left by dead pid {owner.group(1)}", flush=True)
            remove_namespace(name)


def _namespace_pids(namespace: str) -> list[int]:
    found = subprocess.run(
        ["ip", "netns", "pids", namespace], capture_output=True, text=True, check=False
    )
    return [int(p) for p in found.stdout.split() if p.isdigit() and int(p) != os.getpid()]


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone: it holds no namespace any more
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
