"""What the firmware repeats stays lean: `python -X importtime` of a no-op `start`, `plan`,
`show`, and a `start` re-applying the firewall after a flush loads no pyroute2 (seconds of
import in the ARM guest). Only a `start` that changes links or routes does. A no-op `start`
(every firewall restart) loads no applier either (a third of its time in the guest), nor
any resource's actions (defining them is most of what importing the resources costs).
"""

from __future__ import annotations

import sys

import pytest
from lab.firmware_rules import ACCEPT_ALL, firewall_restart
from scenarios.bundles import iptables_rules, write_bundles

# Host only: which modules a command imports is the same Python logic anywhere.
pytestmark = [pytest.mark.root, pytest.mark.host_only]
APPLIER = "router_wg.converge.apply"


def imported_packages(router, bundle, verb):
    """(every module the run imported and its top-level package, its stdout)."""
    argv = [sys.executable, "-X", "importtime", "-m", "router_wg", "--root", router.root]
    done = router.run([*argv, verb, "--conf-dir", bundle])
    modules = {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    modules |= {m.split(".")[0] for m in modules}
    assert "router_wg" in modules and "socket" in modules  # the report is real
    return modules, done.stdout


def test_only_a_start_that_changes_links_or_routes_imports_pyroute2(
    lab, wireguard_impl, tmp_path, iptables_backend
):
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    sites = [(alpha.fqdn, alpha.lans, None), ("beta.example.net", ["10.0.2.0/24"], "198.18.50.2")]
    bundle = write_bundles(tmp_path / "bundles", sites)[alpha.fqdn]

    cold, output = imported_packages(alpha, bundle, "start")
    assert "pyroute2" in cold, output  # the check can fail: creating wg0 needs it
    assert APPLIER in cold
    assert "10.0.2.0/24 dev wg0 proto 87" in alpha.run(["ip", "route"]).stdout
    rules = iptables_rules(alpha, iptables_backend)

    noop, output = imported_packages(alpha, bundle, "start")
    assert "[+]" not in output  # nothing to do...
    assert "pyroute2" not in noop and APPLIER not in noop  # ...and nothing imported to not do it
    assert not [m for m in noop if m.endswith(".actions")]  # not even a resource's actions

    planned, output = imported_packages(alpha, bundle, "plan")
    assert output == "" and "pyroute2" not in planned

    shown, output = imported_packages(alpha, bundle, "show")
    assert "beta.example.net" in output and "via wireguard" in output
    assert "pyroute2" not in shown

    firewall_restart(alpha, iptables_backend, ACCEPT_ALL)
    assert iptables_rules(alpha, iptables_backend) != rules
    flushed, output = imported_packages(alpha, bundle, "start")
    assert "[+]" in output and iptables_rules(alpha, iptables_backend) == rules
    assert "pyroute2" not in flushed

    alpha.run(["ip", "route", "del", "10.0.2.0/24"])  # a route to put back: pyroute2's job
    repaired, output = imported_packages(alpha, bundle, "start")
    assert "pyroute2" in repaired, output
    assert "10.0.2.0/24 dev wg0 proto 87" in alpha.run(["ip", "route"]).stdout
