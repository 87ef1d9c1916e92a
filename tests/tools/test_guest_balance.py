"""qemu/run-tests' balancing of the ARM suite over its guests, with plain data: the per-file
times it reads from the last run's junit, and how it spreads files by them."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
from pathlib import Path

import pytest

RUN_TESTS = Path(__file__).resolve().parents[2] / "qemu" / "run-tests"


@pytest.fixture(scope="module")
def run_tests():
    loader = importlib.machinery.SourceFileLoader("run_tests", str(RUN_TESTS))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("run_tests", loader))
    loader.exec_module(module)
    return module


def loads(shards, cost):
    return sorted(sum(cost[f] for f in shard) for shard in shards)


def test_heavy_files_are_spread_so_the_guests_end_about_together(run_tests):
    cost = {"a.py": 300, "b.py": 200, "c.py": 150, "d.py": 100, "e.py": 50}
    shards = run_tests.balance(sorted(cost), cost, 2)
    assert sorted(f for s in shards for f in s) == sorted(cost)  # each file exactly once
    assert loads(shards, cost) == [400, 400]
    assert [s for s in shards if "a.py" in s][0] == ["a.py", "d.py"]


def test_a_file_with_no_recorded_time_costs_the_median_of_the_known(run_tests):
    known = {"a.py": 100, "b.py": 10, "c.py": 30}  # median 30
    shards = run_tests.balance(["a.py", "b.py", "c.py", "new.py"], known, 2)
    # a (100) alone; b, c and new (10 + 30 + 30) together
    assert sorted(shards, key=len) == [["a.py"], ["b.py", "c.py", "new.py"]]
    even = {"a.py": 10, "b.py": 20}  # an even count: the mean of the middle two, 15
    shards = run_tests.balance(["a.py", "b.py", "x.py", "y.py"], even, 2)
    assert loads(shards, {**even, "x.py": 15, "y.py": 15}) == [30, 30]


def test_with_no_times_at_all_every_file_costs_the_same(run_tests):
    files = [f"t{n}.py" for n in range(5)]
    shards = run_tests.balance(files, {}, 2)
    assert sorted(len(s) for s in shards) == [2, 3]
    assert run_tests.balance(files[:1], {}, 2) == [["t0.py"]]  # no empty guest


def test_times_are_testcase_sums_plus_a_share_of_the_rest(run_tests, tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="pytest" time="100.0">'
        '<testcase classname="tests.scenarios.test_watchdog" name="t1" time="40.0"/>'
        '<testcase classname="tests.scenarios.test_watchdog" name="t2" time="20.0"/>'
        '<testcase classname="tests.packaging.test_wrapper.Router" name="t3" time="10.0"/>'
        "</testsuite></testsuites>"
    )
    files = ["tests/scenarios/test_watchdog.py", "tests/packaging/test_wrapper.py", "tests/x.py"]
    # 30 s outside any testcase, 10 s to each of the three files (x.py ran nothing)
    assert run_tests.file_times([(junit, files)]) == {
        "tests/scenarios/test_watchdog.py": 70.0,
        "tests/packaging/test_wrapper.py": 20.0,
        "tests/x.py": 10.0,
    }


def test_times_are_stored_outside_the_tree_and_read_back(run_tests, tmp_path, monkeypatch):
    monkeypatch.setattr(run_tests, "TIMES_FILE", tmp_path / "cache" / "guest-test-times.json")
    assert run_tests.load_times() == {}  # none yet
    run_tests.store_times({"tests/a.py": 12.5})
    assert run_tests.load_times() == {"tests/a.py": 12.5}
    assert json.loads(run_tests.TIMES_FILE.read_text())["measured"].endswith("Z")
    run_tests.TIMES_FILE.write_text("{not json")
    assert run_tests.load_times() == {}  # a broken file balances like no file


def test_the_cache_follows_xdg_cache_home(run_tests, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    loader = importlib.machinery.SourceFileLoader("run_tests_xdg", str(RUN_TESTS))
    module = importlib.util.module_from_spec(
        importlib.util.spec_from_loader("run_tests_xdg", loader)
    )
    loader.exec_module(module)
    assert tmp_path / "router-wg" / "guest-test-times.json" == module.TIMES_FILE


def test_modules_marked_host_only_as_a_whole_are_not_handed_to_a_guest(run_tests):
    whole = [
        "pytestmark = pytest.mark.host_only\n",
        "pytestmark = [pytest.mark.root, pytest.mark.host_only]\n",
        "pytestmark = [\n    pytest.mark.host_only,\n    pytest.mark.skipif(True, reason=''),\n]\n",
    ]
    part = [
        "pytestmark = pytest.mark.root\n\n\n@pytest.mark.host_only\ndef test_one(): ...\n",
        "pytestmark = [pytest.mark.root]\nHOST_ONLY = pytest.mark.host_only\n",
    ]
    assert all(run_tests.HOST_ONLY_MODULE.search(text) for text in whole)
    assert not any(run_tests.HOST_ONLY_MODULE.search(text) for text in part)
