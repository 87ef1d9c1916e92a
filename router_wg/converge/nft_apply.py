"""How the applier does fw4's actions (see kinds.py): all of a run's go out as one batch,
one `nft -f -` transaction (atomic: nft checks every rule before it commits any), then our
files in fw4's include folders, written only once nft took the very same rules. Undone
together: the files as they were, then the inverse transaction.
"""

from __future__ import annotations

import contextlib
import logging

from router_wg.backends import nftables
from router_wg.converge import actions as a
from router_wg.converge.nft_transaction import inverse, rejection, transaction
from router_wg.converge.system import System, observe_fw4
from router_wg.errors import CommandError, UserError

log = logging.getLogger("router_wg")


def fw4_transaction(action) -> str:
    """The batch a fw4 action joins: the run's one `nft -f -`, then its include files."""
    return "fw4"


def _nft_apply(live: list[a.Action], system: System) -> None:
    if not live:
        return
    done = transaction(live)
    log.info("nft -f - <<\n%s", done.text.rstrip())
    try:
        nftables.apply(system.runner, done.text)
    except CommandError as exc:
        raise UserError(rejection(exc.stderr, done)) from None


def _nft_undo_live(live: list[a.Action], system: System) -> None:
    if live:  # a jump this run inserted is known by its handle only now
        _nft_apply(inverse(live, observe_fw4(system)), system)


def _write_includes(files: list[a.Action], system: System, *, undo: bool = False) -> None:
    """Each file as the batch wants it, or with `undo` as it was before (None: absent)."""
    folder = system.paths.nftables_includes
    for x in files:
        text = x.previous if undo else _wanted_text(x)
        if text is None:
            nftables.remove_include(folder, x.path)
        else:
            nftables.write_include(folder, x.path, text)


def _wanted_text(x: a.Action) -> str | None:
    return x.text if isinstance(x, a.WriteNftInclude) else None


def fw4_do(batch: list[a.Action], system: System) -> None:
    """Live first (nft checks every rule), the files fw4 re-reads only once nft took the
    same rules; a file that cannot be written undoes the live part and the files."""
    live = [x for x in batch if isinstance(x, a.NFT_LIVE_ACTIONS)]
    files = [x for x in batch if isinstance(x, a.NFT_INCLUDE_ACTIONS)]
    _nft_apply(live, system)
    try:
        _write_includes(files, system)
    except OSError as exc:
        with contextlib.suppress(OSError):  # the same disk may refuse the old text too
            _write_includes(files, system, undo=True)
        _nft_undo_live(live, system)
        raise UserError(
            f"cannot write fw4's include files in {system.paths.nftables_includes}: {exc}; "
            f"the firewall change was undone"
        ) from None


def fw4_undo(batch: list[a.Action], system: System) -> None:
    _write_includes([x for x in batch if isinstance(x, a.NFT_INCLUDE_ACTIONS)], system, undo=True)
    _nft_undo_live([x for x in batch if isinstance(x, a.NFT_LIVE_ACTIONS)], system)
