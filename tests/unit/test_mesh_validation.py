"""Every validation rule of the mesh file: a bad file, and the exact place the message names."""

from __future__ import annotations

import pytest

from router_wg.errors import ConfigError
from router_wg.model import load_mesh

GOOD = """\
[mesh]
interface = "wg0"
listen_port = 51820
tunnel_network = "192.168.100.0/24"
fallback_network = "10.0.0.0/16"
fallback_interface = "tinc"
keepalive = 25

[[site]]
fqdn = "alpha.example.net"
endpoint = "alpha.example.net"
lans = ["10.0.1.0/24"]

[[site]]
fqdn = "beta.example.net"
endpoint = "beta.example.net"
lans = ["10.0.2.0/24"]
"""


def bad(old: str, new: str, text: str = GOOD) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_mesh(text, "mesh.toml")
    return [str(problem) for problem in caught.value.problems]


BETA_LANS = 'lans = ["10.0.2.0/24"]'

CASES = {
    "toml syntax": (bad("keepalive = 25", "keepalive = = 25"), "line 7", "not valid TOML"),
    "unknown mesh key": (
        bad("keepalive = 25", "keepalive = 25\ncolour = 1"),
        "[mesh], field colour",
        "not a known field",
    ),
    "unknown site key": (
        bad(BETA_LANS, BETA_LANS + "\nport = 1"),
        "site beta.example.net, field port",
        "not a known field",
    ),
    "unknown section": (GOOD + "\n[extra]\nx = 1\n", "top level, field extra", "not a mesh"),
    "one site only": (GOOD.split('[[site]]\nfqdn = "beta')[0], "[[site]]", "at least 2"),
    "no [mesh]": ("[[site]]" + GOOD.split("[[site]]", 1)[1], "[mesh]", "is missing"),
    "tunnel_network missing": (
        bad('tunnel_network = "192.168.100.0/24"\n', ""),
        "[mesh], field tunnel_network",
        "is missing",
    ),
    "duplicate fqdn": (
        bad('fqdn = "beta.example.net"', 'fqdn = "alpha.example.net"'),
        "site alpha.example.net, field fqdn",
        "same name",
    ),
    "fqdn not a host name": (
        bad('fqdn = "beta.example.net"', 'fqdn = "beta example;rm"'),
        "site #2, field fqdn",
        "not a host name",
    ),
    "fqdn with a slash": (
        bad('fqdn = "beta.example.net"', 'fqdn = "../etc"'),
        "site #2, field fqdn",
        "not a host name",
    ),
    "fqdn label too long": (
        bad('fqdn = "beta.example.net"', f'fqdn = "{"b" * 64}.net"'),
        "site #2, field fqdn",
        "at most 63",
    ),
    "endpoint with newline": (
        bad('endpoint = "beta.example.net"', 'endpoint = "beta\\nx"'),
        "site beta.example.net, field endpoint",
        "not a host name",
    ),
    "endpoint with port": (
        bad('endpoint = "beta.example.net"', 'endpoint = "beta.net:51820"'),
        "site beta.example.net, field endpoint",
        "not a host name",
    ),
    "mesh port zero": (
        bad("listen_port = 51820", "listen_port = 0"),
        "[mesh], field listen_port",
        "1 to 65535",
    ),
    "site port too high": (
        bad(BETA_LANS, BETA_LANS + "\nlisten_port = 65536"),
        "site beta.example.net, field listen_port",
        "1 to 65535",
    ),
    "port as string": (
        bad("listen_port = 51820", 'listen_port = "51820"'),
        "[mesh], field listen_port",
        "must be a whole number",
    ),
    "same endpoint and port": (
        bad('endpoint = "beta.example.net"', 'endpoint = "alpha.example.net"'),
        "site beta.example.net, field endpoint",
        "also where alpha",
    ),
    "interface too long": (
        bad('interface = "wg0"', 'interface = "wireguard-mesh-0"'),
        "[mesh], field interface",
        "not an interface name",
    ),
    "interface dotdot": (
        bad('interface = "wg0"', 'interface = ".."'),
        "[mesh], field interface",
        "not an interface name",
    ),
    "interface wg clashes with wg.conf": (
        bad('interface = "wg0"', 'interface = "wg"'),
        "[mesh], field interface",
        "wg.conf",
    ),
    "fallback interface bad": (
        bad('"tinc"', '"tinc vpn"'),
        "[mesh], field fallback_interface",
        "not an interface name",
    ),
    "tunnel address outside": (
        bad(BETA_LANS, BETA_LANS + '\ntunnel_address = "192.168.7.2"'),
        "site beta.example.net, field tunnel_address",
        "not a usable",
    ),
    "tunnel address is broadcast": (
        bad(BETA_LANS, BETA_LANS + '\ntunnel_address = "192.168.100.255"'),
        "site beta.example.net, field tunnel_address",
        "not a usable",
    ),
    "tunnel address twice": (
        bad(
            BETA_LANS,
            BETA_LANS + '\ntunnel_address = "192.168.100.9"',
            bad(
                'lans = ["10.0.1.0/24"]', 'lans = ["10.0.1.0/24"]\ntunnel_address = "192.168.100.9"'
            ),
        ),
        "site beta.example.net, field tunnel_address",
        "also alpha.example.net's",
    ),
    "tunnel address not an address": (
        bad(BETA_LANS, BETA_LANS + '\ntunnel_address = "x"'),
        "site beta.example.net, field tunnel_address",
        "not an IP",
    ),
    "tunnel network too small": (
        bad('"192.168.100.0/24"', '"192.168.100.7/32"'),
        "[mesh], field tunnel_network",
        "too few addresses",
    ),
    "lan with host bits": (
        bad(BETA_LANS, 'lans = ["10.0.2.1/24"]'),
        "site beta.example.net, field lans",
        "did you mean 10.0.2.0/24",
    ),
    "lan not a network": (
        bad(BETA_LANS, 'lans = ["ten"]'),
        "site beta.example.net, field lans",
        "not a network",
    ),
    "lans not a list": (
        bad(BETA_LANS, 'lans = "10.0.2.0/24"'),
        "site beta.example.net, field lans",
        "must be a list",
    ),
    "lans overlap across sites": (
        bad(BETA_LANS, 'lans = ["10.0.1.128/25"]'),
        "site beta.example.net, field lans",
        "alpha.example.net's LAN",
    ),
    "lans overlap within a site": (
        bad(BETA_LANS, 'lans = ["10.0.2.0/24", "10.0.2.0/23"]'),
        "site beta.example.net, field lans",
        "another LAN of this site",
    ),
    "lan overlaps tunnel network": (
        bad('"10.0.0.0/16"', '"192.168.0.0/16"', bad(BETA_LANS, 'lans = ["192.168.100.0/25"]')),
        "site beta.example.net, field lans",
        "tunnel_network",
    ),
    "lan outside fallback": (
        bad(BETA_LANS, 'lans = ["172.16.2.0/24"]'),
        "site beta.example.net, field lans",
        "outside fallback_network",
    ),
    "default route as lan": (
        bad(BETA_LANS, 'lans = ["0.0.0.0/0"]'),
        "site beta.example.net, field lans",
        "default route",
    ),
    "ipv6 default route as lan": (
        bad(BETA_LANS, 'lans = ["::/0"]'),
        "site beta.example.net, field lans",
        "default route",
    ),
    "default route as fallback": (
        bad('"10.0.0.0/16"', '"0.0.0.0/0"'),
        "[mesh], field fallback_network",
        "default route",
    ),
    "default route as tunnel network": (
        bad('"192.168.100.0/24"', '"::/0"'),
        "[mesh], field tunnel_network",
        "default route",
    ),
    "nat not a boolean": (
        bad(BETA_LANS, BETA_LANS + '\nnat = "yes"'),
        "site beta.example.net, field nat",
        "true or false",
    ),
    "keepalive zero": (bad("keepalive = 25", "keepalive = 0"), "[mesh], field keepalive", None),
    "mtu too small": (
        bad("keepalive = 25", "keepalive = 25\nmtu = 100"),
        "[mesh], field mtu",
        "576 to 9000",
    ),
    "private key not a key": (
        bad(BETA_LANS, BETA_LANS + '\nprivate_key = "c2VjcmV0"'),
        "site beta.example.net, field private_key",
        "not a WireGuard key",
    ),
    "public key without private key": (
        bad(BETA_LANS, BETA_LANS + f'\npublic_key = "{"A" * 43}="'),
        "site beta.example.net, field public_key",
        "without private_key",
    ),
    "watchdog fall zero": (
        GOOD + "\n[watchdog]\nfall = 0\n",
        "[watchdog], field fall",
        "use 1 to 20 failed ticks",
    ),
    "watchdog rise too high": (
        GOOD + "\n[watchdog]\nrise = 21\n",
        "[watchdog], field rise",
        "use 1 to 20 good ticks",
    ),
    "watchdog rise not whole": (
        GOOD + "\n[watchdog]\nrise = 2.5\n",
        "[watchdog], field rise",
        "must be a whole number",
    ),
    "watchdog probe_timeout too long": (
        GOOD + "\n[watchdog]\nprobe_timeout = 11\n",
        "[watchdog], field probe_timeout",
        "use 0.5 to 10 seconds",
    ),
    "watchdog probe_timeout as text": (
        GOOD + '\n[watchdog]\nprobe_timeout = "2s"\n',
        "[watchdog], field probe_timeout",
        "must be a number",
    ),
    "watchdog hold_down negative": (
        GOOD + "\n[watchdog]\nhold_down = -1\n",
        "[watchdog], field hold_down",
        "use 0 to 3600 seconds",
    ),
    "watchdog loop_interval zero": (
        GOOD + "\n[watchdog]\nloop_interval = 0\n",
        "[watchdog], field loop_interval",
        "use 1 to 60 seconds",
    ),
    "watchdog probe longer than loop": (
        GOOD + "\n[watchdog]\nprobe_timeout = 5\nloop_interval = 4\n",
        "[watchdog], field probe_timeout",
        "longer than loop_interval 4 s",
    ),
    "watchdog loop shorter than default probe": (
        GOOD + "\n[watchdog]\nloop_interval = 1\n",
        "[watchdog], field loop_interval",
        "probe_timeout 2.0 s is longer than loop_interval 1 s",
    ),
    "watchdog unknown field": (
        GOOD + "\n[watchdog]\nfails = 3\n",
        "[watchdog], field fails",
        "known fields: answered_probes, fall, hold_down, loop_interval, lost_probes, mode",
    ),
    "watchdog not a table": ("watchdog = 3\n" + GOOD, "top level, field watchdog", "[watchdog]"),
    "site watchdog fall zero": (
        GOOD + "\n[site.watchdog]\nfall = 0\n",
        "site beta.example.net, field watchdog.fall",
        "use 1 to 20 failed ticks",
    ),
    "site watchdog unknown field": (
        GOOD + "\n[site.watchdog]\ncolour = 1\n",
        "site beta.example.net, field watchdog.colour",
        "not a known field",
    ),
    "site watchdog not a table": (
        bad(BETA_LANS, BETA_LANS + "\nwatchdog = 3"),
        "site beta.example.net, field watchdog",
        "[site.watchdog]",
    ),
    "site watchdog loop shorter than mesh probe": (
        GOOD + "\n[site.watchdog]\nloop_interval = 1\n",
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
    text = bad("listen_port = 51820", "listen_port = 0", bad(BETA_LANS, 'lans = ["0.0.0.0/0"]'))
    text = bad('endpoint = "beta.example.net"', 'endpoint = "a\\nb"', text)
    lines = problems_of(text)
    assert len(lines) == 3, lines
    assert all("\n" not in line for line in lines)


def test_a_secret_never_appears_in_a_message() -> None:
    secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXM="  # 40 characters, not a key
    lines = problems_of(bad(BETA_LANS, BETA_LANS + f'\nprivate_key = "{secret}"'))
    assert lines and not any(secret in line for line in lines)


def test_syntax_error_keeps_tomllib_line_and_column() -> None:
    (line,) = problems_of(bad("keepalive = 25", "keepalive = = 25"))
    assert "line 7, column" in line


def test_watchdog_values_are_read_in_schema_order_whole_numbers_accepted_as_seconds() -> None:
    text = GOOD.replace(
        "[[site]]", "[watchdog]\nloop_interval = 5\nprobe_timeout = 1\n\n[[site]]", 1
    )
    mesh = load_mesh(text + "\n[site.watchdog]\nfall = 6\n", "mesh.toml")
    assert mesh.settings.watchdog == (("probe_timeout", 1.0), ("loop_interval", 5))
    alpha, beta = mesh.sites
    assert alpha.watchdog == () and beta.watchdog == (("fall", 6),)
    assert isinstance(mesh.settings.watchdog[0][1], float)


def test_a_clash_the_site_does_not_cause_is_reported_once_at_watchdog() -> None:
    text = GOOD + "\n[site.watchdog]\nfall = 6\n"
    text = text.replace("[[site]]", "[watchdog]\nloop_interval = 1\n\n[[site]]", 1)
    lines = problems_of(text)
    assert lines == [
        "mesh.toml: [watchdog], field loop_interval: probe_timeout 2.0 s is longer than "
        "loop_interval 1 s; shorten probe_timeout or lengthen loop_interval"
    ]
