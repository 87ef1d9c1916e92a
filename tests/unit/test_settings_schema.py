"""wg.conf is described once (router_wg.bundle.settings_schema): README's reference is what
those declarations render, the template writes exactly the declared fields, the reader reads
back the Site that was written, and each required field left out is named."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from router_wg.bundle.render import render_settings
from router_wg.bundle.settings import load_site
from router_wg.bundle.settings_reference import HEADING, render_reference
from router_wg.bundle.settings_schema import TABLES
from router_wg.bundle.site import RECOPY, Site
from router_wg.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
# makeconf's golden bundle of the site behind NAT: every optional value is set there.
FULL = REPO / "tests" / "makeconf" / "golden" / "expected" / "gamma.example.net"


@pytest.fixture(scope="module")
def full() -> Site:
    site = load_site(FULL)
    assert site.mtu and site.fallback_network and site.fallback_interface and site.stamp
    assert site.peers and all(peer.endpoint and peer.keepalive for peer in site.peers)
    return site


def readme_section() -> str:
    text = README.read_text()
    start = text.index(f"\n{HEADING}\n") + 1
    end = text.index("\n## ", start)
    return text[start:end]


def test_readme_reference_is_what_the_declarations_render() -> None:
    assert readme_section() == render_reference(), (
        "README.md's wg.conf reference differs from router_wg/bundle/settings_schema.py: "
        "put the output of `python -m router_wg.bundle.settings_reference` in its place"
    )


def test_the_template_writes_exactly_the_declared_fields_in_their_order(full: Site) -> None:
    written = tomllib.loads(render_settings(full))
    assert list(written) == [table.name for table in TABLES]
    for table in TABLES:
        found = written[table.name] if table.many else [written[table.name]]
        assert len(found) == (len(full.peers) if table.many else 1)
        for fields in found:
            assert list(fields) == [option.name for option in table.options], table.header


def test_reading_what_the_template_writes_gives_back_the_same_site(full: Site, tmp_path) -> None:
    text = render_settings(full)
    assert text == (FULL / "wg.conf").read_text()  # and the same bytes as makeconf's
    (tmp_path / "wg.conf").write_text(text)
    assert load_site(tmp_path) == full


REQUIRED = [(table, option.name) for table in TABLES for option in table.options if option.required]


def without_field(text: str, header: str, name: str) -> str:
    """`text` without the first `name = ...` line after the line `header`."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"{header}\n")
    at = next(i for i in range(start, len(lines)) if lines[i].startswith(f"{name} = "))
    return "".join(lines[:at] + lines[at + 1 :])


@pytest.mark.parametrize(
    ("table", "name"), REQUIRED, ids=[f"{t.header} {name}" for t, name in REQUIRED]
)
def test_a_required_field_left_out_is_named_with_its_table(tmp_path, table, name) -> None:
    text = (FULL / "wg.conf").read_text()
    (tmp_path / "wg.conf").write_text(without_field(text, table.header, name))
    with pytest.raises(ConfigError) as refused:
        load_site(tmp_path)
    where = table.header
    if table.many:  # the first peer, by its name while it has one
        where += " #1" if name == "fqdn" else " #1 (alpha.example.net)"
    problems = str(refused.value).splitlines()
    assert problems == [f"{tmp_path}/wg.conf: {where}: field {name} is missing; {RECOPY}"]
