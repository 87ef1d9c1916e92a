"""start and stop with the firmware's own tools, on a lab router (faithful stand-ins for what
this machine lacks, in tests/lab/firmware/).

The watchdog's cron entry: FreshTomato's `cru`, OpenWrt's `/etc/crontabs/root` plus a restart
of its cron service (plain Linux is in test_start_stop). In every case one entry under the id
`router-wg`, not repeated by a second start, removed by stop, the firmware's other entries
untouched. And an iptables-restore too old for `-w`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from scenarios.bundles import iptables_rules, lab_bundles, plan, start

# Host only: stand-ins of the firmware's tools driving the same start and stop as
# test_start_stop.py, which the guest runs.
pytestmark = [pytest.mark.root, pytest.mark.host_only]
FIRMWARE = Path(__file__).resolve().parent.parent / "lab" / "firmware"
FOREIGN = "0 4 * * * /sbin/reboot"


@pytest.fixture
def alpha(lab, wireguard_impl, tmp_path):
    routers = [
        lab.add_router("alpha.example.net", ["10.0.1.0/24"]),
        lab.add_router("beta.example.net", ["10.0.2.0/24"]),
    ]
    bundles = lab_bundles(tmp_path / "bundles", routers)
    return routers[0], bundles[routers[0].fqdn]


def test_freshtomato_registers_the_watchdog_with_cru_once(alpha, monkeypatch, tmp_path):
    router, bundle = alpha
    crontab = tmp_path / "cru-crontab"
    crontab.write_text(f"{FOREIGN} #reboot#\n")
    monkeypatch.setenv("PATH", f"{FIRMWARE / 'freshtomato'}:{os.environ['PATH']}")
    monkeypatch.setenv("CRU_CRONTAB", str(crontab))

    start(router, bundle)
    start(router, bundle)

    lines = crontab.read_text().splitlines()
    ours = [line for line in lines if line.endswith(" #router-wg#")]
    assert len(ours) == 1, lines
    assert " check " in ours[0] and str(bundle) in ours[0]
    assert f"{FOREIGN} #reboot#" in lines
    assert plan(router, bundle) == ""

    router.router_wg("stop", "--conf-dir", bundle)
    assert crontab.read_text().splitlines() == [f"{FOREIGN} #reboot#"]


def test_openwrt_writes_crontabs_root_and_restarts_cron(alpha):
    router, bundle = alpha
    etc = router.root / "etc"
    (etc / "init.d").mkdir(parents=True)
    (etc / "openwrt_release").write_text("DISTRIB_ID='OpenWrt'\n")
    restarts = router.root / "cron-restarts"
    service = etc / "init.d" / "cron"  # stand-in for OpenWrt's service script: logs its verb
    service.write_text(f'#!/bin/sh\necho "$1" >>{restarts}\n')
    service.chmod(0o755)
    (etc / "crontabs").mkdir()
    crontab = etc / "crontabs" / "root"
    crontab.write_text(f"{FOREIGN}\n")

    start(router, bundle)
    start(router, bundle)

    lines = crontab.read_text().splitlines()
    ours = [line for line in lines if line.endswith(" # router-wg")]
    assert len(ours) == 1, lines
    assert " check " in ours[0] and str(bundle) in ours[0]
    assert FOREIGN in lines
    assert restarts.read_text().split() == ["restart"]  # once: the second start changed nothing

    router.router_wg("stop", "--conf-dir", bundle)
    assert crontab.read_text().splitlines() == [FOREIGN]
    assert restarts.read_text().split() == ["restart", "restart"]


def test_an_iptables_restore_without_w_gets_the_transaction_without_it(alpha, monkeypatch):
    router, bundle = alpha
    calls = router.root / "old-iptables-calls"
    monkeypatch.setenv("PATH", f"{FIRMWARE / 'old-iptables'}:{os.environ['PATH']}")
    monkeypatch.setenv("ROUTER_WG_IPTABLES", "old-iptables")  # old-iptables-{save,restore}
    monkeypatch.setenv("OLD_IPTABLES_CALLS", str(calls))

    start(router, bundle)

    assert [" -w " in f"{line} " for line in calls.read_text().splitlines()] == [True, False]
    rules = iptables_rules(router, "iptables-legacy")
    assert "-A INPUT -j RWG_INPUT" in rules and "-A FORWARD -j RWG_FORWARD" in rules
    assert plan(router, bundle) == ""
