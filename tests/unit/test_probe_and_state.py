"""Probes get real echo replies; the state file survives kills, reboots and corruption."""

import json
import os
import subprocess
import sys
import time

import pytest

from router_wg.watchdog.health import PeerHealth
from router_wg.watchdog.probe import probe
from router_wg.watchdog.state import load_state, save_state, withdrawn_peers

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="raw ICMP sockets need root")


@needs_root
def test_probe_hears_real_echo_replies_from_loopback():
    assert probe(["127.0.0.1", "::1"], timeout=2.0) == {"127.0.0.1": True, "::1": True}


@needs_root
def test_probe_gives_up_on_silent_peers_within_its_timeout():
    """In a fresh network namespace loopback is down: nothing answers."""
    code = (
        "import time; from router_wg.watchdog.probe import probe; t = time.monotonic();"
        "r = probe(['127.0.0.1'], timeout=1.0); print(r['127.0.0.1'], time.monotonic() - t)"
    )
    started = time.monotonic()
    done = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", code], capture_output=True, text=True
    )
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"cannot make a network namespace: {done.stderr.strip()}")
    answered, seconds = done.stdout.split()
    assert answered == "False"
    assert 0.9 <= float(seconds) < 1.5
    assert time.monotonic() - started < 10


def test_state_round_trip_and_withdrawn_set(tmp_path):
    path = tmp_path / "watchdog.json"
    peers = {
        "beta": PeerHealth(withdrawn=True, streak=1, changed_at=12.5, hold_down=200.0),
        "gamma": PeerHealth(streak=2),
    }
    save_state(path, peers)
    assert load_state(path) == peers
    assert withdrawn_peers(path) == {"beta"}
    assert [p.name for p in tmp_path.iterdir()] == ["watchdog.json"]  # no temp file left


@pytest.mark.parametrize(
    "content",
    ["", "{", "[]", '{"version": 1}', "\0\0\0", '{"version": 1, "peers": {"b": {}}}'],
)
def test_corrupt_state_is_treated_as_no_state(tmp_path, content):
    path = tmp_path / "watchdog.json"
    path.write_text(content)
    assert load_state(path) is None
    assert withdrawn_peers(path) == frozenset()


def test_state_from_an_earlier_boot_is_ignored(tmp_path):
    path = tmp_path / "watchdog.json"
    save_state(path, {"beta": PeerHealth(withdrawn=True, changed_at=5.0)})
    data = json.loads(path.read_text())
    data["boot_id"] = "another-boot"
    path.write_text(json.dumps(data))
    assert load_state(path) is None
