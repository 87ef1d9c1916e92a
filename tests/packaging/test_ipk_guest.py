"""The ipk installed into a fresh root as opkg does (conftest's opkg_root), and router-wg run
from there on a lab router: started and stopped by the installed /usr/bin/router-wg with the
bundle in the installed /etc/router-wg, on a python3 with the standard library only, and
checked with `ip`, `wg` and `iptables-save`. The kernel module in the ARM guest, wireguard-go
on the host.

alpha (router-wg from the ipk) --+-- transit --+-- beta (router-wg from this tree, its peer)
"""

from __future__ import annotations

import json
import shutil

import pytest
from lab import names
from pkgtools import router_bin
from scenarios.bundles import (
    crontab,  # reads <router.root>/etc/crontabs/root
    handshakes,
    iptables_rules,
    lab_bundles,
    links,
    start,
    wait_for,
    wg_dump,
)

pytestmark = pytest.mark.root


def test_the_installed_package_starts_and_stops_a_lab_router(
    lab, wireguard_impl, opkg_root, tmp_path
):
    root = opkg_root.root
    iptables = names.iptables()
    alpha = lab.add_router("alpha.example.net", ["10.0.1.0/24"])
    beta = lab.add_router("beta.example.net", ["10.0.2.0/24"])
    bundles = lab_bundles(tmp_path / "bundles", [alpha, beta])
    conf_dir = root / "etc" / "router-wg"  # installed 0700, empty, by the package
    syslog = tmp_path / "syslog"
    tools = router_bin(tmp_path / "bin", syslog)
    # A router's environment: nothing inherited, python3 from the root's /usr/bin.
    env = ["env", "-i", f"PATH={root}/usr/bin:{tools}:/usr/sbin:/usr/bin:/sbin:/bin"]
    env += [f"ROUTER_WG_ROOT={root}", f"ROUTER_WG_IPTABLES={iptables}"]

    def installed_router_wg(verb):
        # under emulation the first run also compiles pyroute2 from the package
        return alpha.run([*env, f"{root}/usr/bin/router-wg", verb], check=False, timeout=240)

    for bundle_file in bundles[alpha.fqdn].iterdir():
        shutil.copy(bundle_file, conf_dir)
    try:
        start(beta, bundles[beta.fqdn])
        done = installed_router_wg("start")
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"start: bundle {conf_dir}, {root}/usr/bin/python3" in syslog.read_text()

        kind = "wireguard" if wireguard_impl == "kernel" else "tun"
        link = json.loads(alpha.run(["ip", "-d", "-j", "link", "show", "wg0"]).stdout)[0]
        assert link["linkinfo"]["info_kind"] == kind
        beta_key = wg_dump(beta)[0][1]
        assert [row[0] for row in wg_dump(alpha)[1:]] == [beta_key]
        assert "-A INPUT -j RWG_INPUT" in iptables_rules(alpha, iptables)
        assert f"{root}/usr/bin/router-wg check # router-wg" in crontab(opkg_root)
        wait_for(lambda: alpha.lan_host.ping(beta.lan_host_address, count=1), 15, "alpha->beta")
        assert handshakes(alpha)[beta_key] > 0

        done = installed_router_wg("stop")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "wg0" not in links(alpha)
        assert not [rule for rule in iptables_rules(alpha, iptables) if "RWG_" in rule]
        assert "# router-wg" not in crontab(opkg_root)
    finally:
        for bundle_file in bundles[alpha.fqdn].iterdir():  # the root is shared by the session
            (conf_dir / bundle_file.name).unlink(missing_ok=True)
