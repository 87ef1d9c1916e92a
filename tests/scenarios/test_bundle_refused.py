"""A router given a wg.conf and a wg0.conf from two different makeconf runs: start and plan
refuse it (exit 3) before touching anything, and show says which mesh serial it holds.

alpha (10.0.1.0/24) -- transit -- (beta, only in the bundles)
"""

from __future__ import annotations

import shutil

import pytest
from scenarios.bundles import crontab, iptables_rules, links, routes, write_bundles

# refused before anything reaches the kernel: nothing here depends on the module or ARM
pytestmark = [pytest.mark.root, pytest.mark.host_only]


def test_start_and_plan_refuse_files_of_two_runs_and_change_nothing(
    lab, wireguard_impl, tmp_path, iptables_backend
):
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    sites = [(alpha.fqdn, alpha.lans, alpha.fqdn), ("beta.example.net", ["10.0.2.0/24"], None)]
    first = write_bundles(tmp_path / "out", sites)[alpha.fqdn]
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(first / "wg0.conf", mixed)  # serial 1
    grown = [*sites, ("gamma.example.net", ["10.0.3.0/24"], "gamma.example.net")]
    second = write_bundles(tmp_path / "out", grown)[alpha.fqdn]
    shutil.copy(second / "wg.conf", mixed)  # serial 2: the mesh grew
    before = (iptables_rules(alpha, iptables_backend), routes(alpha), links(alpha))

    for verb in ("start", "plan"):
        refused = alpha.router_wg(verb, "--conf-dir", mixed, check=False)
        assert refused.returncode == 3, refused.stderr
        assert "Traceback" not in refused.stderr
        assert f"{mixed}/wg0.conf: line 1: is from mesh serial 1" in refused.stderr
        assert "wg.conf is from mesh serial 2" in refused.stderr
        assert refused.stdout == ""
    assert (iptables_rules(alpha, iptables_backend), routes(alpha), links(alpha)) == before
    assert crontab(alpha) == ""
    assert "PrivateKey" not in refused.stderr

    shown = alpha.router_wg("show", "--conf-dir", second).stdout
    assert shown.splitlines()[0].startswith("bundle: mesh serial 2, fingerprint ")
    started = alpha.router_wg("start", "--conf-dir", second)  # the matching pair works
    assert started.returncode == 0
    assert "wg0" in links(alpha)
