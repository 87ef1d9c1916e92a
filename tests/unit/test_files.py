"""The one atomic writer every file of router-wg goes through: the new file has its mode from
its first byte, and a write that fails leaves the old file whole and no temporary behind."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from router_wg.files import temporary_name, write_atomic

OLD = "old text\n"


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.fixture
def no_umask():
    """A umask of 0: the mode a file ends with is then what it was created with."""
    saved = os.umask(0)
    yield
    os.umask(saved)


def test_a_key_file_is_0600_from_its_first_byte_and_never_chmodded(
    tmp_path: Path, monkeypatch, no_umask
) -> None:
    target = tmp_path / "wg0.conf"
    target.write_text(OLD)
    target.chmod(0o644)
    seen = []  # (mode, content) of the new file when it is synced, before the rename
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        info = os.fstat(descriptor)
        if stat.S_ISREG(info.st_mode):
            seen.append(
                (stat.S_IMODE(info.st_mode), Path(f"/proc/self/fd/{descriptor}").read_bytes())
            )
        real_fsync(descriptor)

    def no_chmod(*args, **kwargs):
        raise AssertionError("the mode must come with the file, not after it")

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(os, "fchmod", no_chmod)
    write_atomic(target, "PrivateKey = secret\n", mode=0o600)
    assert seen == [(0o600, b"PrivateKey = secret\n")]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() == "PrivateKey = secret\n"
    assert listing(tmp_path) == ["wg0.conf"]


@pytest.mark.parametrize(
    ("step", "error"),
    [
        ("fsync", OSError(errno.ENOSPC, "No space left on device")),
        ("fsync", KeyboardInterrupt()),
        ("replace", OSError(errno.EIO, "Input/output error")),
    ],
    ids=["disk full", "ctrl-c", "rename fails"],
)
def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch, step: str, error: BaseException
) -> None:
    target = tmp_path / "state.json"
    target.write_text(OLD)

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(os, step, fail)
    with pytest.raises(type(error)):
        write_atomic(target, "new text\n", mode=0o644)
    monkeypatch.undo()
    assert target.read_text() == OLD
    assert listing(tmp_path) == ["state.json"]


def test_a_file_too_big_for_its_place_fails_with_the_old_file_intact(tmp_path: Path) -> None:
    """A real full place: the process may not write files longer than 64 bytes."""
    target = tmp_path / "crontab"
    target.write_text(OLD)
    script = (
        "import resource, signal, sys\n"
        "from router_wg.files import write_atomic\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (64, resource.RLIM_INFINITY))\n"
        "write_atomic(sys.argv[1], 'x' * 4096, mode=0o644)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(target)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1 and "File too large" in done.stderr, done.stderr
    assert target.read_text() == OLD
    assert listing(tmp_path) == ["crontab"]


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    write_atomic(tmp_path / "rp_filter.json", b'{"tinc": 1}\n', mode=0o644)
    assert (tmp_path / "rp_filter.json").read_bytes() == b'{"tinc": 1}\n'
    assert listing(tmp_path) == ["rp_filter.json"]


@pytest.mark.parametrize("unique", [True, False], ids=["per process", "fixed"])
def test_a_killed_writers_temporary_is_replaced_not_kept(tmp_path: Path, unique: bool) -> None:
    target = tmp_path / "watchdog.json"
    leftover = tmp_path / temporary_name(target.name, unique=unique)
    leftover.write_text("half a fi")
    write_atomic(target, "{}\n", mode=0o644, unique_temporary=unique)
    assert target.read_text() == "{}\n"
    assert listing(tmp_path) == ["watchdog.json"]


def test_a_link_at_the_temporary_name_is_not_followed(tmp_path: Path) -> None:
    bait = tmp_path / "elsewhere" / "key"
    bait.parent.mkdir()
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / temporary_name("wg0.conf")).symlink_to(bait)
    write_atomic(folder / "wg0.conf", "secret\n", mode=0o600)
    assert not bait.exists()
    assert (folder / "wg0.conf").read_text() == "secret\n"
    assert listing(folder) == ["wg0.conf"]


def test_a_name_relative_to_an_open_folder(tmp_path: Path) -> None:
    descriptor = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        write_atomic("mesh.toml", "[mesh]\n", mode=0o600, dir_fd=descriptor, sync_folder=True)
    finally:
        os.close(descriptor)
    assert (tmp_path / "mesh.toml").read_text() == "[mesh]\n"
    assert listing(tmp_path) == ["mesh.toml"]


def test_sync_folder_syncs_the_folder_once_the_new_name_is_in_it(
    tmp_path: Path, monkeypatch
) -> None:
    target = tmp_path / "router-wg.nft"
    synced = []  # (a folder?, the new text in place yet?)
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append((stat.S_ISDIR(os.fstat(descriptor).st_mode), target.exists()))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomic(target, "chain\n", mode=0o644, sync_folder=True)
    assert synced == [(False, False), (True, True)]
    synced.clear()
    write_atomic(target, "chain\n", mode=0o644)
    assert synced == [(False, True)]  # the file only
