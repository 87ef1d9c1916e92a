"""fw4's nftables through `nft`: one `nft -a list table inet fw4` to observe, one
`nft -f -` transaction to change (atomic), and our files in fw4's include folders
(/usr/share/nftables.d, re-rooted by Paths), written atomically and only when they differ.
"""

from __future__ import annotations

from pathlib import Path

from router_wg.backends.runner import Runner
from router_wg.errors import CommandError, UserError
from router_wg.files import write_atomic

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
    """Atomic: fw4 never reads half a file. The folder is persistent (flash), so synced too."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text, mode=0o644, sync_folder=True)


def remove_include(folder: Path, name: str) -> None:
    """The file only: its folder may hold others' files, and an empty one is harmless."""
    (folder / name).unlink(missing_ok=True)
