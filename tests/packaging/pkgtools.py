"""What the packaging tests share: building, reading archives, a router-like PATH, stand-ins.

The archives are built with the project's own `make ipk dist` into a temporary PKG_OUT,
so a test run never touches out/ (except the cached pyroute2 wheel).
A "router" here is a temporary folder: the wrapper runs under BusyBox ash with a PATH of
BusyBox applets only, as on FreshTomato, and Python is the interpreter behind the venv run
with `-S`: the standard library and nothing else, like a bare Entware or OpenWrt python3.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
# What the wrapper may call: BusyBox applets (FreshTomato has them all).
APPLETS = ("sh", "dirname", "readlink", "date", "sleep", "mkdir", "rm", "cat", "ln")
# The interpreter behind the venv: no site-packages of ours with -S.
BARE_PYTHON = Path(sys.base_prefix) / "bin" / f"python3.{sys.version_info.minor}"


def require(*programs: str) -> None:
    for program in programs:
        if shutil.which(program) is None:
            pytest.skip(f"{program} is not installed (make deps installs it)")


def build(out: Path, *targets: str) -> Path:
    """`make TARGETS PKG_OUT=out`: the archives land in out."""
    require("make", "tar", "gzip")
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), *targets, f"PKG_OUT={out}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def make_install(destdir: Path, platform: str) -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "install"]
        + [f"DESTDIR={destdir}", f"PLATFORM={platform}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def members(archive: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    return {m.name: m for m in archive.getmembers()}


def inner_tar(ipk: Path, name: str) -> tarfile.TarFile:
    """One of the ipk's inner archives (control.tar.gz, data.tar.gz), opened from memory."""
    with tarfile.open(ipk, "r:gz") as outer:
        data = outer.extractfile(name).read()
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def write_script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def router_bin(folder: Path, log_file: Path) -> Path:
    """A PATH folder of BusyBox applets plus a `logger` that appends to log_file.

    The logger stand-in keeps what the firmware's does: `logger -t TAG MESSAGE` or lines
    on stdin become one "TAG: line" each.
    """
    require("busybox")
    busybox = shutil.which("busybox")
    folder.mkdir(parents=True, exist_ok=True)
    for applet in APPLETS:
        (folder / applet).symlink_to(busybox)
    write_script(
        folder / "logger",
        "#!/bin/sh\n"
        "tag=logger\n"
        "while getopts t:p:s opt; do [ $opt = t ] && tag=$OPTARG; done\n"
        "shift $((OPTIND - 1))\n"
        f'if [ $# -gt 0 ]; then echo "$tag: $*" >>"{log_file}"\n'
        f'else while IFS= read -r line; do echo "$tag: $line" >>"{log_file}"; done; fi\n',
    )
    return folder


def bare_python(path: Path, argv_file: Path | None = None) -> Path:
    """A python3 for the router: the real interpreter without site-packages; optionally
    recording its argv and ROUTER_WG_CONF_DIR, one line each, to argv_file."""
    if not BARE_PYTHON.exists():
        pytest.skip(f"{BARE_PYTHON} (the interpreter behind the venv) is missing")
    record = (
        f'printf "%s\\n" "$@" "ROUTER_WG_CONF_DIR=$ROUTER_WG_CONF_DIR" >>"{argv_file}"\n'
        if argv_file
        else ""
    )
    return write_script(path, f'#!/bin/sh\n{record}exec {BARE_PYTHON} -S "$@"\n')


def clean_env(**extra: str) -> dict[str, str]:
    """The environment a router's cron or firewall hook gives: no Python variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ROUTER_WG_"))}
    env.pop("VIRTUAL_ENV", None)
    env.update(extra)
    return env
