"""The applier with plain data: what a start announces and does, in which order (each
family's firewall as one transaction at its first action), how a failed start rolls back in
reverse (a failing undo does not stop the rest), and how stop keeps going past a failure.

The System here records what the backends would be asked to do (netlink, cron, the
commands run): those are side effects, not the logic under test."""

from __future__ import annotations

import dataclasses

import pytest

from router_wg.converge.apply import apply_start, apply_stop
from router_wg.converge.resources.cron.actions import AddCron, RemoveCron
from router_wg.converge.resources.iptables.actions import (
    AddJump,
    DeleteChain,
    RemoveJump,
    WriteChain,
)
from router_wg.converge.resources.iptables.rules import IPV6
from router_wg.converge.resources.link.actions import AddAddress, DeleteInterface, SetLinkUp, SetMtu
from router_wg.converge.resources.routes.actions import AddRoute, RemoveRoute
from router_wg.errors import UserError
from router_wg.paths import Paths

WG0_INDEX = 7
CRON = "*/1 * * * * /jffs/addons/router-wg/router-wg watchdog"


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

    def must_index(self, name):
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
    SetMtu("wg0", 1420, 1500),
    WriteChain("filter", "RWG_INPUT", CHAIN, None),
    AddAddress("wg0", "192.168.100.1/24"),
    WriteChain("filter", "RWG_INPUT", CHAIN, None, IPV6),
    AddJump("filter", "-A INPUT -j RWG_INPUT"),
    SetLinkUp("wg0"),
    AddRoute("10.0.2.0/24", "wg0"),
    AddCron(CRON),
]
ANNOUNCED = [  # the IPv4 jump joins its chain's step
    "set mtu 1420 on wg0",
    "firewall filter: create chain RWG_INPUT (1 rules)",
    "firewall filter: insert jump INPUT -j RWG_INPUT",
    "add address 192.168.100.1/24 to wg0",
    "firewall ipv6 filter: create chain RWG_INPUT (1 rules)",
    "bring wg0 up",
    "add route 10.0.2.0/24 dev wg0",
    f"register the watchdog in cron: {CRON}",
]
WRITE = "*filter\n:RWG_INPUT - [0:0]\n-A RWG_INPUT -i wg0 -j ACCEPT\n"
DELETE = "-F RWG_INPUT\n-X RWG_INPUT\nCOMMIT\n"


def test_start_does_each_family_s_firewall_at_its_first_action_and_nothing_else(tmp_path, calls):
    said = []
    apply_start(START, fake_system(tmp_path, calls), said.append)
    assert said == ANNOUNCED
    assert calls == [
        ("set_mtu", "wg0", 1420),
        ("iptables-restore", WRITE + "-I INPUT 1 -j RWG_INPUT\nCOMMIT\n"),
        ("address", "add", "wg0", "192.168.100.1/24"),
        ("ip6tables-restore", WRITE + "COMMIT\n"),
        ("set_up", "wg0"),
        ("route", "add", "10.0.2.0/24", WG0_INDEX),
        ("cron", "add", CRON),
    ]
    assert Paths(tmp_path).ip6tables_marker.exists()


def test_a_failed_start_rolls_back_what_it_did_in_reverse(tmp_path, calls):
    said = []
    failing = ("route", "add", "10.0.2.0/24", WG0_INDEX)
    with pytest.raises(UserError) as raised:
        apply_start(START, fake_system(tmp_path, calls, fail={failing}), said.append)
    assert str(raised.value) == "start failed: Boom: route add refused"
    assert said == ANNOUNCED[:7] + [
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
    plan = [SetMtu("wg0", 1420, 1500), AddAddress("wg0", "192.168.100.1/24"), AddCron(CRON)]
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
        RemoveCron((CRON,)),
        RemoveJump("filter", "-A INPUT -j RWG_INPUT", 2),
        DeleteChain("filter", "RWG_INPUT", CHAIN),
        RemoveRoute("10.0.2.0/24", WG0_INDEX),
        RemoveRoute("10.0.3.0/24", WG0_INDEX),
        DeleteInterface("wg0"),
    ]
    failing = ("route", "del", "10.0.2.0/24", WG0_INDEX)
    said = []
    failures = apply_stop(plan, fake_system(tmp_path, calls, fail={failing}), said.append)
    assert failures == ["route del refused"]
    assert said == [
        "remove the watchdog's cron entry",
        "firewall filter: remove jump INPUT -j RWG_INPUT (2x)",
        "firewall filter: delete chain RWG_INPUT",
        "remove route 10.0.2.0/24 (ifindex 7)",
        "failed: route del refused",
        "remove route 10.0.3.0/24 (ifindex 7)",
        "delete interface wg0",
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
    assert not Paths(tmp_path).ip6tables_marker.exists()
