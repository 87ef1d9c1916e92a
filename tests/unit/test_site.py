"""wg.conf, the settings start and the watchdog read: good files load, bad ones name the field."""

import ipaddress

import pytest

from router_wg.bundle.settings import load_site
from router_wg.bundle.site import Watchdog
from router_wg.errors import ConfigError

VALID = """
[site]
fqdn = "alpha.example.net"
interface = "wg0"
tunnel_address = "192.168.100.1"
tunnel_prefix = 24
listen_port = 51820
lans = ["10.0.1.0/24"]
mtu = 1420
fallback_network = "10.0.0.0/16"
fallback_interface = "tinc"

[watchdog]
fall = 4
probe_timeout = 1

[[peer]]
fqdn = "beta.example.net"
public_key = "x4uJw7uaGWbDCBRvaVm2CWtvfAMGd7yNAVYkPJt8XGE="
endpoint = "beta.example.net:51821"
tunnel_address = "192.168.100.2"
lans = ["10.0.2.0/24", "10.0.22.0/24"]

[[peer]]
fqdn = "gamma.example.net"
public_key = "y4uJw7uaGWbDCBRvaVm2CWtvfAMGd7yNAVYkPJt8XGE="
tunnel_address = "192.168.100.3"
lans = ["10.0.3.0/24"]
keepalive = 25
"""


def write(tmp_path, text):
    (tmp_path / "wg.conf").write_text(text)
    return tmp_path


def test_valid_file_loads_every_field(tmp_path):
    site = load_site(write(tmp_path, VALID))
    assert site.fqdn == "alpha.example.net"
    assert site.tunnel_address == ipaddress.ip_address("192.168.100.1")
    assert site.lans == (ipaddress.ip_network("10.0.1.0/24"),)
    assert site.fallback_network == ipaddress.ip_network("10.0.0.0/16")
    assert site.wireguard_file == "wg0.conf"
    assert site.watchdog == Watchdog(fall=4, probe_timeout=1.0)
    beta, gamma = site.peers
    assert beta.endpoint == "beta.example.net:51821"
    assert [str(n) for n in beta.lans] == ["10.0.2.0/24", "10.0.22.0/24"]
    assert gamma.endpoint is None and gamma.keepalive == 25


def test_missing_file_says_where_the_bundle_should_be(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_site(tmp_path)
    assert f"{tmp_path}/wg.conf" in str(error.value)
    assert "--conf-dir" in str(error.value)


def test_syntax_error_names_the_line(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_site(write(tmp_path, VALID + "\n[[peer]\n"))
    assert "line" in str(error.value)


@pytest.mark.parametrize(
    ("broken", "where"),
    [
        (VALID.replace('lans = ["10.0.1.0/24"]', 'lans = ["10.0.1.7/24"]'), "[site]: field lans"),
        (VALID.replace("listen_port = 51820", 'listen_port = "x"'), "field listen_port"),
        (
            VALID.replace('tunnel_address = "192.168.100.2"', ""),
            "(beta.example.net): field tunnel_address is missing",
        ),
        (VALID.replace("fall = 4", "fall = true"), "[watchdog]: field fall"),
        (VALID.replace("fall = 4", "fall = 0"), "[watchdog]: field fall: 0 is out of range"),
        (
            VALID.replace("probe_timeout = 1", "probe_timeout = 4\nloop_interval = 3"),
            "[watchdog]: field probe_timeout: probe_timeout 4.0 s is longer than loop_interval",
        ),
    ],
)
def test_bad_field_is_named(tmp_path, broken, where):
    with pytest.raises(ConfigError) as error:
        load_site(write(tmp_path, broken))
    message = str(error.value)
    assert where in message
    assert message.startswith(f"{tmp_path}/wg.conf: ")
