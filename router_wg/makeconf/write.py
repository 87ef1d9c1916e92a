"""Putting the record and the bundles on disk: atomic, private from the first byte.

Every file goes to a temporary name in its own folder, created with its final mode (0600 for
anything holding a key), is fsynced, then renamed over the old one: a crash leaves either the
old file or the new one, never half of one. Folders are created 0700: the output holds keys.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from pathlib import Path

from router_wg.site import SITE_FILE

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
RECORD_FILE = "mesh.toml"


def write_atomic(path: Path, text: str, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_output(out_dir: Path, record: str, bundles: dict[str, dict[str, str]]) -> None:
    """Record first (it holds the keys the bundles use), then one folder per site."""
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(out_dir / RECORD_FILE, record, SECRET_MODE)
    for fqdn, files in bundles.items():
        folder = out_dir / fqdn
        folder.mkdir(mode=0o700, exist_ok=True)
        for name, text in files.items():
            write_atomic(folder / name, text, PUBLIC_MODE if name == SITE_FILE else SECRET_MODE)
        _sync_folder(folder)
    _sync_folder(out_dir)


def _bundle_interface(folder: Path) -> str | None:
    """The interface named by the folder's wg.conf if it is our bundle for this fqdn, else None."""
    try:
        site = tomllib.loads((folder / SITE_FILE).read_text(encoding="utf-8"))["site"]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    if not isinstance(site, dict) or site.get("fqdn") != folder.name:
        return None
    interface = site.get("interface")
    return interface if isinstance(interface, str) and "/" not in interface else None


def remove_bundle(out_dir: Path, fqdn: str) -> str:
    """Remove a departed site's folder if it is one of ours; say what happened."""
    folder = out_dir / fqdn
    if folder.is_symlink() or not folder.is_dir():
        return f"no folder {folder} to remove"
    interface = _bundle_interface(folder)
    if interface is None:
        return f"left {folder} alone: it does not hold a router-wg bundle for {fqdn}"
    for name in (f"{interface}.conf", SITE_FILE):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    try:
        folder.rmdir()
    except OSError:
        return f"removed the bundle files from {folder}; other files there were left alone"
    return f"removed its bundle {folder}"


def remove_old_wireguard_file(out_dir: Path, fqdn: str, old_interface: str) -> None:
    """After an interface rename, the old `<interface>.conf` would sit beside the new one."""
    with contextlib.suppress(FileNotFoundError):
        (out_dir / fqdn / f"{old_interface}.conf").unlink()
