"""The applier's table of kinds (one entry per Action class, each with its undo) and the
applier's order with plain data: start rolls back in reverse, stop keeps going.

The System here records what the backends would be asked to do (netlink, cron, the
commands run): those are side effects, not the logic under test."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from router_wg.converge import actions as a
from router_wg.converge.apply import apply_start, apply_stop
from router_wg.converge.firewall_rules import IPV6
from router_wg.converge.kinds import FIREWALL, FW4, KINDS
from router_wg.converge.system import ip6tables_marker
from router_wg.errors import UserError
from router_wg.paths import Paths

WG0_INDEX = 7
CRON = "*/1 * * * * /jffs/addons/router-wg/router-wg watchdog"


def action_classes() -> set[type]:
    """Every Action subclass defined in actions.py, however deep."""
    found, todo = set(), [a.Action]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__ == a.__name__:
                found.add(sub)
    return found


def test_the_module_s_actions_are_the_subclasses_of_action():
    in_module = {
        x
        for x in vars(a).values()
        if inspect.isclass(x) and issubclass(x, a.Action) and x is not a.Action
    }
    assert in_module == action_classes()
    assert all(dataclasses.is_dataclass(x) for x in in_module)


def test_every_action_has_exactly_one_entry_and_nothing_else_has_one():
    assert all(inspect.isclass(x) and issubclass(x, a.Action) for x in KINDS)
    assert a.Action not in KINDS
    assert set(KINDS) == action_classes()


def test_every_entry_says_how_to_do_and_how_to_undo():
    for cls, kind in KINDS.items():
        assert callable(kind.do), cls
        assert callable(kind.undo), cls
        assert kind.undo is not kind.do, cls


def test_the_kinds_with_nothing_to_undo_say_why():
    nothing = {cls for cls, kind in KINDS.items() if kind.undo.__name__ == "nothing_to_undo"}
    assert nothing == {
        a.LoadModule,
        a.MarkInterface,
        a.DeleteInterface,
        a.SetLinkUp,
        a.RestoreRpFilter,
        a.RemoveCron,
        a.UnloadModule,
    }
    for cls in nothing:
        doc = KINDS[cls].undo.__doc__
        assert doc.startswith("Nothing to undo: ") and len(doc) > 30, cls


def test_the_firewall_kinds_and_only_they_are_batched_into_one_transaction():
    fw4_actions = {*a.NFT_LIVE_ACTIONS, *a.NFT_INCLUDE_ACTIONS}
    batched = {cls for cls, kind in KINDS.items() if kind.batch}
    assert batched == {*a.FIREWALL_ACTIONS, *fw4_actions}
    assert all(KINDS[cls] is FIREWALL for cls in a.FIREWALL_ACTIONS)
    assert all(KINDS[cls] is FW4 for cls in fw4_actions)  # one nft -f, then the files
    assert FIREWALL.batch(a.AddJump("filter", "-A INPUT -j RWG_INPUT", IPV6)) == (
        "firewall",
        IPV6,
    )


# -- the applier with a recording system ------------------------------------------------
class Boom(Exception):
    pass


class Recorder:
    """Records each call as a tuple; raises Boom for a call listed in `fail`."""

    def __init__(self, calls: list, fail: set):
        self.calls, self.fail = calls, fail

    def record(self, *call):
        self.calls.append(call)
        if call in self.fail:
            raise Boom(f"{call[0]} {call[1]} refused")


class FakeNetlink(Recorder):
    def index(self, name):
        return WG0_INDEX if name == "wg0" else None

    def _index(self, name):
        return self.index(name)

    def set_mtu(self, name, mtu):
        self.record("set_mtu", name, mtu)

    def set_up(self, name):
        self.record("set_up", name)

    def address(self, verb, name, address):
        self.record("address", verb, name, address)

    def route(self, verb, destination, ifindex, protocol):
        self.record("route", verb, destination, ifindex)

    def delete(self, name):
        self.record("delete", name)


class FakeCron(Recorder):
    def add(self, line):
        self.record("cron", "add", line)

    def remove(self):
        self.record("cron", "remove")


class FakeRunner(Recorder):
    def run(self, argv, *, secret_input=None, check=True, timeout=60.0):
        self.record(argv[0], secret_input)


@dataclasses.dataclass
class FakeSystem:
    """What the applier uses of router_wg.converge.system.System."""

    paths: Paths
    runner: FakeRunner
    netlink: FakeNetlink
    cron: FakeCron
    userspace: bool = False


@pytest.fixture
def calls():
    return []


def fake_system(tmp_path, calls, fail=()):
    fail = set(fail)
    return FakeSystem(
        Paths(tmp_path),
        FakeRunner(calls, fail),
        FakeNetlink(calls, fail),
        FakeCron(calls, fail),
    )


@pytest.fixture(autouse=True)
def plain_iptables(monkeypatch):
    monkeypatch.delenv("ROUTER_WG_IPTABLES", raising=False)


CHAIN = ("-A RWG_INPUT -i wg0 -j ACCEPT",)
START = [
    a.SetMtu("wg0", 1420, 1500),
    a.WriteChain("filter", "RWG_INPUT", CHAIN, None),
    a.AddAddress("wg0", "192.168.100.1/24"),
    a.WriteChain("filter", "RWG_INPUT", CHAIN, None, IPV6),
    a.AddJump("filter", "-A INPUT -j RWG_INPUT"),
    a.SetLinkUp("wg0"),
    a.AddRoute("10.0.2.0/24", "wg0"),
    a.AddCron(CRON),
]
IN_STEPS = [START[i] for i in (0, 1, 4, 2, 3, 5, 6, 7)]  # the IPv4 jump joins its chain's step
WRITE = "*filter\n:RWG_INPUT - [0:0]\n-A RWG_INPUT -i wg0 -j ACCEPT\n"
DELETE = "-F RWG_INPUT\n-X RWG_INPUT\nCOMMIT\n"


def test_start_does_each_family_s_firewall_at_its_first_action_and_nothing_else(tmp_path, calls):
    said = []
    apply_start(START, fake_system(tmp_path, calls), said.append)
    assert said == [x.describe() for x in IN_STEPS]
    assert calls == [
        ("set_mtu", "wg0", 1420),
        ("iptables-restore", WRITE + "-I INPUT 1 -j RWG_INPUT\nCOMMIT\n"),
        ("address", "add", "wg0", "192.168.100.1/24"),
        ("ip6tables-restore", WRITE + "COMMIT\n"),
        ("set_up", "wg0"),
        ("route", "add", "10.0.2.0/24", WG0_INDEX),
        ("cron", "add", CRON),
    ]
    assert ip6tables_marker(Paths(tmp_path)).exists()


def test_a_failed_start_rolls_back_what_it_did_in_reverse(tmp_path, calls):
    said = []
    failing = ("route", "add", "10.0.2.0/24", WG0_INDEX)
    with pytest.raises(UserError) as raised:
        apply_start(START, fake_system(tmp_path, calls, fail={failing}), said.append)
    assert str(raised.value) == "start failed: Boom: route add refused"
    assert said == [x.describe() for x in IN_STEPS[:7]] + [
        "failed: Boom: route add refused; rolling back what this run changed"
    ]
    assert calls == [
        ("set_mtu", "wg0", 1420),
        ("iptables-restore", WRITE + "-I INPUT 1 -j RWG_INPUT\nCOMMIT\n"),
        ("address", "add", "wg0", "192.168.100.1/24"),
        ("ip6tables-restore", WRITE + "COMMIT\n"),
        ("set_up", "wg0"),
        failing,
        # the link stays up; then everything before it, last first
        ("ip6tables-restore", "*filter\n" + DELETE),
        ("address", "del", "wg0", "192.168.100.1/24"),
        ("iptables-restore", "*filter\n-D INPUT -j RWG_INPUT\n" + DELETE),
        ("set_mtu", "wg0", 1500),
    ]


def test_a_failed_rollback_step_does_not_stop_the_rest(tmp_path, calls):
    plan = [a.SetMtu("wg0", 1420, 1500), a.AddAddress("wg0", "192.168.100.1/24"), a.AddCron(CRON)]
    fail = {("cron", "add", CRON), ("address", "del", "wg0", "192.168.100.1/24")}
    said = []
    with pytest.raises(UserError, match="^start failed: Boom: cron add refused$"):
        apply_start(plan, fake_system(tmp_path, calls, fail), said.append)
    assert said[-2:] == [
        "failed: Boom: cron add refused; rolling back what this run changed",
        "rollback step failed: address del refused",
    ]
    assert calls[-2:] == [
        ("address", "del", "wg0", "192.168.100.1/24"),
        ("set_mtu", "wg0", 1500),
    ]


def test_stop_goes_on_past_a_failure_and_reports_it(tmp_path, calls):
    plan = [
        a.RemoveCron((CRON,)),
        a.RemoveJump("filter", "-A INPUT -j RWG_INPUT", 2),
        a.DeleteChain("filter", "RWG_INPUT", CHAIN),
        a.RemoveRoute("10.0.2.0/24", WG0_INDEX),
        a.RemoveRoute("10.0.3.0/24", WG0_INDEX),
        a.DeleteInterface("wg0"),
    ]
    failing = ("route", "del", "10.0.2.0/24", WG0_INDEX)
    said = []
    failures = apply_stop(plan, fake_system(tmp_path, calls, fail={failing}), said.append)
    assert failures == ["route del refused"]
    assert said == [x.describe() for x in plan[:4]] + ["failed: route del refused"] + [
        x.describe() for x in plan[4:]
    ]
    assert calls == [
        ("cron", "remove"),
        (
            "iptables-restore",
            "*filter\n-D INPUT -j RWG_INPUT\n-D INPUT -j RWG_INPUT\n" + DELETE,
        ),
        failing,
        ("route", "del", "10.0.3.0/24", WG0_INDEX),
        ("delete", "wg0"),
    ]
    assert not ip6tables_marker(Paths(tmp_path)).exists()


@dataclasses.dataclass(frozen=True)
class Stray(a.Action):
    def describe(self) -> str:
        return "something the applier was never told about"


@pytest.mark.parametrize("apply", [apply_start, apply_stop])
def test_an_action_without_an_entry_is_a_type_error_before_anything_is_done(tmp_path, calls, apply):
    said = []
    with pytest.raises(TypeError, match=r"no way to apply Stray\(\): Stray has no entry"):
        apply([a.AddCron(CRON), Stray()], fake_system(tmp_path, calls), said.append)
    assert (said, calls) == ([], [])
