"""files/LAYOUT.md read as data: every path a platform's install must hold, with its mode.

`file MODE PATH` and `dir MODE PATH` name one path; `tree PATH SOURCE` expands to every file
and folder of SOURCE (`router_wg`: this tree's package without bytecode; `wheel`: the pyroute2
wheel's entries under PATH's last name), files 0644 and folders 0755.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

from pkgtools import REPO

LAYOUT = REPO / "files" / "LAYOUT.md"
WHEEL = REPO / "out" / "wheels" / "pyroute2-0.9.7-py3-none-any.whl"
SECTIONS = {"freshtomato": "## FreshTomato", "openwrt": "## OpenWrt"}


def documented_lines(platform: str) -> list[list[str]]:
    """The words of each line in the platform's code block."""
    text = LAYOUT.read_text()
    section = text[text.index(SECTIONS[platform]) :]
    block = section.split("```")[1]
    return [line.split() for line in block.strip().splitlines()]


def expected(platform: str) -> dict[str, int]:
    """path (relative to DESTDIR) -> permission bits."""
    paths: dict[str, int] = {}
    for words in documented_lines(platform):
        kind = words[0]
        if kind in ("file", "dir"):
            paths[words[2]] = int(words[1], 8)
        elif kind == "tree":
            target, source = PurePosixPath(words[1]), words[2]
            for relative, is_dir in _tree(source, target.name):
                paths[str(target / relative) if relative else str(target)] = (
                    0o755 if is_dir else 0o644
                )
        else:
            raise AssertionError(f"LAYOUT.md: unknown line {' '.join(words)!r}")
    return paths


def source_of(path: str) -> Path:
    """The file in files/ that an installed `file` line comes from."""
    if path == "usr/share/router-wg/router-wg.sh":
        return REPO / "files" / "jffs" / "router-wg" / "router-wg.sh"
    return REPO / "files" / path


def installed(root: Path) -> dict[str, int]:
    """What is really under root: relative path -> permission bits."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _tree(source: str, name: str) -> list[tuple[str, bool]]:
    """(path relative to the tree, is a folder) for every entry, the tree itself as ''."""
    entries = {("", True)}
    if source == "router_wg":
        base = REPO / "router_wg"
        for folder, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            here = Path(folder).relative_to(base)
            entries |= {(str(here / d), True) for d in dirs}
            entries |= {(str(here / f), False) for f in files if not f.endswith(".pyc")}
    elif source == "wheel":
        with zipfile.ZipFile(WHEEL) as wheel:
            for entry in wheel.namelist():
                parts = PurePosixPath(entry).parts
                if parts[0] != name:
                    continue
                for depth in range(2, len(parts)):
                    entries.add(("/".join(parts[1:depth]), True))
                entries.add(("/".join(parts[1:]), False))
    else:
        raise AssertionError(f"LAYOUT.md: unknown tree source {source!r}")
    return sorted(entries)
