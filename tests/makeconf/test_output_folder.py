"""makeconf in a shared /tmp: another local user must not get the keys, nor steer where they go.

    shared/            drwxrwxrwt root   like /tmp: anyone may create names here
      wireguard        planted by `nobody` (uid 65534): a folder, or a link to a folder of theirs
      catch/           nobody's folder, where a planted link points

The planting runs in a child process that has dropped to nobody; makeconf runs as root, as
the real CLI in a fresh process. "Nothing written" is checked by listing every entry (mode,
owner, inode, content) before and after, without following links.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import EXAMPLE, REPO, run_makeconf
from terminal import Terminal

NOBODY = 65534
SITES = ["alpha.example.net", "beta.example.net", "gamma.example.net"]

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: it plants files as another user (nobody)"
)


def as_nobody(*argv: str | Path, cwd: Path) -> None:
    """Run a command as nobody. The child enters `cwd` before it drops root, so nobody can
    work there although pytest's own folders above it are closed to other users."""
    subprocess.run(
        [*map(str, argv)], cwd=cwd, user=NOBODY, group=NOBODY, extra_groups=[], check=True
    )


def util_linux(tool: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} (util-linux) is missing; install it with `make deps`"
    return found


def listing(root: Path) -> dict[str, tuple]:
    """Every entry under `root` (a link there is listed, not followed): what ls -laiR shows."""
    entries = {}
    for folder, names, files in os.walk(root):
        for name in [".", *names, *files]:
            path = Path(folder, name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                content: bytes | str | None = os.readlink(path)
            else:
                content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
            entries[str(path.relative_to(root))] = (info.st_mode, info.st_uid, info.st_ino, content)
    return entries


def assert_refused(done: subprocess.CompletedProcess[str], folder: Path, *words: str) -> None:
    assert done.returncode == 1, done.stderr
    assert str(folder) in done.stderr and "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr
    assert done.stdout == ""


def private_keys(out: Path) -> dict[str, str]:
    record = tomllib.loads((out / "mesh.toml").read_text())
    return {site["fqdn"]: site["private_key"] for site in record["site"]}


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o1777)
    as_nobody("mkdir", "-m", "0777", "catch", cwd=folder)
    return folder


def test_a_folder_planted_by_another_user_is_refused(shared: Path) -> None:
    as_nobody("mkdir", "-m", "0777", "wireguard", cwd=shared)
    before = listing(shared)
    done = run_makeconf("--answers", EXAMPLE, "--out", shared / "wireguard")
    assert_refused(
        done, shared / "wireguard", "belongs to nobody (uid 65534)", "remove it or pass --out DIR"
    )
    assert listing(shared) == before


def test_a_planted_link_is_refused_and_its_target_stays_empty(shared: Path) -> None:
    as_nobody("ln", "-s", "catch", "wireguard", cwd=shared)
    before = listing(shared / "catch")
    done = run_makeconf("--answers", EXAMPLE, "--out", shared / "wireguard")
    assert_refused(done, shared / "wireguard", "symbolic link", "remove it or pass --out DIR")
    assert listing(shared / "catch") == before and os.listdir(shared / "catch") == []


def test_a_site_folder_that_is_a_link_is_refused_before_anything_is_written(shared: Path) -> None:
    out = shared / "wireguard"
    out.mkdir(mode=0o700)
    (out / "alpha.example.net").symlink_to(shared / "catch")  # planted before out became ours
    before = listing(shared)
    done = run_makeconf("--answers", EXAMPLE, "--out", out)
    assert_refused(done, out / "alpha.example.net", "symbolic link", "move it away")
    assert listing(shared) == before  # no record, no beta or gamma folder, nothing in catch


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o770], ids=oct)
def test_a_folder_others_may_write_to_is_refused_though_root_owns_it(
    shared: Path, mode: int
) -> None:
    out = shared / "wireguard"
    out.mkdir()
    out.chmod(mode)
    before = listing(shared)
    done = run_makeconf("--answers", EXAMPLE, "--out", out)
    assert_refused(done, out, f"mode {mode:04o}", "remove it or pass --out DIR")
    assert listing(shared) == before


def test_the_wizard_refuses_before_its_first_question(shared: Path) -> None:
    as_nobody("mkdir", "wireguard", cwd=shared)
    argv = [sys.executable, "-m", "router_wg", "makeconf", "--out", str(shared / "wireguard")]
    terminal = Terminal(argv)
    try:
        assert terminal.wait() == 1
    finally:
        terminal.close()
    assert "belongs to nobody (uid 65534)" in terminal.output and "Traceback" not in terminal.output
    assert "?" not in terminal.output and "[" not in terminal.output  # asked nothing
    assert os.listdir(shared / "wireguard") == []


def test_a_readable_folder_of_ours_is_made_private_before_keys_go_in(shared: Path) -> None:
    out = shared / "wireguard"
    out.mkdir()
    out.chmod(0o755)
    done = run_makeconf("--answers", EXAMPLE, "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"made {out} private (mode 0755 -> 0700)" in done.stderr
    assert out.stat().st_mode == stat.S_IFDIR | 0o700


def test_a_second_run_into_its_own_folder_works_and_keeps_the_keys(shared: Path) -> None:
    out = shared / "wireguard"
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    keys = private_keys(out)
    again = run_makeconf("--answers", EXAMPLE, "--out", out)
    assert again.returncode == 0, again.stderr
    assert private_keys(out) == keys and len(keys) == 3
    assert out.stat().st_mode == stat.S_IFDIR | 0o700 and "private" not in again.stderr


def test_a_planted_record_link_is_neither_read_nor_written_through(shared: Path) -> None:
    out = shared / "wireguard"
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    bait = shared / "catch" / "mesh.toml"
    bait.write_bytes((out / "mesh.toml").read_bytes())
    os.chown(bait, NOBODY, NOBODY)
    (out / "mesh.toml").unlink()
    (out / "mesh.toml").symlink_to(bait)
    before = listing(shared)
    done = run_makeconf("--answers", EXAMPLE, "--out", out)
    assert_refused(done, out / "mesh.toml", "symbolic link", "move it away")
    assert listing(shared) == before


def test_a_departed_sites_folder_that_became_a_link_is_left_alone(shared: Path) -> None:
    out = shared / "wireguard"
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    gamma = out / "gamma.example.net"
    for name in ("wg.conf", "wg0.conf"):  # gamma's own bundle as bait: removal must not follow
        shutil.copy(gamma / name, shared / "catch" / name)
    shutil.rmtree(gamma)
    gamma.symlink_to(shared / "catch")
    two_sites = shared.parent / "two-sites.toml"
    two_sites.write_text(EXAMPLE.read_text().split('[[site]]\nfqdn = "gamma')[0])
    before = listing(shared / "catch")
    done = run_makeconf("--answers", two_sites, "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"left {gamma} alone: it is a symbolic link" in done.stderr
    assert listing(shared / "catch") == before and gamma.is_symlink()


@pytest.mark.parametrize("folder", [".", "beta.example.net"], ids=["record", "bundle"])
def test_a_planted_temporary_name_link_is_not_followed(shared: Path, folder: str) -> None:
    out = shared / "wireguard"
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    # Start makeconf held at a `read`, so that its pid (kept by exec) names the temporary file
    # before it runs: the link then waits exactly where makeconf will create that file.
    script = 'read go && exec "$0" -m router_wg makeconf --answers "$1" --out "$2"'
    argv = ["sh", "-c", script, sys.executable, str(EXAMPLE), str(out)]
    pipe = subprocess.PIPE
    held = subprocess.Popen(argv, cwd=REPO, stdin=pipe, stdout=pipe, stderr=pipe, text=True)
    name = "mesh.toml" if folder == "." else "wg0.conf"
    planted = out / folder / f".{name}.{held.pid}.tmp"
    planted.symlink_to(shared / "catch" / "key")
    before = listing(shared)
    stdout, stderr = held.communicate("go\n", timeout=60)
    done = subprocess.CompletedProcess(argv, held.returncode, stdout, stderr)
    assert_refused(done, planted, "symbolic link")
    assert listing(shared) == before  # not the record either: nothing is written before checks
    assert not (shared / "catch" / "key").exists()


def in_own_tmp(script: str) -> subprocess.CompletedProcess[str]:
    """Run `script` in a private mount namespace whose /tmp is a fresh tmpfs (1777, empty).
    A tree checked out under /tmp (a CI clone, say) stays visible at its own path: it is
    moved aside, and back onto an empty folder of the new /tmp, before the script runs."""
    unshare = util_linux("unshare")
    util_linux("setpriv")
    fresh_tmp = "mount -t tmpfs tmpfs /tmp || exit 99\n"
    aside = Path(f"/run/rwg-tree-{os.getpid()}")
    if REPO.is_relative_to("/tmp"):
        aside.mkdir(exist_ok=True)
        fresh_tmp = (
            f'mount --bind "{REPO}" "{aside}" || exit 98\n{fresh_tmp}'
            f'mkdir -p "{REPO}" && mount --move "{aside}" "{REPO}" || exit 97\n'
        )
    argv = [unshare, "--mount", "--propagation", "private", "sh", "-c", fresh_tmp + script]
    try:
        done = subprocess.run(
            [*argv, sys.executable, str(EXAMPLE)],
            cwd="/",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        if aside.exists():
            aside.rmdir()
    assert done.returncode == 0, done.stderr
    return done


MAKECONF = '"$0" -m router_wg makeconf --answers "$1" >/dev/null; echo "exit $?"'


def test_the_default_tmp_wireguard_planted_by_nobody_is_refused() -> None:
    done = in_own_tmp(
        "setpriv --reuid=65534 --regid=65534 --clear-groups mkdir -m 0777 /tmp/wireguard\n"
        f"{MAKECONF}\nfind /tmp/wireguard"
    )
    assert done.stdout.splitlines() == ["exit 1", "/tmp/wireguard"], done.stderr
    assert "/tmp/wireguard" in done.stderr and "belongs to nobody (uid 65534)" in done.stderr
    assert "pass --out DIR" in done.stderr and "Traceback" not in done.stderr


def test_the_default_tmp_wireguard_is_made_private_with_private_keys() -> None:
    folder, secret, public = stat.S_IFDIR | 0o700, stat.S_IFREG | 0o600, stat.S_IFREG | 0o644
    expected = {"/tmp/wireguard": folder, "/tmp/wireguard/mesh.toml": secret}
    for fqdn in SITES:
        expected[f"/tmp/wireguard/{fqdn}"] = folder
        expected[f"/tmp/wireguard/{fqdn}/wg0.conf"] = secret
        expected[f"/tmp/wireguard/{fqdn}/wg.conf"] = public
    done = in_own_tmp(f"{MAKECONF}\nstat -c '%f %u %n' {' '.join(expected)}")
    exit_line, *stat_lines = done.stdout.splitlines()
    assert exit_line == "exit 0", done.stderr
    found = {path: (int(mode, 16), int(uid)) for mode, uid, path in map(str.split, stat_lines)}
    assert found == {path: (mode, 0) for path, mode in expected.items()}
