"""fw4's nftables through `nft`: one `nft -a list table inet fw4` to observe, one
`nft -f -` transaction to change (atomic), and our files in fw4's include folders
(/usr/share/nftables.d, re-rooted by Paths), written atomically and only when they differ.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from router_wg.backends.runner import Runner
from router_wg.errors import CommandError, UserError

NFT = "nft"
FW4_TABLE = ("inet", "fw4")


def list_table(runner: Runner) -> str:
    """The table with handles; "" when there is no such table (fw4 not loaded yet)."""
    try:
        return runner.run([NFT, "-a", "list", "table", *FW4_TABLE]).stdout
    except CommandError as exc:
        if "No such file or directory" in exc.stderr:
            return ""
        if exc.returncode == 127:
            raise UserError(
                "fw4 is this router's firewall, but there is no `nft` on PATH: install "
                "nftables (opkg install nftables), or set ROUTER_WG_FIREWALL=iptables"
            ) from None
        raise


def apply(runner: Runner, transaction: str) -> None:
    """All of it or nothing: nft -f checks and commits the whole text as one batch."""
    runner.run([NFT, "-f", "-"], secret_input=transaction)


def read_includes(folder: Path, names) -> dict[str, str | None]:
    """name (relative to `folder`) -> its text, None where there is no such file."""
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = (folder / name).read_text()
        except (FileNotFoundError, NotADirectoryError):
            found[name] = None
    return found


def write_include(folder: Path, name: str, text: str) -> None:
    """Temp file in the same folder, fsync, rename: fw4 never reads half a file."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def remove_include(folder: Path, name: str) -> None:
    """The file only: its folder may hold others' files, and an empty one is harmless."""
    (folder / name).unlink(missing_ok=True)
