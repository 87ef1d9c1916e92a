"""What the packaging tests share: building, reading archives, a router-like PATH, stand-ins.

The archives are built with the project's own `make ipk dist` into a temporary PKG_OUT,
so a test run never touches out/ (except the cached pyroute2 wheel). The ARM guest has no
make: there the tests use the archives `make qemu-test` built into out/ before booting it.
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
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
# What the wrapper may call: BusyBox applets (FreshTomato has them all).
APPLETS = ("sh", "dirname", "readlink", "date", "sleep", "mkdir", "rm", "cat", "ln")
# The interpreter behind the venv: no site-packages of ours with -S.
BARE_PYTHON = Path(sys.base_prefix) / "bin" / f"python3.{sys.version_info.minor}"


# Where the guest finds the archives the host built (the tree is /mnt/tree there).
PREBUILT = REPO / "out"
ARCHIVES = (f"router-wg-{VERSION}.tar.gz", f"router-wg_{VERSION}_all.ipk")


def in_arm_guest() -> bool:
    """The qemu guest of qemu/run-tests, which boots with its own init (qemu/image/init)."""
    try:
        return "init=/sbin/router-wg-init" in Path("/proc/cmdline").read_text()
    except OSError:
        return False


IN_GUEST = in_arm_guest()
# The build itself (reproducible archives, `make install`) is checked where it runs: the ARM
# guest has no make. Anywhere else a missing make fails (require), it is never skipped.
HOST_ONLY = pytest.mark.skipif(
    IN_GUEST,
    reason="host only: needs make, which the ARM guest lacks (the build is checked on the host)",
)


def require(*programs: str) -> None:
    """Fails naming `make deps` when a program it installs is missing: never a skip."""
    missing = [program for program in programs if shutil.which(program) is None]
    if missing:
        pytest.fail(f"not installed: {', '.join(missing)} (`make deps` installs it)", pytrace=False)


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


class StaleArchives(UserWarning):
    """The prebuilt archives differ from the tree the guest sees."""


def prebuilt(out: Path = PREBUILT) -> Path:
    """The archives in `out` that `make qemu-test` built on the host. Missing ones fail the
    tests that use them (never a silent skip). Ones that differ from this tree's wrapper or
    router_wg give a warning in the summary, not a failure: in a tree being edited while the
    guest boots they differ for good reasons, and they hold what the build saw."""
    missing = [name for name in ARCHIVES if not (out / name).is_file()]
    if missing:
        pytest.fail(
            f"no make here, and {', '.join(missing)} missing in {out}: `make qemu-test` builds "
            "the archives on the host before the guest boots (or run `make dist ipk` there)",
            pytrace=False,
        )
    dist, ipk = (out / name for name in ARCHIVES)
    with tarfile.open(dist, "r:gz") as archive:
        stale = differences(archive, "router-wg/router-wg.sh", "router-wg/lib/router_wg")
    with inner_tar(ipk, "./data.tar.gz") as archive:
        stale += differences(
            archive, "./usr/share/router-wg/router-wg.sh", "./usr/share/router-wg/lib/router_wg"
        )
    if stale:
        warnings.warn(
            f"the archives in {out} differ from this tree ({', '.join(stale[:5])}): they hold "
            "the tree as `make qemu-test` built it; run it again to test newer code",
            StaleArchives,
            stacklevel=2,
        )
    return out


def differences(archive: tarfile.TarFile, wrapper: str, package: str) -> list[str]:
    """Tree files whose copy in the archive differs or is missing (the wrapper at `wrapper`,
    router_wg under `package`), and archived router_wg files the tree no longer has."""
    packed = {m.name: m for m in archive.getmembers() if m.isfile()}
    wanted = {wrapper: REPO / "files" / "jffs" / "router-wg" / "router-wg.sh"}
    for path in (REPO / "router_wg").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            wanted[f"{package}/{path.relative_to(REPO / 'router_wg')}"] = path
    stale = [name for name in packed if name.startswith(f"{package}/") and name not in wanted]
    for name, source in wanted.items():
        if name not in packed or archive.extractfile(name).read() != source.read_bytes():
            stale.append(name)
    return stale


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


def opkg_install(ipk: Path, root: Path, tools: Path) -> Path:
    """Installs the package into the fresh `root` as opkg does when it installs into a root
    other than / (`opkg -o ROOT`, OpenWrt's image builder): data.tar.gz from the outer archive
    extracted at the root; the control files kept as usr/lib/opkg/info/router-wg.<name>
    beside the .list of installed files; then postinst run as opkg runs it,
    `/bin/sh -c "<script> configure"` (here BusyBox ash, as on OpenWrt) with IPKG_INSTROOT
    naming the root. `tools` is the PATH of BusyBox applets the script gets. Returns the info
    folder."""
    info = root / "usr" / "lib" / "opkg" / "info"
    info.mkdir(parents=True)
    with tarfile.open(ipk, "r:gz") as outer:
        data = outer.extractfile("./data.tar.gz").read()
        control = outer.extractfile("./control.tar.gz").read()
    unpack = [shutil.which("busybox"), "tar", "-xzf", "-", "-C", str(root)]
    subprocess.run(unpack, input=data, check=True, timeout=120)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        files = [m.name.removeprefix(".") for m in archive.getmembers() if not m.isdir()]
    (info / "router-wg.list").write_text("".join(f"{name}\n" for name in files))
    with tarfile.open(fileobj=io.BytesIO(control), mode="r:gz") as archive:
        for member in archive.getmembers():
            if member.isfile():
                script = info / f"router-wg.{member.name.removeprefix('./')}"
                script.write_bytes(archive.extractfile(member).read())
                script.chmod(member.mode)
    env = clean_env(IPKG_INSTROOT=str(root), PKG_ROOT=str(root), PKG_UPGRADE="0", PATH=str(tools))
    postinst = [shutil.which("busybox"), "sh", "-c", f"{info}/router-wg.postinst configure"]
    done = subprocess.run(postinst, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"postinst failed: {done.stdout}{done.stderr}"
    return info


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
        pytest.fail(f"{BARE_PYTHON} (the interpreter behind the venv) is missing", pytrace=False)
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
