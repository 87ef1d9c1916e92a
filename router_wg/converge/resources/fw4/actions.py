"""fw4's actions: our chains and jumps in table inet fw4 (live), and our files in fw4's
include folders (what fw4 re-reads at every reload).

All of a run's go out as one batch: one `nft -f -` transaction (atomic: nft checks every
rule before it commits any), then the include files, written only once nft took the very
same rules. Undone together: the files as they were, then the inverse transaction.

In the transaction, `add chain` + `flush chain` creates our chain or empties it (leaving
the jumps into it), then `add rule` puts back its rules; fw4's chains only get
`insert rule ... jump rwg_*` and `delete rule ... handle N`. nft's refusal is turned back
into the statement of ours it names.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass, field, replace

from router_wg.backends import nftables
from router_wg.converge.action import Action, Batch
from router_wg.converge.resources.fw4.rules import TABLE, NftState, every_include, parse_listing
from router_wg.converge.system import System
from router_wg.errors import CommandError, UserError

log = logging.getLogger("router_wg")


def _do(batch: list[Action], system: System) -> None:
    """Live first (nft checks every rule), the files fw4 re-reads only once nft took the
    same rules; a file that cannot be written undoes the live part and the files."""
    live = [x for x in batch if isinstance(x, LIVE)]
    files = [x for x in batch if isinstance(x, INCLUDES)]
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


def _undo(batch: list[Action], system: System) -> None:
    _write_includes([x for x in batch if isinstance(x, INCLUDES)], system, undo=True)
    _nft_undo_live([x for x in batch if isinstance(x, LIVE)], system)


def _nft_apply(live: list[Action], system: System) -> None:
    if not live:
        return
    done = transaction(live)
    log.info("nft -f - <<\n%s", done.text.rstrip())
    try:
        nftables.apply(system.runner, done.text)
    except CommandError as exc:
        raise UserError(rejection(exc.stderr, done)) from None


def _nft_undo_live(live: list[Action], system: System) -> None:
    if live:  # a jump this run inserted is known by its handle only now
        _nft_apply(inverse(live, observe_table(system)), system)


def _write_includes(files: list[Action], system: System, *, undo: bool = False) -> None:
    """Each file as the batch wants it, or with `undo` as it was before (None: absent)."""
    folder = system.paths.nftables_includes
    for x in files:
        text = x.previous if undo else (x.text if isinstance(x, WriteNftInclude) else None)
        if text is None:
            nftables.remove_include(folder, x.path)
        else:
            nftables.write_include(folder, x.path, text)


def observe_table(system: System) -> NftState:
    """One `nft -a list table inet fw4`, and our files in fw4's include folders."""
    listed = parse_listing(nftables.list_table(system.runner))
    includes = nftables.read_includes(system.paths.nftables_includes, every_include())
    return replace(listed, includes=includes)


# the run's one nft transaction, then its include files
FW4_TRANSACTION = Batch(key=lambda action: "fw4", do=_do, undo=_undo)


@dataclass(frozen=True)
class WriteNftChain(Action):
    """Create our chain in table inet fw4, or replace its rules (flush, then add)."""

    batch = FW4_TRANSACTION
    chain: str
    rules: tuple[str, ...]
    previous: tuple[str, ...] | None  # None: the chain did not exist

    def describe(self) -> str:
        verb = "create" if self.previous is None else "rewrite"
        return f"firewall fw4: {verb} chain {self.chain} ({len(self.rules)} rules)"


@dataclass(frozen=True)
class AddNftJump(Action):
    batch = FW4_TRANSACTION
    hook: str  # fw4's chain: input, forward, mangle_forward, srcnat
    rule: str  # 'jump rwg_input comment "router-wg"'

    def describe(self) -> str:
        return f"firewall fw4: insert {self.rule} in chain {self.hook}"


@dataclass(frozen=True)
class RemoveNftJump(Action):
    batch = FW4_TRANSACTION
    hook: str
    rule: str
    handles: tuple[int, ...]  # the copies to delete, by handle

    def describe(self) -> str:
        times = f" ({len(self.handles)}x)" if len(self.handles) > 1 else ""
        return f"firewall fw4: remove {self.rule} from chain {self.hook}{times}"


@dataclass(frozen=True)
class DeleteNftChain(Action):
    batch = FW4_TRANSACTION
    chain: str
    rules: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"firewall fw4: delete chain {self.chain}"


@dataclass(frozen=True)
class WriteNftInclude(Action):
    """Write one of our files in fw4's include folders."""

    batch = FW4_TRANSACTION
    path: str  # relative to /usr/share/nftables.d: "chain-pre/input/router-wg.nft"
    text: str = field(repr=False)
    previous: str | None = field(repr=False)  # None: the file did not exist

    def describe(self) -> str:
        verb = "write" if self.previous is None else "rewrite"
        return f"fw4 include: {verb} /usr/share/nftables.d/{self.path}"


@dataclass(frozen=True)
class RemoveNftInclude(Action):
    batch = FW4_TRANSACTION
    path: str
    previous: str = field(repr=False)

    def describe(self) -> str:
        return f"fw4 include: remove /usr/share/nftables.d/{self.path}"


LIVE = (WriteNftChain, AddNftJump, RemoveNftJump, DeleteNftChain)
INCLUDES = (WriteNftInclude, RemoveNftInclude)

# the order inside one transaction: jumps out before the chains they leave go, chains
# written before the jumps into them arrive
_ORDER = (RemoveNftJump, WriteNftChain, AddNftJump, DeleteNftChain)


@dataclass(frozen=True)
class Transaction:
    statements: tuple[str, ...]  # one line each, as nft reads them
    sources: tuple[str, ...]  # for each statement, the action it carries out

    @property
    def text(self) -> str:
        return "".join(f"{s}\n" for s in self.statements)


def transaction(live_actions: list[Action]) -> Transaction:
    statements: list[str] = []
    sources: list[str] = []

    def say(statement: str, action: Action) -> None:
        statements.append(statement)
        sources.append(action.describe())

    for kind in _ORDER:
        for x in (x for x in live_actions if type(x) is kind):
            if isinstance(x, RemoveNftJump):
                for handle in x.handles:
                    say(f"delete rule {TABLE} {x.hook} handle {handle}", x)
            elif isinstance(x, WriteNftChain):
                say(f"add chain {TABLE} {x.chain}", x)
                say(f"flush chain {TABLE} {x.chain}", x)
                for rule in x.rules:
                    say(f"add rule {TABLE} {x.chain} {rule}", x)
            elif isinstance(x, AddNftJump):
                say(f"insert rule {TABLE} {x.hook} {x.rule}", x)
            else:  # DeleteNftChain: a chain must be empty to go
                say(f"flush chain {TABLE} {x.chain}", x)
                say(f"delete chain {TABLE} {x.chain}", x)
    return Transaction(tuple(statements), tuple(sources))


def inverse(live_actions: list[Action], now: NftState) -> list[Action]:
    """The actions that undo these, given the table as it is `now` (a jump inserted by
    this run is found by its handle there)."""
    undo: list[Action] = []
    for x in live_actions:
        if isinstance(x, WriteNftChain):
            undo.append(
                DeleteNftChain(x.chain)
                if x.previous is None
                else WriteNftChain(x.chain, x.previous, x.rules)
            )
        elif isinstance(x, AddNftJump):
            handles = now.jumps.get((x.hook, x.rule), ())
            if handles:
                undo.append(RemoveNftJump(x.hook, x.rule, handles))
        elif isinstance(x, RemoveNftJump):
            undo += [AddNftJump(x.hook, x.rule)] * len(x.handles)
        elif isinstance(x, DeleteNftChain):
            undo.append(WriteNftChain(x.chain, x.rules, None))
    return undo


_ERROR_LINE = re.compile(r"^\S*?:(\d+):[\d-]+: Error: (.*)$", re.MULTILINE)


def rejection(stderr: str, done: Transaction) -> str:
    """nft's refusal, said in terms of ours: the statement at the line nft names, the
    action it belonged to, nft's reason, and what to do."""
    found = _ERROR_LINE.search(stderr)
    if not found or not 0 < int(found.group(1)) <= len(done.statements):
        detail = stderr.strip() or "no message"
        return f"nft refused router-wg's firewall transaction, and changed nothing: {detail}"
    line = int(found.group(1))
    reason = found.group(2).split("; did you mean")[0].strip()  # its guess misleads here
    statement, source = done.statements[line - 1], done.sources[line - 1]
    words = statement.split()
    hint = ""
    if "No such file or directory" in reason:
        missing = f"no chain {words[4]}" if words[:2] != ["add", "chain"] else "no such table"
        hint = (
            f" fw4's table {TABLE} has {missing}: rebuild fw4's ruleset (`fw4 reload`, or "
            f"/etc/init.d/firewall restart); if fw4 is not this router's firewall, set "
            f"ROUTER_WG_FIREWALL=iptables."
        )
    return (
        f"nft refused line {line} of router-wg's firewall transaction, `{statement}` "
        f"({source}): {reason}; nft changed nothing.{hint}"
    )
