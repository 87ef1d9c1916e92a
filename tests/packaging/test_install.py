"""`make install DESTDIR=...` lays out exactly what files/LAYOUT.md documents, per platform."""

from __future__ import annotations

import subprocess

import pytest
from pkg_layout import documented_lines, expected, installed, source_of
from pkgtools import HOST_ONLY, REPO, make_install

pytestmark = [pytest.mark.host_only, HOST_ONLY]


@pytest.mark.parametrize("platform", ["freshtomato", "openwrt"])
def test_install_tree_is_the_documented_layout(platform, tmp_path):
    make_install(tmp_path, platform)
    found, wanted = installed(tmp_path), expected(platform)
    assert sorted(set(found) - set(wanted)) == [], "installed but not in files/LAYOUT.md"
    assert sorted(set(wanted) - set(found)) == [], "in files/LAYOUT.md but not installed"
    wrong_modes = {p: oct(found[p]) for p in wanted if found[p] != wanted[p]}
    assert wrong_modes == {}
    for words in documented_lines(platform):
        if words[0] == "file":
            path = words[2]
            assert (tmp_path / path).read_bytes() == source_of(path).read_bytes(), path


def test_install_tree_has_no_bytecode(tmp_path):
    make_install(tmp_path, "freshtomato openwrt")
    leftovers = [p for p in installed(tmp_path) if "__pycache__" in p or p.endswith(".pyc")]
    assert leftovers == []


def test_install_refuses_without_destdir():
    """Never onto the build machine's own /etc or /jffs by accident."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "install"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "DESTDIR" in done.stderr
