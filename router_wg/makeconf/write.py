"""Putting the record and the bundles on disk: atomic, private from the first byte.

The default output folder sits in /tmp, where any local user may have made `wireguard` first,
or left a link there or inside it to catch the keys. So the folder is opened once, without
following a link, and checked on that descriptor: it must be ours and nobody else may write to
it. Every later step works relative to that descriptor and never follows a link; a link where
makeconf would write is refused before anything is written.

Every file goes through `router_wg.files.write_atomic` relative to its folder's descriptor: a
temporary name in that folder, created with its final mode (0600 for anything holding a key),
fsynced, then renamed over the old one: a crash leaves either the old file or the new one,
never half of one. Each folder is fsynced once its files are in. Folders are 0700: the
output holds keys.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

from router_wg.bundle.site import SITE_FILE
from router_wg.errors import UserError
from router_wg.files import temporary_name, write_atomic

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
FOLDER_MODE = 0o700
RECORD_FILE = "mesh.toml"
OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # a FIFO must not hang us
OTHER_OUT = "remove it or pass --out DIR"


class OutputFolder:
    """The output folder, opened once (or still to be made); every write goes through it."""

    def __init__(self, path: Path, descriptor: int | None):
        self.path = path
        self.descriptor = descriptor  # None: the folder does not exist yet

    @classmethod
    def open(cls, path: Path) -> OutputFolder:
        """Refuse a folder that is a link or that someone else owns or may write to."""
        try:
            descriptor = os.open(path, OPEN_FOLDER)
        except FileNotFoundError:
            return cls(path, None)
        except OSError as exc:
            raise _not_a_folder(path, exc) from None
        try:
            _check_private(descriptor, path)
        except BaseException:
            os.close(descriptor)
            raise
        return cls(path, descriptor)

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None

    def read_record(self) -> bytes | None:
        """The bytes of OUT/mesh.toml, or None if there is none (or no folder yet)."""
        if self.descriptor is None:
            return None
        return _read_file(self.descriptor, self.path, RECORD_FILE)

    def write(self, record: str, bundles: dict[str, dict[str, str]]) -> list[str]:
        """Check every place first, then write the record and one folder per site.

        Return notes for the report (folders made private)."""
        if self.descriptor is None:
            self.descriptor = _make_folder(self.path)
        sites: dict[str, int | None] = {}  # fqdn -> its open folder, None while still to be made
        try:
            _check_names(self.descriptor, self.path, [RECORD_FILE])
            for fqdn, files in bundles.items():
                sites[fqdn] = _open_site(self.descriptor, self.path / fqdn, list(files))
            notes = _make_private(self.descriptor, self.path)
            for fqdn, site in sites.items():
                notes += [] if site is None else _make_private(site, self.path / fqdn)
            with _naming(self.path):
                write_atomic(RECORD_FILE, record, mode=SECRET_MODE, dir_fd=self.descriptor)
            for fqdn, files in bundles.items():
                if sites[fqdn] is None:
                    sites[fqdn] = _make_site(self.descriptor, self.path / fqdn)
                _write_bundle(sites[fqdn], self.path / fqdn, files)
            with _naming(self.path):
                os.fsync(self.descriptor)
        finally:
            for site in sites.values():
                if site is not None:
                    os.close(site)
        return notes

    def remove_bundle(self, fqdn: str) -> str:
        """Remove a departed site's folder if it is one of ours; say what happened."""
        folder = self.path / fqdn
        entry = _entry(self.descriptor, fqdn)
        if entry is not None and stat.S_ISLNK(entry.st_mode):
            return f"left {folder} alone: it is a symbolic link, and makeconf follows none"
        if entry is None or not stat.S_ISDIR(entry.st_mode):
            return f"no folder {folder} to remove"
        with _opened(self._open_folder(fqdn)) as site, _naming(folder):
            interface = _bundle_interface(site, fqdn)
            if interface is None:
                return f"left {folder} alone: it does not hold a router-wg bundle for {fqdn}"
            for name in (f"{interface}.conf", SITE_FILE):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name, dir_fd=site)
        try:
            os.rmdir(fqdn, dir_fd=self.descriptor)
        except OSError:
            return f"removed the bundle files from {folder}; other files there were left alone"
        return f"removed its bundle {folder}"

    def remove_old_wireguard_file(self, fqdn: str, old_interface: str) -> None:
        """After an interface rename, the old `<interface>.conf` would sit beside the new one."""
        with (
            _opened(self._open_folder(fqdn)) as site,
            _naming(self.path / fqdn),
            contextlib.suppress(FileNotFoundError),
        ):
            os.unlink(f"{old_interface}.conf", dir_fd=site)

    def _open_folder(self, name: str) -> int:
        with _naming(self.path):
            return os.open(name, OPEN_FOLDER, dir_fd=self.descriptor)


# -- checks ---------------------------------------------------------------------------------


def _check_private(descriptor: int, path: Path) -> None:
    """Ours, and nobody else may write to it (so nobody else can have put anything in it)."""
    info = os.fstat(descriptor)
    if info.st_uid != os.geteuid():
        raise UserError(
            f"refusing to write keys into {path}: it belongs to {_user_name(info.st_uid)} (uid "
            f"{info.st_uid}), not to you ({_user_name(os.geteuid())}), so its owner could read "
            f"them or swap files there; {OTHER_OUT}"
        )
    if info.st_mode & 0o022:
        raise UserError(
            f"refusing to write keys into {path}: other users may write to it (mode "
            f"{stat.S_IMODE(info.st_mode):04o}) and may have put files or links there; "
            f"{OTHER_OUT}"
        )


def _make_private(descriptor: int, path: Path) -> list[str]:
    """Ours and not writable by others, but maybe readable: close it before keys go in."""
    mode = stat.S_IMODE(os.fstat(descriptor).st_mode)
    if mode == FOLDER_MODE:
        return []
    os.fchmod(descriptor, FOLDER_MODE)
    return [f"made {path} private (mode {mode:04o} -> {FOLDER_MODE:04o}): it holds keys"]


def _not_a_folder(path: Path, exc: OSError) -> UserError:
    with contextlib.suppress(OSError):
        if path.is_symlink():
            return UserError(
                f"refusing to write keys into {path}: it is a symbolic link (to "
                f"{os.readlink(path)}), perhaps planted to catch them; {OTHER_OUT}"
            )
    if isinstance(exc, NotADirectoryError) and path.exists():
        return UserError(f"cannot write {path}: it is a file, not a folder; {OTHER_OUT}")
    return UserError(f"cannot write {path}: {exc.strerror}; fix that or pass --out DIR")


def _open_site(out: int, path: Path, names: list[str]) -> int | None:
    """A site's folder, opened and checked like the output folder; None if still to be made."""
    entry = _entry(out, path.name)
    if entry is None:
        return None
    if stat.S_ISLNK(entry.st_mode) or not stat.S_ISDIR(entry.st_mode):
        what = "a symbolic link" if stat.S_ISLNK(entry.st_mode) else "not a folder"
        raise UserError(
            f"refusing to write {path}: it is {what}, and makeconf writes keys only into "
            "folders it can trust; move it away and run makeconf again"
        )
    with _naming(path.parent):
        descriptor = os.open(path.name, OPEN_FOLDER, dir_fd=out)
    try:
        _check_private(descriptor, path)
        _check_names(descriptor, path, names)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _make_site(out: int, path: Path) -> int:
    with _naming(path.parent):
        os.mkdir(path.name, FOLDER_MODE, dir_fd=out)
        return os.open(path.name, OPEN_FOLDER, dir_fd=out)


def _check_names(folder: int, path: Path, names: list[str]) -> None:
    """Each file to write, and its temporary name, is missing or a plain file: never a link."""
    for name in names:
        for candidate in (name, temporary_name(name)):
            entry = _entry(folder, candidate)
            if entry is not None and not stat.S_ISREG(entry.st_mode):
                what = "a symbolic link" if stat.S_ISLNK(entry.st_mode) else "not a plain file"
                raise UserError(
                    f"refusing to write {path / candidate}: it is {what}, and makeconf "
                    "replaces only plain files there; move it away and run makeconf again"
                )


# -- descriptor-relative file operations ----------------------------------------------------


def _make_folder(path: Path) -> int:
    """Make the missing output folder ourselves, 0700, and open it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    with _opened(parent):
        try:
            os.mkdir(path.name, FOLDER_MODE, dir_fd=parent)
        except FileExistsError:
            raise UserError(
                f"{path} appeared while makeconf was running; check who made it and run "
                "makeconf again"
            ) from None
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        descriptor = os.open(path.name, OPEN_FOLDER, dir_fd=parent)
        os.fsync(parent)
    os.fchmod(descriptor, FOLDER_MODE)  # exactly 0700, whatever the umask took away
    return descriptor


def _write_bundle(site: int, path: Path, files: dict[str, str]) -> None:
    with _naming(path):
        for name, text in files.items():
            mode = PUBLIC_MODE if name == SITE_FILE else SECRET_MODE
            write_atomic(name, text, mode=mode, dir_fd=site)
        os.fsync(site)


def _read_file(folder: int, path: Path, name: str) -> bytes | None:
    """A plain file's bytes, None if missing; a link or anything else is refused."""
    entry = _entry(folder, name)
    if entry is None:
        return None
    with _naming(path):
        data = _read_plain(folder, name) if stat.S_ISREG(entry.st_mode) else None
    if data is None:
        what = "a symbolic link" if stat.S_ISLNK(entry.st_mode) else "not a plain file"
        raise UserError(
            f"refusing to read {path / name}: it is {what}, and makeconf follows none; "
            "move it away (put the real record there) and run makeconf again"
        )
    return data


def _read_plain(folder: int, name: str) -> bytes | None:
    """The bytes of a plain file, opened without following a link; None if it is not one."""
    with os.fdopen(os.open(name, OPEN_FILE, dir_fd=folder), "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return None
        return stream.read()


def _bundle_interface(site: int, fqdn: str) -> str | None:
    """The interface named by the folder's wg.conf if it is our bundle for this fqdn, else None."""
    try:
        found = tomllib.loads((_read_plain(site, SITE_FILE) or b"").decode("utf-8"))["site"]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    if not isinstance(found, dict) or found.get("fqdn") != fqdn:
        return None
    interface = found.get("interface")
    return interface if isinstance(interface, str) and "/" not in interface else None


def _entry(folder: int | None, name: str) -> os.stat_result | None:
    if folder is None:
        return None
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


@contextlib.contextmanager
def _opened(descriptor: int) -> Iterator[int]:
    try:
        yield descriptor
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _naming(folder: Path) -> Iterator[None]:
    """Errors from descriptor-relative calls carry a bare name: give them the whole path."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None or os.path.isabs(str(exc.filename)):
            raise
        raise OSError(exc.errno, exc.strerror, str(folder / str(exc.filename))) from None
