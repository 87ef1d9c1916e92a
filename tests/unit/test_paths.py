"""Every file router-wg keeps is named in router_wg.paths, the wrapper's too: shell cannot
import it, so the wrapper's names are read out of the script and must be exactly these."""

from __future__ import annotations

import re
from pathlib import Path

from router_wg.paths import STATE_DIR, WRAPPER_FILES, Paths

WRAPPER = Path(__file__).resolve().parents[2] / "files" / "jffs" / "router-wg" / "router-wg.sh"
IN_STATE_DIR = re.compile(r"\$\{?state_dir\}?/([\w.-]+)")
COMMENT = re.compile(r"(^|\s)#.*")  # not $# nor ${#x}


def wrapper_lines() -> list[str]:
    """The script's lines without their comments."""
    return [COMMENT.sub("", line) for line in WRAPPER.read_text().splitlines()]


def test_the_wrapper_keeps_its_state_where_router_wg_does() -> None:
    assignments = [line.strip() for line in wrapper_lines() if line.startswith("state_dir=")]
    assert assignments == [f"state_dir=$root{STATE_DIR}"]


def test_the_wrapper_uses_exactly_the_state_files_paths_names() -> None:
    used = {name for line in wrapper_lines() for name in IN_STATE_DIR.findall(line)}
    assert used == set(WRAPPER_FILES)


def test_the_wrapper_files_are_in_the_re_rooted_state_folder(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    members = [paths.boot_lock, paths.boot_again, paths.boot_status, paths.pycache]
    assert [member.name for member in members] == list(WRAPPER_FILES)
    assert {member.parent for member in members} == {tmp_path / STATE_DIR.lstrip("/")}


def test_state_files_are_re_rooted(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    kept = [
        paths.lock_file,
        paths.watchdog_state,
        paths.creation_pending("wg0"),
        paths.ip6tables_marker,
        paths.rp_filter_record,
        paths.crontab,
        paths.nftables_includes,
    ]
    assert all(path.is_relative_to(tmp_path) for path in kept)
    assert len(set(kept)) == len(kept)
