"""Dynamic DNS: a peer's address changes behind its name, and the watchdog follows it.

alpha resolves beta.example.net to a wrong address when it starts (as if beta had moved
since); beta never dials alpha (no traffic, no keepalive), so only alpha's watchdog can
bring the link up: by looking the name up again once its hosts entry is right.
"""

from __future__ import annotations

import tomllib

import pytest
from lab import names
from lab.syslog import SyslogListener
from scenarios.bundles import start, wait_for
from scenarios.watchdog_lab import (
    FAST,
    routed_lans,
    tick,
    tunnel_address,
    write_mesh_bundles,
)

pytestmark = pytest.mark.root


def endpoints(router) -> dict[str, str]:
    shown = router.run(["wg", "show", "wg0", "endpoints"]).stdout
    return dict(line.split("\t") for line in shown.splitlines())


def test_endpoint_follows_its_name_without_a_restart(lab, wireguard_impl, tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTER_WG_IPTABLES", names.iptables())
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    # fall 3: the first two ticks fail (nobody at .99, then the endpoint only just changed),
    # and neither may withdraw beta: this is about the endpoint, not the fallback
    bundles = write_mesh_bundles(tmp_path / "bundles", [alpha, beta], {**FAST, "fall": 3})
    (beta_key,) = [
        p["public_key"]
        for p in tomllib.loads((bundles[alpha.fqdn] / "wg.conf").read_text())["peer"]
    ]
    alpha.add_hosts({beta.fqdn: "198.18.2.99"})  # nobody there
    start(alpha, bundles[alpha.fqdn])
    start(beta, bundles[beta.fqdn])
    tick(alpha, bundles[alpha.fqdn])
    assert endpoints(alpha)[beta_key] == "198.18.2.99:51820"
    assert not alpha.ping(tunnel_address(beta), count=1)

    alpha.add_hosts({beta.fqdn: beta.underlay_address})  # the name is right again
    syslog = SyslogListener(alpha)
    try:
        tick(alpha, bundles[alpha.fqdn])
        assert endpoints(alpha)[beta_key] == f"{beta.underlay_address}:51820"
        heard = syslog.lines()
        assert len(heard) == 1, heard
        assert f"beta.example.net: endpoint changed to {beta.underlay_address}:51820" in heard[0]
        assert "was 198.18.2.99:51820" in heard[0]
        # WireGuard re-initiates a handshake at most every 5 s: the one to .99 was recent
        wait_for(lambda: lab.ping(alpha, beta, count=1), 10, "alpha LAN -> beta LAN")
        assert lab.ping(alpha, beta)
        tick(alpha, bundles[alpha.fqdn])  # quiet now: nothing to look up, nothing to say
        assert syslog.lines() == []
    finally:
        syslog.close()
    assert routed_lans(alpha) == set(beta.lans)
