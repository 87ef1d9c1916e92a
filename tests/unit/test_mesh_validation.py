"""Every validation rule of the mesh file: a bad file, and the exact place the message names."""

from __future__ import annotations

import pytest
from lab.meshes import EXAMPLE_MESH, mesh_toml, site

from router_wg.errors import ConfigError
from router_wg.model import load_mesh


def mesh_file(
    mesh: dict | None = None,
    beta: dict | None = None,
    watchdog: dict | None = None,
    alpha: dict | None = None,
) -> str:
    """The example's settings and two sites, alpha and beta, both dialled; each argument
    changes fields of [mesh], [watchdog] or one site (a field given as None is left out)."""
    sites = [site("alpha", 1, **(alpha or {})), site("beta", 2, **(beta or {}))]
    return mesh_toml(sites, watchdog=watchdog, **{**EXAMPLE_MESH, **(mesh or {})})


GOOD = mesh_file()
BROKEN_LINE = GOOD.splitlines().index("keepalive = 25") + 1
BROKEN = GOOD.replace("keepalive = 25", "keepalive = = 25")


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_mesh(text, "mesh.toml")
    return [str(problem) for problem in caught.value.problems]


CASES = {
    "toml syntax": (BROKEN, f"line {BROKEN_LINE}", "not valid TOML"),
    "unknown mesh key": (mesh_file({"colour": 1}), "[mesh], field colour", "not a known field"),
    "unknown site key": (
        mesh_file(beta={"port": 1}),
        "site beta.example.net, field port",
        "not a known field",
    ),
    "unknown section": (GOOD + "\n[extra]\nx = 1\n", "top level, field extra", "not a mesh"),
    "one site only": (mesh_toml([site("alpha", 1)], **EXAMPLE_MESH), "[[site]]", "at least 2"),
    "no [mesh]": ("[[site]]" + GOOD.split("[[site]]", 1)[1], "[mesh]", "is missing"),
    "tunnel_network missing": (
        mesh_file({"tunnel_network": None}),
        "[mesh], field tunnel_network",
        "is missing",
    ),
    "duplicate fqdn": (
        mesh_file(beta={"fqdn": "alpha.example.net"}),
        "site alpha.example.net, field fqdn",
        "same name",
    ),
    "fqdn not a host name": (
        mesh_file(beta={"fqdn": "beta example;rm"}),
        "site #2, field fqdn",
        "not a host name",
    ),
    "fqdn with a slash": (
        mesh_file(beta={"fqdn": "../etc"}),
        "site #2, field fqdn",
        "not a host name",
    ),
    "fqdn label too long": (
        mesh_file(beta={"fqdn": f"{'b' * 64}.net"}),
        "site #2, field fqdn",
        "at most 63",
    ),
    "endpoint with newline": (
        mesh_file(beta={"endpoint": "beta\nx"}),
        "site beta.example.net, field endpoint",
        "not a host name",
    ),
    "endpoint with port": (
        mesh_file(beta={"endpoint": "beta.net:51820"}),
        "site beta.example.net, field endpoint",
        "not a host name",
    ),
    "mesh port zero": (mesh_file({"listen_port": 0}), "[mesh], field listen_port", "1 to 65535"),
    "site port too high": (
        mesh_file(beta={"listen_port": 65536}),
        "site beta.example.net, field listen_port",
        "1 to 65535",
    ),
    "port as string": (
        mesh_file({"listen_port": "51820"}),
        "[mesh], field listen_port",
        "must be a whole number",
    ),
    "same endpoint and port": (
        mesh_file(beta={"endpoint": "alpha.example.net"}),
        "site beta.example.net, field endpoint",
        "also where alpha",
    ),
    "interface too long": (
        mesh_file({"interface": "wireguard-mesh-0"}),
        "[mesh], field interface",
        "not an interface name",
    ),
    "interface dotdot": (
        mesh_file({"interface": ".."}),
        "[mesh], field interface",
        "not an interface name",
    ),
    "interface wg clashes with wg.conf": (
        mesh_file({"interface": "wg"}),
        "[mesh], field interface",
        "wg.conf",
    ),
    "fallback interface bad": (
        mesh_file({"fallback_interface": "tinc vpn"}),
        "[mesh], field fallback_interface",
        "not an interface name",
    ),
    "tunnel address outside": (
        mesh_file(beta={"tunnel_address": "192.168.7.2"}),
        "site beta.example.net, field tunnel_address",
        "not a usable",
    ),
    "tunnel address is broadcast": (
        mesh_file(beta={"tunnel_address": "192.168.100.255"}),
        "site beta.example.net, field tunnel_address",
        "not a usable",
    ),
    "tunnel address twice": (
        mesh_file(
            alpha={"tunnel_address": "192.168.100.9"}, beta={"tunnel_address": "192.168.100.9"}
        ),
        "site beta.example.net, field tunnel_address",
        "also alpha.example.net's",
    ),
    "tunnel address not an address": (
        mesh_file(beta={"tunnel_address": "x"}),
        "site beta.example.net, field tunnel_address",
        "not an IP",
    ),
    "tunnel network too small": (
        mesh_file({"tunnel_network": "192.168.100.7/32"}),
        "[mesh], field tunnel_network",
        "too few addresses",
    ),
    "lan with host bits": (
        mesh_file(beta={"lans": ["10.0.2.1/24"]}),
        "site beta.example.net, field lans",
        "did you mean 10.0.2.0/24",
    ),
    "lan not a network": (
        mesh_file(beta={"lans": ["ten"]}),
        "site beta.example.net, field lans",
        "not a network",
    ),
    "lans not a list": (
        mesh_file(beta={"lans": "10.0.2.0/24"}),
        "site beta.example.net, field lans",
        "must be a list",
    ),
    "lans overlap across sites": (
        mesh_file(beta={"lans": ["10.0.1.128/25"]}),
        "site beta.example.net, field lans",
        "alpha.example.net's LAN",
    ),
    "lans overlap within a site": (
        mesh_file(beta={"lans": ["10.0.2.0/24", "10.0.2.0/23"]}),
        "site beta.example.net, field lans",
        "another LAN of this site",
    ),
    "lan overlaps tunnel network": (
        mesh_file({"fallback_network": "192.168.0.0/16"}, beta={"lans": ["192.168.100.0/25"]}),
        "site beta.example.net, field lans",
        "tunnel_network",
    ),
    "lan outside fallback": (
        mesh_file(beta={"lans": ["172.16.2.0/24"]}),
        "site beta.example.net, field lans",
        "outside fallback_network",
    ),
    "default route as lan": (
        mesh_file(beta={"lans": ["0.0.0.0/0"]}),
        "site beta.example.net, field lans",
        "default route",
    ),
    "ipv6 default route as lan": (
        mesh_file(beta={"lans": ["::/0"]}),
        "site beta.example.net, field lans",
        "default route",
    ),
    "default route as fallback": (
        mesh_file({"fallback_network": "0.0.0.0/0"}),
        "[mesh], field fallback_network",
        "default route",
    ),
    "default route as tunnel network": (
        mesh_file({"tunnel_network": "::/0"}),
        "[mesh], field tunnel_network",
        "default route",
    ),
    "nat not a boolean": (
        mesh_file(beta={"nat": "yes"}),
        "site beta.example.net, field nat",
        "true or false",
    ),
    "keepalive zero": (mesh_file({"keepalive": 0}), "[mesh], field keepalive", None),
    "mtu too small": (mesh_file({"mtu": 100}), "[mesh], field mtu", "576 to 9000"),
    "private key not a key": (
        mesh_file(beta={"private_key": "c2VjcmV0"}),
        "site beta.example.net, field private_key",
        "not a WireGuard key",
    ),
    "public key without private key": (
        mesh_file(beta={"public_key": f"{'A' * 43}="}),
        "site beta.example.net, field public_key",
        "without private_key",
    ),
    "watchdog fall zero": (
        mesh_file(watchdog={"fall": 0}),
        "[watchdog], field fall",
        "use 1 to 20 failed ticks",
    ),
    "watchdog rise too high": (
        mesh_file(watchdog={"rise": 21}),
        "[watchdog], field rise",
        "use 1 to 20 good ticks",
    ),
    "watchdog rise not whole": (
        mesh_file(watchdog={"rise": 2.5}),
        "[watchdog], field rise",
        "must be a whole number",
    ),
    "watchdog probe_timeout too long": (
        mesh_file(watchdog={"probe_timeout": 11}),
        "[watchdog], field probe_timeout",
        "use 0.5 to 10 seconds",
    ),
    "watchdog probe_timeout as text": (
        mesh_file(watchdog={"probe_timeout": "2s"}),
        "[watchdog], field probe_timeout",
        "must be a number",
    ),
    "watchdog hold_down negative": (
        mesh_file(watchdog={"hold_down": -1}),
        "[watchdog], field hold_down",
        "use 0 to 3600 seconds",
    ),
    "watchdog loop_interval zero": (
        mesh_file(watchdog={"loop_interval": 0}),
        "[watchdog], field loop_interval",
        "use 1 to 60 seconds",
    ),
    "watchdog probe longer than loop": (
        mesh_file(watchdog={"probe_timeout": 5, "loop_interval": 4}),
        "[watchdog], field probe_timeout",
        "longer than loop_interval 4 s",
    ),
    "watchdog loop shorter than default probe": (
        mesh_file(watchdog={"loop_interval": 1}),
        "[watchdog], field loop_interval",
        "probe_timeout 2.0 s is longer than loop_interval 1 s",
    ),
    "watchdog unknown field": (
        mesh_file(watchdog={"fails": 3}),
        "[watchdog], field fails",
        "known fields: answered_probes, fall, hold_down, loop_interval, lost_probes, mode",
    ),
    "watchdog not a table": ("watchdog = 3\n" + GOOD, "top level, field watchdog", "[watchdog]"),
    "site watchdog fall zero": (
        mesh_file(beta={"watchdog": {"fall": 0}}),
        "site beta.example.net, field watchdog.fall",
        "use 1 to 20 failed ticks",
    ),
    "site watchdog unknown field": (
        mesh_file(beta={"watchdog": {"colour": 1}}),
        "site beta.example.net, field watchdog.colour",
        "not a known field",
    ),
    "site watchdog not a table": (
        mesh_file(beta={"watchdog": 3}),
        "site beta.example.net, field watchdog",
        "[site.watchdog]",
    ),
    "site watchdog loop shorter than mesh probe": (
        mesh_file(beta={"watchdog": {"loop_interval": 1}}),
        "site beta.example.net, field watchdog.loop_interval",
        "longer than loop_interval 1 s",
    ),
    "pair naming one site": (
        GOOD + f'\n[[pair]]\nsites = ["a.net", "a.net"]\npreshared_key = "{"A" * 43}="\n',
        "pair #1, field sites",
        "two different sites",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_each_rule_names_the_field(name: str) -> None:
    text, where, fragment = CASES[name]
    lines = problems_of(text)
    matching = [line for line in lines if line.startswith(f"mesh.toml: {where}: ")]
    assert matching, f"no problem at {where!r} in {lines}"
    if fragment:
        assert any(fragment in line for line in matching), matching


def test_the_good_file_is_valid() -> None:
    mesh = load_mesh(GOOD, "mesh.toml")
    assert [site.fqdn for site in mesh.sites] == ["alpha.example.net", "beta.example.net"]


def test_every_problem_is_reported_at_once_one_line_each() -> None:
    beta = {"lans": ["0.0.0.0/0"], "endpoint": "a\nb"}
    lines = problems_of(mesh_file({"listen_port": 0}, beta))
    assert len(lines) == 3, lines
    assert all("\n" not in line for line in lines)


def test_a_secret_never_appears_in_a_message() -> None:
    secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXM="  # 40 characters, not a key
    lines = problems_of(mesh_file(beta={"private_key": secret}))
    assert lines and not any(secret in line for line in lines)


def test_syntax_error_keeps_tomllib_line_and_column() -> None:
    (line,) = problems_of(BROKEN)
    assert f"line {BROKEN_LINE}, column" in line


def test_watchdog_values_are_read_in_schema_order_whole_numbers_accepted_as_seconds() -> None:
    text = mesh_file(
        watchdog={"loop_interval": 5, "probe_timeout": 1}, beta={"watchdog": {"fall": 6}}
    )
    mesh = load_mesh(text, "mesh.toml")
    assert mesh.settings.watchdog == (("probe_timeout", 1.0), ("loop_interval", 5))
    alpha, beta = mesh.sites
    assert alpha.watchdog == () and beta.watchdog == (("fall", 6),)
    assert isinstance(mesh.settings.watchdog[0][1], float)


def test_a_clash_the_site_does_not_cause_is_reported_once_at_watchdog() -> None:
    lines = problems_of(mesh_file(watchdog={"loop_interval": 1}, beta={"watchdog": {"fall": 6}}))
    assert lines == [
        "mesh.toml: [watchdog], field loop_interval: probe_timeout 2.0 s is longer than "
        "loop_interval 1 s; shorten probe_timeout or lengthen loop_interval"
    ]
