"""The contract other work relies on: `makeconf --answers FILE --out DIR`, run as a user runs it."""

from __future__ import annotations

import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import EXAMPLE, run_makeconf
from lab.meshes import EXAMPLE_MESH, mesh_toml, site, three_sites

from router_wg.bundle.settings import load_site

SITES = ["alpha.example.net", "beta.example.net", "gamma.example.net"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def record(out: Path) -> dict:
    return tomllib.loads((out / "mesh.toml").read_text())


def answers_like_the_example(tmp_path: Path, sites: list[dict], **mesh) -> Path:
    """An answers file with the example's [mesh] settings (`mesh` changes some) and `sites`."""
    path = tmp_path / "answers.toml"
    path.write_text(mesh_toml(sites, **{**EXAMPLE_MESH, **mesh}))
    return path


def test_example_writes_the_record_and_one_loadable_bundle_per_site(tmp_path: Path) -> None:
    out = tmp_path / "wireguard"
    done = run_makeconf("--answers", EXAMPLE, "--out", out)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [*SITES, "mesh.toml"]
    assert mode(out / "mesh.toml") == 0o600
    for index, fqdn in enumerate(SITES, start=1):
        assert sorted(p.name for p in (out / fqdn).iterdir()) == ["wg.conf", "wg0.conf"]
        assert mode(out / fqdn / "wg0.conf") == 0o600
        site = load_site(out / fqdn)
        assert site.fqdn == fqdn and str(site.tunnel_address) == f"192.168.100.{index}"
        assert [str(lan) for lan in site.lans] == [f"10.0.{index}.0/24"]
        assert [p.fqdn for p in site.peers] == [s for s in SITES if s != fqdn]
        assert str(out / fqdn) in done.stdout
    assert "keep it safe" in done.stdout and "/jffs/router-wg/" in done.stdout
    assert load_site(out / "beta.example.net").listen_port == 51821
    assert load_site(out / "alpha.example.net").peers[0].endpoint == "beta.example.net:51821"
    gamma_peers = load_site(out / "gamma.example.net").peers
    assert [p.keepalive for p in gamma_peers] == [25, 25]


def test_invalid_file_writes_nothing_and_says_why_one_line_each(tmp_path: Path) -> None:
    sites = three_sites(beta={"lans": ["0.0.0.0/0"]})
    answers = answers_like_the_example(tmp_path, sites, listen_port=0)
    out = tmp_path / "never"
    done = run_makeconf("--answers", answers, "--out", out)
    assert done.returncode == 3
    assert not out.exists()
    lines = done.stderr.splitlines()
    assert lines == [
        f"router-wg makeconf: {answers}: [mesh], field listen_port: 0 is not a UDP port; use a "
        "number from 1 to 65535 (e.g. 51820)",
        f"{answers}: site beta.example.net, field lans: '0.0.0.0/0' is a default route; name "
        "the networks themselves",
    ]
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    "content", ["[mesh\n", "\xff\xfe not text", None], ids=["syntax", "binary", "missing"]
)
def test_unreadable_answers_exit_3_without_traceback(tmp_path: Path, content) -> None:
    answers = tmp_path / "answers.toml"
    if content is not None:
        answers.write_bytes(content.encode("latin-1"))
    done = run_makeconf("--answers", answers, "--out", tmp_path / "out")
    assert done.returncode == 3 and len(done.stderr.splitlines()) == 1, done.stderr
    assert str(answers) in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_without_answers_and_without_a_terminal_it_refuses(tmp_path: Path) -> None:
    done = run_makeconf("--out", tmp_path / "out")
    assert done.returncode == 2 and "--answers" in done.stderr
    assert not (tmp_path / "out").exists()


def test_help_tells_the_truth() -> None:
    done = run_makeconf("--help")
    assert done.returncode == 0
    for words in [
        "--answers FILE",
        "/tmp/wireguard",
        "tunnel_network",
        "lans",
        "0600",
        "3 invalid",
    ]:
        assert words in done.stdout


def test_unreachable_pair_is_left_out_with_a_warning(tmp_path: Path) -> None:
    delta = site("delta", 4, endpoint=None, nat=True)
    answers = answers_like_the_example(tmp_path, [*three_sites(), delta])
    done = run_makeconf("--answers", answers, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    (warning,) = [line for line in done.stderr.splitlines() if "warning" in line]
    assert "gamma.example.net and delta.example.net" in warning and "fallback" in warning
    delta = load_site(tmp_path / "out" / "delta.example.net")
    assert [p.fqdn for p in delta.peers] == ["alpha.example.net", "beta.example.net"]
    assert "delta" not in (tmp_path / "out" / "gamma.example.net" / "wg0.conf").read_text()


def keys_of(data: dict) -> tuple[dict, dict, dict]:
    private = {s["fqdn"]: s["private_key"] for s in data["site"]}
    address = {s["fqdn"]: s["tunnel_address"] for s in data["site"]}
    psk = {tuple(p["sites"]): p["preshared_key"] for p in data["pair"]}
    return private, address, psk


def test_rerun_and_grown_mesh_keep_every_key_and_address(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    first = (out / "mesh.toml").read_bytes()
    before = keys_of(record(out))
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    assert (out / "mesh.toml").read_bytes() == first
    grown = answers_like_the_example(tmp_path, [site("new", 9), *three_sites()])
    done = run_makeconf("--answers", grown, "--out", out)
    assert done.returncode == 0, done.stderr
    after = keys_of(record(out))
    for old, new in zip(before, after, strict=True):
        assert {k: v for k, v in new.items() if k in old} == old
    assert after[1]["new.example.net"] == "192.168.100.4"  # first free address, not .1
    assert len(after[2]) == 6 and load_site(out / "new.example.net").peers[0].fqdn == (
        "alpha.example.net"
    )


def test_answers_override_tunnel_address_and_removed_site_goes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    private_before, _, psk_before = keys_of(record(out))
    (out / "gamma.example.net" / "notes.txt").write_text("mine")  # not ours: must stay
    (out / "stray.example.net").mkdir()  # not in the record: never touched
    alpha, beta, _ = three_sites(beta={"tunnel_address": "192.168.100.50"})
    changed = answers_like_the_example(tmp_path, [alpha, beta])
    done = run_makeconf("--answers", changed, "--out", out)
    assert done.returncode == 0, done.stderr
    private, address, psk = keys_of(record(out))
    assert sorted(private) == ["alpha.example.net", "beta.example.net"]
    assert address["beta.example.net"] == "192.168.100.50"
    assert "192.168.100.2 to 192.168.100.50" in done.stderr
    assert private["beta.example.net"] == private_before["beta.example.net"]
    assert psk == {k: v for k, v in psk_before.items() if "gamma.example.net" not in k}
    assert "gamma.example.net: no longer in the mesh" in done.stderr
    assert sorted(p.name for p in (out / "gamma.example.net").iterdir()) == ["notes.txt"]
    assert (out / "stray.example.net").is_dir()
    assert [p.fqdn for p in load_site(out / "alpha.example.net").peers] == ["beta.example.net"]


def test_a_broken_record_is_reported_and_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    data = (out / "mesh.toml").read_text()
    alpha_private = record(out)["site"][0]["private_key"]
    broken = data.replace(
        record(out)["site"][0]["public_key"], record(out)["site"][1]["public_key"]
    )
    (out / "mesh.toml").write_text(broken)
    done = run_makeconf("--answers", EXAMPLE, "--out", out)
    assert done.returncode == 3
    assert f"{out / 'mesh.toml'}: site alpha.example.net, field public_key" in done.stderr
    assert alpha_private not in done.stderr
    assert (out / "mesh.toml").read_text() == broken


def test_router_side_modules_do_not_load_makeconf_libraries() -> None:
    code = (
        "import sys, router_wg.cli, router_wg.bundle.load, router_wg.model;"
        "import router_wg.render.record;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'jinja2', 'cryptography'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_unwritable_output_folder_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    done = run_makeconf("--answers", EXAMPLE, "--out", tmp_path / "file" / "out")
    assert done.returncode == 1
    assert done.stderr.startswith(f"router-wg makeconf: cannot write {tmp_path / 'file'}")
    assert "Traceback" not in done.stderr


def test_new_interface_and_tunnel_network_replace_the_old_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    keys_before = keys_of(record(out))[0]
    changed = answers_like_the_example(
        tmp_path, three_sites(), interface="wg1", tunnel_network="fd00:100::/64"
    )
    done = run_makeconf("--answers", changed, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "192.168.100.1 no longer fits" in done.stderr
    assert sorted(p.name for p in (out / "alpha.example.net").iterdir()) == ["wg.conf", "wg1.conf"]
    alpha = load_site(out / "alpha.example.net")
    assert (str(alpha.tunnel_address), alpha.tunnel_prefix) == ("fd00:100::1", 64)
    assert (
        "AllowedIPs = fd00:100::2/128, 10.0.2.0/24\n"
        in (out / "alpha.example.net" / "wg1.conf").read_text()
    )
    assert keys_of(record(out))[0] == keys_before
