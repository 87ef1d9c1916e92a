"""`[watchdog]` in mesh.toml, through makeconf as a user runs it: the thresholds reach the
configuration `router-wg check` loads on each router, stay in the record across re-runs
(answers file, record, wizard), and bad values are refused with the field named."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from conftest import EXAMPLE, run_makeconf
from terminal import Terminal

from router_wg.bundle.settings import load_site
from router_wg.bundle.site import Watchdog
from router_wg.model import load_mesh

SITES = ["alpha.example.net", "beta.example.net", "gamma.example.net"]
TABLE = "[watchdog]\nfall = 4\nrise = 3\nprobe_timeout = 1.5\nhold_down = 60\nloop_interval = 5\n"
SET = Watchdog(fall=4, rise=3, probe_timeout=1.5, hold_down=60, loop_interval=5)
GAMMA_OWN = "[site.watchdog]\nfall = 6\n"  # gamma is the last site: its table goes at the end


def answers_with_watchdog(tmp_path: Path, gamma_own: str = GAMMA_OWN) -> Path:
    answers = tmp_path / "answers.toml"
    text = EXAMPLE.read_text().replace("\n[[site]]", f"\n{TABLE}\n[[site]]", 1)
    answers.write_text(f"{text}\n{gamma_own}")
    return answers


def watchdogs(out: Path) -> dict[str, Watchdog]:
    """What `router-wg check --conf-dir OUT/<fqdn>` would run with on each router."""
    return {fqdn: load_site(out / fqdn).watchdog for fqdn in SITES}


EXPECTED = {
    "alpha.example.net": SET,
    "beta.example.net": SET,
    "gamma.example.net": Watchdog(fall=6, rise=3, probe_timeout=1.5, hold_down=60, loop_interval=5),
}


def test_check_on_each_router_loads_the_thresholds_set_in_mesh_toml(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_makeconf("--answers", answers_with_watchdog(tmp_path), "--out", out)
    assert done.returncode == 0, done.stderr
    assert watchdogs(out) == EXPECTED
    record = tomllib.loads((out / "mesh.toml").read_text())
    assert record["watchdog"] == tomllib.loads(TABLE)["watchdog"]
    assert record["site"][2]["watchdog"] == {"fall": 6}


def test_a_rerun_from_the_record_keeps_the_thresholds_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_makeconf("--answers", answers_with_watchdog(tmp_path), "--out", out).returncode == 0
    files = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    copy = tmp_path / "record-copy.toml"
    copy.write_bytes((out / "mesh.toml").read_bytes())
    again = run_makeconf("--answers", copy, "--out", out)
    assert again.returncode == 0, again.stderr
    assert "note" not in again.stderr
    assert {p: p.read_bytes() for p in files} == files
    assert watchdogs(out) == EXPECTED


def test_answers_without_the_table_go_back_to_the_defaults_and_say_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_makeconf("--answers", answers_with_watchdog(tmp_path), "--out", out).returncode == 0
    done = run_makeconf("--answers", EXAMPLE, "--out", out)
    assert done.returncode == 0, done.stderr
    assert watchdogs(out) == dict.fromkeys(SITES, Watchdog())
    assert "note: [watchdog]: now the defaults, as the answers say (the record had " in done.stderr
    assert "fall = 4" in done.stderr
    assert "note: gamma.example.net's [site.watchdog]: now the defaults" in done.stderr
    assert "watchdog" not in tomllib.loads((out / "mesh.toml").read_text())


def test_the_wizard_keeps_the_records_thresholds_when_settings_change(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_makeconf("--answers", answers_with_watchdog(tmp_path), "--out", out).returncode == 0
    term = Terminal([sys.executable, "-m", "router_wg", "makeconf", "--out", str(out)])
    try:
        summary = term.expect("[w]rite, [q]uit [w]: ")
        assert (
            "watchdog (from mesh.toml): hold_down 60, fall 4, rise 3, probe_timeout 1.5" in summary
        )
        assert "its own watchdog: fall 6" in summary
        term.send("s")  # change the settings: every question answered with its current value
        for prompt in ("[wg0]: ", "[51820]: ", "/24]: ", "/16]: ", "[tinc]: ", "[25]: "):
            term.answer(prompt, "")
        term.answer("WireGuard interface [1420]: ", "1400")
        term.answer("[w]rite, [q]uit [w]: ", "w")
        term.answer("3 bundles", "y")
        assert term.wait() == 0, term.output
    finally:
        term.close()
    assert load_site(out / "alpha.example.net").mtu == 1400
    assert watchdogs(out) == EXPECTED


def test_bad_values_write_nothing_and_name_each_field(tmp_path: Path) -> None:
    answers = tmp_path / "answers.toml"
    text = EXAMPLE.read_text().replace("\n[[site]]", "\n[watchdog]\nfall = 0\n\n[[site]]", 1)
    answers.write_text(text + "\n[site.watchdog]\nprobe_timeout = 30\n")
    out = tmp_path / "never"
    done = run_makeconf("--answers", answers, "--out", out)
    assert done.returncode == 3
    assert not out.exists()
    assert done.stderr.splitlines() == [
        f"router-wg makeconf: {answers}: [watchdog], field fall: 0 is out of range; use 1 to "
        "20 failed ticks (default 3)",
        f"{answers}: site gamma.example.net, field watchdog.probe_timeout: 30.0 is out of "
        "range; use 0.5 to 10 seconds (default 2.0)",
    ]


def test_help_says_where_the_thresholds_are_set_and_their_limits() -> None:
    done = run_makeconf("--help")
    assert done.returncode == 0
    assert "[watchdog]  (optional; the wizard does not ask" in done.stdout
    assert re.search(r"fall +cron: failed ticks .*\(default 3; 1 to 20\)", done.stdout)
    assert re.search(r"mode +resident: .*\(default \"resident\"; resident or cron\)", done.stdout)
    assert "[site.watchdog]" in done.stdout


def test_the_example_documents_the_defaults_and_keeps_them(tmp_path: Path) -> None:
    """Uncommenting the example's [watchdog] block changes nothing: it shows the defaults."""
    text = EXAMPLE.read_text()
    shipped = load_mesh(text, "three-sites.toml")
    assert shipped.settings.watchdog == () and all(s.watchdog == () for s in shipped.sites)
    uncommented = re.sub(
        r"^# (\[watchdog\]|\[site\.watchdog\]|[a-z_]+ = )", r"\1", text, flags=re.MULTILINE
    )
    assert uncommented != text
    mesh = load_mesh(uncommented, "three-sites.toml")
    assert dict(mesh.settings.watchdog) == vars(Watchdog())
    assert mesh.watchdog_of(mesh.sites[2]).fall == 5  # the documented per-site example
