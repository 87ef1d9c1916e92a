"""fw4 (nftables) with plain data: our rules as nft prints them back, the include files,
the reader of `nft -a list table inet fw4`, the planner's fw4 part, the one transaction,
its inverse, and nft's refusal mapped back to our statement."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

import pytest

from router_wg.converge.apply import apply_start
from router_wg.converge.resources.cron.actions import AddCron
from router_wg.converge.resources.fw4 import actions as a
from router_wg.converge.resources.fw4 import changes as fw4_changes
from router_wg.converge.resources.fw4.actions import inverse, rejection, transaction
from router_wg.converge.resources.fw4.rules import (
    NftState,
    desired_nft_chains,
    every_include,
    include_files,
    parse_listing,
)
from router_wg.converge.system import System
from router_wg.errors import UserError
from router_wg.paths import Paths

LANS = [ipaddress.ip_network("10.0.1.0/24"), ipaddress.ip_network("fd00:1::/64")]
CHAINS = desired_nft_chains("wg0", 51820, LANS)

# what nft 1.0.6 printed for a fw4 table after our transaction (trimmed)
LISTING = """\
table inet fw4 { # handle 1
	chain input { # handle 1
		type filter hook input priority filter; policy drop;
		jump rwg_input comment "router-wg" # handle 21
		iifname "lo" accept comment "!fw4: Accept traffic from loopback" # handle 5
	}

	chain forward { # handle 2
		type filter hook forward priority filter; policy drop;
		jump rwg_forward comment "router-wg" # handle 30
		jump rwg_forward comment "router-wg" # handle 31
	}

	chain mangle_forward { # handle 3
		type filter hook forward priority mangle; policy accept;
		jump rwg_mss comment "router-wg" # handle 22
		jump rwg_mss comment "someone else" # handle 40
	}

	chain srcnat { # handle 4
		type nat hook postrouting priority srcnat; policy accept;
	}

	chain rwg_input { # handle 7
		udp dport 51820 accept # handle 8
		iifname "wg0" accept # handle 9
	}

	chain rwg_forward { # handle 10
	}

	chain rwg_mss { # handle 15
		oifname "wg0" tcp flags syn tcp option maxseg size set rt mtu # handle 16
		iifname "wg0" tcp flags syn tcp option maxseg size set rt mtu # handle 17
	}
}
"""


def converged() -> NftState:
    """The table and files exactly as start leaves them."""
    return NftState(
        chains={c.name: c.rules for c in CHAINS},
        jumps={(c.hooked_from, c.jump): (100 + i,) for i, c in enumerate(CHAINS)},
        fw4_chains=frozenset({"input", "forward", "mangle_forward", "srcnat"}),
        includes=include_files(CHAINS),
    )


def test_the_rules_are_spelled_as_nft_prints_them_and_cover_both_families():
    forward = dict((c.name, c) for c in CHAINS)["rwg_forward"]
    assert forward.rules == (
        'ip saddr 10.0.1.0/24 oifname "wg0" accept',
        'ip daddr 10.0.1.0/24 iifname "wg0" accept',
        'ip6 saddr fd00:1::/64 oifname "wg0" accept',
        'ip6 daddr fd00:1::/64 iifname "wg0" accept',
    )
    assert [(c.name, c.hooked_from) for c in CHAINS] == [
        ("rwg_input", "input"),
        ("rwg_forward", "forward"),
        ("rwg_mss", "mangle_forward"),
        ("rwg_srcnat", "srcnat"),
    ]
    assert CHAINS[0].rules == ("udp dport 51820 accept", 'iifname "wg0" accept')
    assert CHAINS[2].rules[0] == 'oifname "wg0" tcp flags syn tcp option maxseg size set rt mtu'
    assert CHAINS[3].rules == ('oifname "wg0" accept',)


def test_the_include_files_hold_the_very_rules_of_the_transaction():
    files = include_files(CHAINS)
    assert sorted(files) == sorted(every_include())
    assert files["chain-pre/mangle_forward/router-wg.nft"] == 'jump rwg_mss comment "router-wg"\n'
    chains = files["table-post/router-wg.nft"]
    assert 'chain rwg_input {\n\tudp dport 51820 accept\n\tiifname "wg0" accept\n}\n' in chains
    live = transaction([a.WriteNftChain(c.name, c.rules, None) for c in CHAINS]).statements
    for chain in CHAINS:
        for rule in chain.rules:
            assert f"\t{rule}\n" in chains
            assert f"add rule inet fw4 {chain.name} {rule}" in live


def test_the_listing_gives_our_chains_and_jumps_with_their_handles():
    state = parse_listing(LISTING)
    assert state.chains == {
        "rwg_input": CHAINS[0].rules,
        "rwg_forward": (),
        "rwg_mss": CHAINS[2].rules,
    }
    assert state.jumps == {
        ("input", 'jump rwg_input comment "router-wg"'): (21,),
        ("forward", 'jump rwg_forward comment "router-wg"'): (30, 31),
        ("mangle_forward", 'jump rwg_mss comment "router-wg"'): (22,),
    }  # the jump with someone else's comment is not ours
    assert state.fw4_chains == {"input", "forward", "mangle_forward", "srcnat"}
    assert parse_listing("") == NftState(table=False)  # no table inet fw4 at all


def test_a_converged_table_plans_nothing():
    assert fw4_changes(CHAINS, converged()) == []


def test_a_flushed_chain_is_all_that_is_rewritten():
    state = converged()
    state.chains["rwg_forward"] = ()
    assert fw4_changes(CHAINS, state) == [
        a.WriteNftChain("rwg_forward", CHAINS[1].rules, ()),
    ]


def test_a_bare_table_gets_chains_jumps_and_files_and_a_changed_file_is_rewritten():
    plan = fw4_changes(CHAINS, NftState(includes=dict.fromkeys(every_include())))
    assert [type(x) for x in plan].count(a.WriteNftChain) == 4
    assert [type(x) for x in plan].count(a.AddNftJump) == 4
    assert {x.path for x in plan if isinstance(x, a.WriteNftInclude)} == set(every_include())
    assert all(x.describe() for x in plan)

    state = converged()
    state.includes["chain-pre/input/router-wg.nft"] = "# edited by hand\n"
    (write,) = fw4_changes(CHAINS, state)
    assert write.path == "chain-pre/input/router-wg.nft" and write.text == f"{CHAINS[0].jump}\n"


def test_without_fw4_s_table_only_the_files_are_written_for_its_start_to_include():
    plan = fw4_changes(CHAINS, NftState(table=False, includes=dict.fromkeys(every_include())))
    assert {type(x) for x in plan} == {a.WriteNftInclude}
    assert len(plan) == len(every_include())


def test_duplicate_jumps_lose_their_copies_and_stop_removes_exactly_ours():
    state = parse_listing(LISTING)
    plan = fw4_changes(CHAINS, state)
    assert a.RemoveNftJump("forward", 'jump rwg_forward comment "router-wg"', (31,)) in plan

    stopping = converged()
    stop = fw4_changes((), stopping)
    assert {type(x) for x in stop} == {a.RemoveNftJump, a.DeleteNftChain, a.RemoveNftInclude}
    assert len(stop) == 4 + 4 + len(every_include())


def test_one_transaction_removes_jumps_first_and_deletes_chains_last():
    text = transaction(
        [
            a.DeleteNftChain("rwg_old", ("accept",)),
            a.AddNftJump("input", 'jump rwg_input comment "router-wg"'),
            a.WriteNftChain("rwg_input", ("udp dport 51820 accept",), None),
            a.RemoveNftJump("input", 'jump rwg_old comment "router-wg"', (7, 9)),
        ]
    ).text
    assert text == (
        "delete rule inet fw4 input handle 7\n"
        "delete rule inet fw4 input handle 9\n"
        "add chain inet fw4 rwg_input\n"
        "flush chain inet fw4 rwg_input\n"
        "add rule inet fw4 rwg_input udp dport 51820 accept\n"
        'insert rule inet fw4 input jump rwg_input comment "router-wg"\n'
        "flush chain inet fw4 rwg_old\n"
        "delete chain inet fw4 rwg_old\n"
    )


def test_the_inverse_finds_an_inserted_jump_by_its_handle_now():
    jump = 'jump rwg_input comment "router-wg"'
    done = [
        a.WriteNftChain("rwg_input", ("udp dport 51820 accept",), None),
        a.WriteNftChain("rwg_mss", ("new",), ("old",)),
        a.AddNftJump("input", jump),
        a.RemoveNftJump("forward", 'jump rwg_forward comment "router-wg"', (3, 4)),
        a.DeleteNftChain("rwg_gone", ("accept",)),
    ]
    now = NftState(jumps={("input", jump): (55,)})
    assert inverse(done, now) == [
        a.DeleteNftChain("rwg_input"),
        a.WriteNftChain("rwg_mss", ("old",), ("new",)),
        a.RemoveNftJump("input", jump, (55,)),
        a.AddNftJump("forward", 'jump rwg_forward comment "router-wg"'),
        a.AddNftJump("forward", 'jump rwg_forward comment "router-wg"'),
        a.WriteNftChain("rwg_gone", ("accept",), None),
    ]


def test_nft_s_refusal_names_our_statement_and_what_to_do():
    done = transaction(
        [
            a.WriteNftChain("rwg_mss", ("accept",), None),
            a.AddNftJump("mangle_forward", 'jump rwg_mss comment "router-wg"'),
        ]
    )
    stderr = (
        "/dev/stdin:4:22-35: Error: Could not process rule: No such file or directory; "
        "did you mean chain 'rwg_forward' in table inet 'fw4'?\n"
        'insert rule inet fw4 mangle_forward jump rwg_mss comment "router-wg"\n'
        "                     ^^^^^^^^^^^^^^\n"
    )
    message = rejection(stderr, done)
    assert message.startswith(
        "nft refused line 4 of router-wg's firewall transaction, "
        '`insert rule inet fw4 mangle_forward jump rwg_mss comment "router-wg"` '
        '(firewall fw4: insert jump rwg_mss comment "router-wg" in chain mangle_forward): '
        "Could not process rule: No such file or directory; nft changed nothing."
    )
    assert "has no chain mangle_forward" in message and "did you mean" not in message
    assert "fw4 reload" in message
    assert "no such table" in rejection("/dev/stdin:1:1-9: Error: No such file or directory", done)
    assert "changed nothing: oops" in rejection("oops", done)


def test_the_ipk_needs_no_iptables_where_fw4_is_the_firewall():
    control = Path(__file__).resolve().parents[2] / "files" / "CONTROL" / "control"
    depends = next(x for x in control.read_text().splitlines() if x.startswith("Depends:"))
    assert "iptables" not in depends  # the firewall (fw4 or fw3) comes with the firmware


# -- the applier: one nft -f, then the files; undone together --------------------------
class NftRunner:
    """Records what nft is given; `nft -a list` answers with the table as it is now."""

    def __init__(self, listing: str):
        self.listing, self.given = listing, []

    def run(self, argv, *, secret_input=None, check=True, timeout=60.0):
        if argv[:3] == ["nft", "-a", "list"]:
            return subprocess.CompletedProcess(argv, 0, self.listing, "")
        self.given.append(secret_input)
        return subprocess.CompletedProcess(argv, 0, "", "")


class FailingCron:
    def add(self, line):
        raise OSError("crontab is read-only")


def test_a_start_failing_after_the_firewall_takes_back_the_chains_jumps_and_files(tmp_path):
    chain = CHAINS[0]
    files = include_files(CHAINS)
    plan = [
        a.WriteNftChain(chain.name, chain.rules, None),
        a.AddNftJump(chain.hooked_from, chain.jump),
        a.WriteNftInclude(chain.jump_include, files[chain.jump_include], None),
        AddCron("* * * * * router-wg check"),
    ]
    runner = NftRunner(
        f"table inet fw4 {{\n\tchain input {{\n\t\t{chain.jump} # handle 42\n\t}}\n}}"
    )
    system = System(Paths(tmp_path), runner, _cron=FailingCron())
    jump_file = Paths(tmp_path).nftables_includes / chain.jump_include

    with pytest.raises(UserError, match="crontab is read-only"):
        apply_start(plan, system, lambda text: None)

    live, undone = runner.given
    assert 'insert rule inet fw4 input jump rwg_input comment "router-wg"' in live
    assert undone == (
        "delete rule inet fw4 input handle 42\n"
        "flush chain inet fw4 rwg_input\n"
        "delete chain inet fw4 rwg_input\n"
    )
    assert not jump_file.exists()  # written after nft took the rules, removed again


def test_include_files_that_cannot_be_written_undo_the_live_change(tmp_path):
    chain = CHAINS[0]
    plan = [
        a.WriteNftChain(chain.name, chain.rules, None),
        a.WriteNftInclude(chain.jump_include, f"{chain.jump}\n", None),
    ]
    runner = NftRunner("")
    folder = Paths(tmp_path).nftables_includes
    folder.parent.mkdir(parents=True)
    folder.write_text("not a folder")  # so no file can be made in it

    with pytest.raises(UserError, match="cannot write fw4's include files in .*undone"):
        apply_start(plan, System(Paths(tmp_path), runner), lambda text: None)

    assert runner.given[1] == "flush chain inet fw4 rwg_input\ndelete chain inet fw4 rwg_input\n"
