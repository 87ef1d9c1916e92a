"""The OpenWrt package: the archive opkg reads, its control fields, and router-wg run from a
fresh root where the package was unpacked as opkg does, with a bare python3 (standard library
only: no jinja2, no cryptography)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile

import pytest
from pkg_layout import expected
from pkgtools import (
    BARE_PYTHON,
    HOST_ONLY,
    REPO,
    VERSION,
    build,
    clean_env,
    inner_tar,
    members,
    require,
)

# Host only: archive contents and commands run from the package on a bare python are the
# same bytes and logic anywhere; the guest installs the ipk and starts and stops a router from
# it in test_ipk_guest.py (postinst included, through conftest's opkg_root).
pytestmark = pytest.mark.host_only
IPK = f"router-wg_{VERSION}_all.ipk"
BUSYBOX = shutil.which("busybox") or "busybox"
ROUTER_VERBS = ["start", "stop", "plan", "show", "check", "watch"]


def last_commit_time() -> int:
    done = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%ct"], **TEXT)
    return int(done.stdout)


TEXT = {"capture_output": True, "text": True, "timeout": 60}


def control_fields(built) -> dict[str, str]:
    with inner_tar(built / IPK, "./control.tar.gz") as control:
        text = control.extractfile("./control").read().decode()
    fields, key = {}, None
    for line in text.splitlines():
        if line.startswith(" "):
            fields[key] += "\n" + line.strip()
        else:
            key, _, value = line.partition(": ")
            fields[key] = value
    return fields


def test_outer_archive_is_a_gzip_tar_as_ipkg_build_makes(built):
    with tarfile.open(built / IPK, "r:gz") as outer:
        names = outer.getnames()
        assert names == ["./debian-binary", "./data.tar.gz", "./control.tar.gz"]
        assert outer.extractfile("./debian-binary").read() == b"2.0\n"


def test_control_fields(built):
    fields = control_fields(built)
    assert fields["Package"] == "router-wg"
    assert fields["Version"] == VERSION
    assert fields["Architecture"] == "all"
    assert fields["Maintainer"]
    assert "python3-cryptography" in fields["Description"]  # what makeconf would need
    depends = [d.strip() for d in fields["Depends"].split(",")]
    assert {"python3", "wireguard-tools", "kmod-wireguard"} <= set(depends)
    assert not [d for d in depends if "jinja" in d or "cryptography" in d]
    with inner_tar(built / IPK, "./data.tar.gz") as data:
        unpacked_size = sum(m.size for m in data.getmembers())
    assert 0 < unpacked_size <= int(fields["Installed-Size"])


def test_maintainer_scripts_are_executable_sh(built):
    require("busybox")
    with inner_tar(built / IPK, "./control.tar.gz") as control:
        entries = members(control)
        assert sorted(entries) == [".", "./control", "./postinst", "./prerm"]
        for name in ("./postinst", "./prerm"):
            assert entries[name].mode == 0o755
            script = control.extractfile(name).read()
            assert script.startswith(b"#!/bin/sh\n")
            check = subprocess.run([BUSYBOX, "sh", "-n"], input=script, capture_output=True)
            assert check.returncode == 0, check.stderr


def test_data_holds_the_openwrt_layout(built):
    with inner_tar(built / IPK, "./data.tar.gz") as data:
        entries = {m.name.removeprefix("./"): m for m in data.getmembers()}
    assert entries.pop(".").isdir()
    assert {p: e.mode for p, e in entries.items()} == expected("openwrt")


@HOST_ONLY
@pytest.mark.parametrize("archive", [IPK, f"./data.tar.gz in {IPK}", f"router-wg-{VERSION}.tar.gz"])
def test_archives_are_reproducible_entries(built, archive):
    """Owned by 0:0, dated by the last commit, no bytecode."""
    epoch = last_commit_time()
    if archive.startswith("./data"):
        opened = inner_tar(built / IPK, "./data.tar.gz")
    else:
        opened = tarfile.open(built / archive, "r:gz")  # noqa: SIM115 (closed just below)
    with opened:
        for entry in opened.getmembers():
            assert (entry.uid, entry.gid, entry.uname, entry.gname) == (0, 0, "", ""), entry.name
            assert entry.mtime == epoch, entry.name
            assert "__pycache__" not in entry.name and not entry.name.endswith(".pyc")


@HOST_ONLY
def test_a_second_build_is_byte_identical(built, tmp_path):
    again = build(tmp_path, "ipk", "dist")
    for name in (IPK, f"router-wg-{VERSION}.tar.gz"):
        first = hashlib.sha256((built / name).read_bytes()).hexdigest()
        assert hashlib.sha256((again / name).read_bytes()).hexdigest() == first, name


@pytest.fixture
def router_root(opkg_root):
    """The root where the package was installed as opkg does, and the environment of a
    router's shell there: BusyBox applets and the root's /usr/bin (python3 with the standard
    library only)."""
    env = clean_env(
        ROUTER_WG_ROOT=str(opkg_root.root), PATH=f"{opkg_root.root}/usr/bin:{opkg_root.tools}"
    )
    return opkg_root.root, env


def test_postinst_enables_the_init_script_in_an_image_being_built(opkg_root):
    """opkg_root ran postinst as the image builder does (IPKG_INSTROOT): the init script is
    linked into that root's rc.d by its START and STOP, so the router starts it at boot."""
    rc_d = opkg_root.root / "etc" / "rc.d"
    links = {path.name: os.readlink(path) for path in rc_d.iterdir()}
    assert links == {"S99router-wg": "../init.d/router-wg", "K10router-wg": "../init.d/router-wg"}


def test_sysupgrade_keeps_every_file_of_the_bundle(opkg_root):
    """sysupgrade's own list of what it keeps (add_uci_conffiles: every path of
    /lib/upgrade/keep.d/*, blank and comment lines dropped, handed to find), the paths
    prefixed with the root: both bundle files, whatever the interface is called."""
    require("busybox")
    root, bundle = opkg_root.root, opkg_root.root / "etc" / "router-wg"
    listing = (
        'cd "$1" && find $(sed -ne "/^[[:space:]]*$/d; /^#/d; s|^|$1|p" lib/upgrade/keep.d/*)'
        " -type f -o -type l"
    )
    names = ["wg.conf", "wgmesh.conf"]
    try:
        for name in names:
            (bundle / name).write_text("# a bundle file\n")
        done = subprocess.run([BUSYBOX, "sh", "-c", listing, "sh", str(root)], **TEXT)
        assert done.returncode == 0, done.stderr
        assert sorted(done.stdout.split()) == [str(bundle / name) for name in names]
    finally:
        for name in names:  # the root is shared by the session
            (bundle / name).unlink(missing_ok=True)


def run_wrapper(root, env, *args: str):
    """/usr/bin/router-wg under BusyBox ash, from the root's / (not from this repo)."""
    argv = [BUSYBOX, "sh", f"{root}/usr/bin/router-wg", *args]
    return subprocess.run(argv, env=env, cwd=root, **TEXT)


def run_python(root, code: str):
    lib = root / "usr" / "share" / "router-wg" / "lib"
    env = clean_env(PYTHONPATH=str(lib))
    argv = [str(BARE_PYTHON), "-S", "-B", "-c", code]
    return subprocess.run(argv, env=env, cwd=root, **TEXT)


def test_bare_python_imports_router_wg_and_pyroute2_from_the_package(router_root):
    root, _ = router_root
    code = "import router_wg, pyroute2; print(router_wg.__file__, pyroute2.__file__)"
    done = run_python(root, code)
    assert done.returncode == 0, done.stderr
    lib = root / "usr" / "share" / "router-wg" / "lib"
    assert done.stdout.split() == [f"{lib}/router_wg/__init__.py", f"{lib}/pyroute2/__init__.py"]


@pytest.mark.parametrize("module", ["jinja2", "cryptography"])
def test_the_bare_python_really_lacks_makeconf_libraries(router_root, module):
    """Without this the --help tests below would prove nothing."""
    done = run_python(router_root[0], f"import {module}")
    assert "ModuleNotFoundError" in done.stderr


@pytest.mark.parametrize("verb", ROUTER_VERBS)
def test_router_commands_run_from_the_package_without_makeconf_libraries(router_root, verb):
    root, env = router_root
    lib = root / "usr" / "share" / "router-wg" / "lib"
    done = run_wrapper(root, env, verb, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: router-wg {verb}")
    # bytecode went to RAM (the re-rooted /tmp), never into the package's files
    assert not list(lib.rglob("__pycache__"))
    assert list((root / "tmp" / "router-wg" / "pycache").rglob("*.pyc"))


def test_top_level_help_runs_from_the_package(router_root):
    root, env = router_root
    done = run_wrapper(root, env, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: router-wg")
