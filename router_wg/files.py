"""Writing a file so that a reader, a crash or a power cut sees the old file or the new one,
never half of one, and nobody sees it with a wider mode than it ends with.

Every writer of router-wg goes through `write_atomic`. Standard library only.
"""

from __future__ import annotations

import contextlib
import os

CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def temporary_name(name: str, *, unique: bool = True) -> str:
    """The name `write_atomic` writes `name`'s new text under, in the same folder."""
    return f".{name}.{os.getpid()}.tmp" if unique else f".{name}.tmp"


def write_atomic(
    path: str | os.PathLike[str],
    data: str | bytes,
    *,
    mode: int,
    dir_fd: int | None = None,
    sync_folder: bool = False,
    unique_temporary: bool = True,
) -> None:
    """Replace `path` with `data` (text is written as UTF-8).

    The new text goes to a temporary file in the same folder, created with `mode` (less what
    the umask takes away) and never changed after: a key file is 0600 from its first byte.
    It is fsynced, then renamed over `path`. On any failure, a Ctrl-C included, the
    temporary is removed and `path` is left as it was.

    `dir_fd`: `path` is relative to this open folder, as in `os.open`. `sync_folder`: fsync
    the folder after the rename, so the new name itself survives a power cut (persistent
    storage; /tmp needs none). `unique_temporary=False` names the temporary without the pid:
    only for a writer that holds the lock excluding every other writer of `path`, so a
    write killed outright (SIGKILL) leaves a file the next write replaces, not litter.
    """
    folder, name = os.path.split(os.fspath(path))
    temporary = os.path.join(folder, temporary_name(name, unique=unique_temporary))
    content = data.encode("utf-8") if isinstance(data, str) else data
    try:
        descriptor = _create(temporary, mode, dir_fd)
        with open(descriptor, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):  # none made, or a read-only place: the cause counts
            os.unlink(temporary, dir_fd=dir_fd)
        raise
    if sync_folder:
        _sync_folder(folder, dir_fd)


def _create(temporary: str, mode: int, dir_fd: int | None) -> int:
    """A new file, never an old one nor what a link points to. A leftover of the same name
    can only be a temporary of ours whose writer was killed: it is replaced."""
    try:
        return os.open(temporary, CREATE, mode, dir_fd=dir_fd)
    except FileExistsError:
        os.unlink(temporary, dir_fd=dir_fd)
        return os.open(temporary, CREATE, mode, dir_fd=dir_fd)


def _sync_folder(folder: str, dir_fd: int | None) -> None:
    if dir_fd is not None and not folder:
        os.fsync(dir_fd)
        return
    descriptor = os.open(folder or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
