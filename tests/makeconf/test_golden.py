"""Same record in, same bytes out: makeconf's output for a small mesh, file by file.

The input is a record with every key already in it, so nothing random is made. Set
UPDATE_GOLDEN=1 to rewrite golden/expected/ after an intended change, then read the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import GOLDEN, run_makeconf

EXPECTED = GOLDEN / "expected"


def files_under(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_output_is_byte_for_byte_the_golden_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_makeconf("--answers", GOLDEN / "mesh.toml", "--out", out)
    assert done.returncode == 0, done.stderr
    written = files_under(out)
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(out, EXPECTED)
    expected = files_under(EXPECTED)
    assert sorted(written) == sorted(expected)  # nothing missing, nothing extra
    for name, content in expected.items():
        assert written[name].decode() == content.decode(), name


def test_a_second_run_rewrites_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_makeconf("--answers", GOLDEN / "mesh.toml", "--out", out).returncode == 0
    first = files_under(out)
    again = run_makeconf("--answers", GOLDEN / "mesh.toml", "--out", out)
    assert again.returncode == 0, again.stderr
    assert files_under(out) == first


def test_the_record_reproduces_its_input(tmp_path: Path) -> None:
    """The record makeconf writes is the input record, minus the golden file's own comment."""
    out = tmp_path / "out"
    assert run_makeconf("--answers", GOLDEN / "mesh.toml", "--out", out).returncode == 0
    golden_record = (GOLDEN / "mesh.toml").read_text().split("\n", 3)[3]
    assert (out / "mesh.toml").read_text() == golden_record
