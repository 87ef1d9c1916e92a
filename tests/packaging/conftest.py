"""Fixtures of the packaging tests; the helpers are in pkgtools.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from lab import names
from openwrt_install import OpenWrtRouter, install, openwrt_tools
from pkgtools import IN_GUEST, VERSION, build, prebuilt, require

IPK = f"router-wg_{VERSION}_all.ipk"


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """PKG_OUT of one `make ipk dist` run, shared by the whole session; where there is no
    make (the ARM guest), the archives `make qemu-test` built into out/ on the host."""
    if IN_GUEST:
        return prebuilt()
    return build(tmp_path_factory.mktemp("pkg"), "ipk", "dist")


@dataclass(frozen=True)
class OpkgRoot:
    root: Path  # the router's / with the package installed
    tools: Path  # a PATH folder of BusyBox applets and a logger writing to `syslog`
    syslog: Path

    @property
    def lib(self) -> Path:
        return self.root / "usr" / "share" / "router-wg" / "lib"


@pytest.fixture(scope="session")
def opkg_root(built, tmp_path_factory) -> OpkgRoot:
    """The ipk installed into a fresh OpenWrt root as opkg does (openwrt_install.install:
    OpenWrt's rc.common as a stand-in, postinst run), with a python3 on the root's /usr/bin
    that has the standard library only. Shared by the session: under emulation the first
    run compiles pyroute2 (the bytecode goes to the root's /tmp)."""
    require("busybox", "flock")
    where = tmp_path_factory.mktemp("opkg")
    root = where / "root"
    tools = openwrt_tools(where / "busybox", where / "syslog")
    install(built / IPK, root, tools)
    return OpkgRoot(root, tools, where / "syslog")


@pytest.fixture
def openwrt_router(lab, built, tmp_path):
    """install_on(router, bundle): the ipk on that lab router as an OpenWrt admin installs it
    (openwrt_install.OpenWrtRouter), procd running there until the test ends."""
    made = []

    def install_on(router, bundle: Path) -> OpenWrtRouter:
        work = tmp_path / f"openwrt-{router.label}"
        work.mkdir()
        made.append(OpenWrtRouter(router, built / IPK, bundle, names.iptables(), work))
        return made[-1]

    try:
        yield install_on
    finally:
        for installed in made:
            installed.close()
