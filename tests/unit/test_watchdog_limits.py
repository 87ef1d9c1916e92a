"""One place decides what the watchdog accepts: mesh.toml's [watchdog] and wg.conf's agree.

Each value just inside and just outside a limit goes through both loaders: makeconf's
(router_wg.model) and the one `check` uses on the router (router_wg.bundle.settings). They
must accept and refuse the same values, so makeconf never writes a wg.conf that `check`
would refuse.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lab.meshes import fields_toml, mesh_toml, site

from router_wg.bundle.settings import load_site
from router_wg.bundle.site import WATCHDOG_LIMITS
from router_wg.errors import ConfigError
from router_wg.model import load_mesh

SITES = [site("alpha", 1), site("beta", 2, endpoint=None)]
WG_CONF = """\
[site]
fqdn = "alpha.example.net"
interface = "wg0"
tunnel_address = "192.168.100.1"
tunnel_prefix = 24
listen_port = 51820
lans = ["10.0.1.0/24"]

[watchdog]
"""


def step(name: str) -> float:
    return 0.1 if isinstance(WATCHDOG_LIMITS[name].low, float) else 1


CASES = [
    (name, value)
    for name, limit in WATCHDOG_LIMITS.items()
    for value in (limit.low - step(name), limit.low, limit.high, limit.high + step(name))
]


def mesh_accepts(watchdog: dict) -> bool:
    try:
        load_mesh(mesh_toml(SITES, watchdog=watchdog), "mesh.toml")
    except ConfigError:
        return False
    return True


def site_accepts(watchdog: dict, tmp_path: Path) -> bool:
    (tmp_path / "wg.conf").write_text(WG_CONF + fields_toml(watchdog))
    try:
        load_site(tmp_path)
    except ConfigError:
        return False
    return True


@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{n}={v:g}" for n, v in CASES])
def test_mesh_file_and_wg_conf_accept_the_same_values(name, value, tmp_path: Path) -> None:
    limit = WATCHDOG_LIMITS[name]
    watchdog = {name: value}
    # keep the probe wait within the loop interval, so only the limit under test counts
    if name == "loop_interval":
        watchdog["probe_timeout"] = 0.5
    if name == "probe_timeout":
        watchdog["loop_interval"] = 60
    inside = limit.low <= value <= limit.high
    assert mesh_accepts(watchdog) is inside
    assert site_accepts(watchdog, tmp_path) is inside


def test_probe_longer_than_the_interval_is_refused_by_both(tmp_path: Path) -> None:
    longer = {"probe_timeout": 4, "loop_interval": 3}
    equal = {"probe_timeout": 3, "loop_interval": 3}
    assert not mesh_accepts(longer)
    assert not site_accepts(longer, tmp_path)
    assert mesh_accepts(equal)
    assert site_accepts(equal, tmp_path)
