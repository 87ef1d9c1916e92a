"""The wizard, driven through a real pseudo-terminal the way an administrator types."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from conftest import EXAMPLE, run_makeconf
from terminal import Terminal

from router_wg.bundle.settings import load_site


@pytest.fixture
def wizard(tmp_path: Path):
    started: list[Terminal] = []

    def start(out: Path) -> Terminal:
        terminal = Terminal([sys.executable, "-m", "router_wg", "makeconf", "--out", str(out)])
        started.append(terminal)
        return terminal

    yield start
    for terminal in started:
        terminal.close()


def answer_settings(term: Terminal, *, port: str = "") -> None:
    term.answer("interface name on every router [wg0]: ", "")
    term.answer("every router listens on [51820]: ", port)
    term.answer("tunnel addresses [192.168.100.0/24]: ", "")
    term.answer("empty for none: ", "10.0.0.0/16")
    term.answer("fallback route [tinc]: ", "")
    term.answer("behind NAT [25]: ", "")
    term.answer("WireGuard interface [1420]: ", "")


def answer_site(term: Terminal, fqdn: str, endpoint: str, lans: str, address: str = "") -> None:
    term.answer("name of its bundle folder): ", fqdn)
    term.answer("or 'behind NAT' [", endpoint)
    term.answer("[mesh].listen_port [51820]: ", "")
    term.answer("separated by commas: ", lans)
    term.answer("when left out) [", address)


def test_full_run_writes_every_bundle(wizard, tmp_path: Path) -> None:
    out = tmp_path / "out"
    term = wizard(out)
    answer_settings(term)
    answer_site(term, "alpha.example.net", "", "10.0.1.0/24, 10.0.11.0/24")
    answer_site(term, "beta.example.net", "behind NAT", "10.0.2.0/24", "192.168.100.7")
    term.answer("Add another site? [y/N]: ", "n")
    summary = term.expect("[w]rite, [q]uit [w]: ")
    assert "beta.example.net: behind NAT" in summary
    term.send("")
    term.answer(f"2 bundles to {out}? [Y/n]: ", "y")
    assert term.wait() == 0, term.output
    alpha, beta = load_site(out / "alpha.example.net"), load_site(out / "beta.example.net")
    assert [str(n) for n in alpha.lans] == ["10.0.1.0/24", "10.0.11.0/24"]
    assert str(beta.tunnel_address) == "192.168.100.7"
    assert beta.peers[0].endpoint == "alpha.example.net:51820" and beta.peers[0].keepalive == 25
    assert alpha.peers[0].endpoint is None
    assert str(alpha.fallback_network) == "10.0.0.0/16" and alpha.fallback_interface == "tinc"
    assert "keep it safe" in term.output


def test_bad_answers_are_asked_again(wizard, tmp_path: Path) -> None:
    out = tmp_path / "out"
    term = wizard(out)
    term.answer("interface name on every router [wg0]: ", "a-name-far-too-long")
    term.expect("interface: 'a-name-far-too-long' is not an interface name")
    term.answer("interface name on every router [wg0]: ", "")
    term.answer("every router listens on [51820]: ", "70000")
    term.expect("listen_port: 70000 is not a UDP port")
    term.answer("every router listens on [51820]: ", "51820")
    for prompt, line in [
        ("tunnel addresses [192.168.100.0/24]: ", ""),
        ("empty for none: ", ""),
        ("behind NAT [25]: ", ""),
        ("WireGuard interface [1420]: ", ""),
    ]:
        term.answer(prompt, line)
    answer_site(term, "alpha.example.net", "", "10.0.1.0/24")
    term.answer("name of its bundle folder): ", "beta example")
    term.expect("is not a host name")
    term.answer("name of its bundle folder): ", "beta.example.net")
    term.answer("or 'behind NAT' [", "")
    term.answer("[mesh].listen_port [51820]: ", "")
    term.answer("separated by commas: ", "10.0.1.128/25")  # overlaps alpha's LAN
    term.answer("when left out) [", "")
    term.expect("site beta.example.net, field lans: 10.0.1.128/25 overlaps alpha.example.net's")
    # the whole site is asked again, with the previous answers as defaults
    term.answer("name of its bundle folder) [beta.example.net]: ", "")
    term.answer("or 'behind NAT' [", "")
    term.answer("[mesh].listen_port [51820]: ", "")
    term.answer("separated by commas [10.0.1.128/25]: ", "10.0.2.0/24")
    term.answer("when left out) [", "")
    term.answer("Add another site? [y/N]: ", "")
    term.answer("[w]rite, [q]uit [w]: ", "w")
    term.answer("? [Y/n]: ", "")
    assert term.wait() == 0, term.output
    assert [str(n) for n in load_site(out / "beta.example.net").lans] == ["10.0.2.0/24"]


def test_rerun_adds_a_site_to_the_existing_record(wizard, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    before = tomllib.loads((out / "mesh.toml").read_text())
    term = wizard(out)
    summary = term.expect("[w]rite, [q]uit [w]: ")
    assert "Starting from the existing record" in summary and "gamma.example.net" in summary
    term.send("a")
    answer_site(term, "delta.example.net", "", "10.0.4.0/24")
    term.answer("[w]rite, [q]uit [w]: ", "w")
    term.answer("4 bundles", "y")
    assert term.wait() == 0, term.output
    after = tomllib.loads((out / "mesh.toml").read_text())
    assert [s["fqdn"] for s in after["site"]] == [s["fqdn"] for s in before["site"]] + [
        "delta.example.net"
    ]
    assert after["site"][:3] == before["site"]  # keys and addresses unchanged
    assert all(pair in after["pair"] for pair in before["pair"])
    assert after["site"][3]["tunnel_address"] == "192.168.100.4"
    delta = load_site(out / "delta.example.net")
    assert [p.fqdn for p in delta.peers] == [s["fqdn"] for s in before["site"]]


@pytest.mark.parametrize("key", [b"\x03", b"\x04"], ids=["ctrl-c", "end-of-input"])
def test_abort_writes_nothing(wizard, tmp_path: Path, key: bytes) -> None:
    out = tmp_path / "out"
    term = wizard(out)
    answer_settings(term)
    term.expect("name of its bundle folder): ")
    if key == b"\x03":
        term.interrupt()
    else:
        term.send_raw(key)
    assert term.wait() != 0
    assert "aborted; nothing written" in term.output and "Traceback" not in term.output
    assert not out.exists()


def test_declining_at_the_end_writes_nothing(wizard, tmp_path: Path) -> None:
    out = tmp_path / "out"
    term = wizard(out)
    answer_settings(term)
    answer_site(term, "alpha.example.net", "", "10.0.1.0/24")
    answer_site(term, "beta.example.net", "", "10.0.2.0/24")
    term.answer("Add another site? [y/N]: ", "")
    term.answer("[w]rite, [q]uit [w]: ", "")
    term.answer("? [Y/n]: ", "n")
    assert term.wait() == 1
    assert not out.exists()


def test_rerun_changes_one_site_and_removes_another(wizard, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_makeconf("--answers", EXAMPLE, "--out", out).returncode == 0
    before = {s["fqdn"]: s for s in tomllib.loads((out / "mesh.toml").read_text())["site"]}
    term = wizard(out)
    term.answer("[w]rite, [q]uit [w]: ", "c")
    term.answer("Which site (", "beta.example.net")
    term.answer("name of its bundle folder) [beta.example.net]: ", "")
    term.answer("or 'behind NAT' [beta.example.net]: ", "")
    term.answer("listen_port [51821]: ", "")
    term.answer("separated by commas [10.0.2.0/24]: ", "10.0.2.0/24, 10.0.22.0/24")
    term.answer("when left out) [192.168.100.2]: ", "")
    term.answer("[w]rite, [q]uit [w]: ", "r")
    term.answer("Which site (", "gamma.example.net")
    term.expect("Removing gamma.example.net")
    term.answer("[w]rite, [q]uit [w]: ", "w")
    term.answer("2 bundles", "y")
    assert term.wait() == 0, term.output
    after = {s["fqdn"]: s for s in tomllib.loads((out / "mesh.toml").read_text())["site"]}
    assert sorted(after) == ["alpha.example.net", "beta.example.net"]
    assert after["beta.example.net"]["lans"] == ["10.0.2.0/24", "10.0.22.0/24"]
    for fqdn in after:
        for field in ("private_key", "public_key", "tunnel_address"):
            assert after[fqdn][field] == before[fqdn][field]
    assert not (out / "gamma.example.net").exists()
    alpha = load_site(out / "alpha.example.net")
    assert [str(n) for n in alpha.peers[0].lans] == ["10.0.2.0/24", "10.0.22.0/24"]
