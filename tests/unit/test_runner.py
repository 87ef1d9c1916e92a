"""The one command runner: logs argv first, never a shell, secrets only on stdin."""

import logging

import pytest

from router_wg.backends.runner import Runner
from router_wg.errors import CommandError

SECRET = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="


def test_logs_argv_before_running_and_counts_processes(caplog):
    runner = Runner()
    with caplog.at_level(logging.INFO, logger="router_wg"):
        done = runner.run(["echo", "a b", "$HOME"])
    assert done.stdout == "a b $HOME\n"  # no shell: nothing expanded
    assert caplog.messages == ["[#] echo a b $HOME"]
    assert runner.spawned == 1


def test_secret_goes_through_stdin_and_never_into_the_log(caplog):
    with caplog.at_level(logging.INFO, logger="router_wg"):
        done = Runner().run(["cat"], secret_input=SECRET)
    assert done.stdout == SECRET
    assert SECRET not in caplog.text


def test_failure_carries_argv_code_and_stderr():
    with pytest.raises(CommandError) as error:
        Runner().run(["sh", "-c", "echo broken >&2; exit 3"])
    assert error.value.returncode == 3
    assert error.value.argv[0] == "sh"
    assert "broken" in str(error.value)


def test_missing_program_is_a_clear_error():
    with pytest.raises(CommandError, match="no-such-program-rwg: not found"):
        Runner().run(["no-such-program-rwg"])


def test_dry_run_logs_but_does_not_run(tmp_path, caplog):
    target = tmp_path / "made"
    with caplog.at_level(logging.INFO, logger="router_wg"):
        Runner(dry_run=True).run(["touch", str(target)])
    assert not target.exists()
    assert caplog.messages == [f"[#] touch {target}"]
