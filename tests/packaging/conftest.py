"""Fixtures of the packaging tests; the helpers are in pkgtools.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pkgtools import (
    IN_GUEST,
    VERSION,
    bare_python,
    build,
    opkg_install,
    prebuilt,
    require,
    router_bin,
    write_script,
)


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


# The part of OpenWrt's /etc/rc.common (base-files) that `rc.common INITSCRIPT enable` runs:
# read the script's START and STOP, link it into the root's /etc/rc.d.
RC_COMMON = """\
#!/bin/sh
initscript=$1
action=$2
. "$initscript"
name=${initscript##*/}
[ "$action" = enable ] || exit 1
[ -n "${START:-}" ] && ln -sf "../init.d/$name" "$IPKG_INSTROOT/etc/rc.d/S$START$name"
[ -n "${STOP:-}" ] && ln -sf "../init.d/$name" "$IPKG_INSTROOT/etc/rc.d/K$STOP$name"
exit 0
"""


@pytest.fixture(scope="session")
def opkg_root(built, tmp_path_factory) -> OpkgRoot:
    """The ipk installed into a fresh root as opkg does (pkgtools.opkg_install), with a
    python3 on the root's /usr/bin that has the standard library only. Shared by the session:
    under emulation the first run compiles pyroute2 (the bytecode goes to the root's /tmp)."""
    require("busybox")
    where = tmp_path_factory.mktemp("opkg")
    root = where / "root"
    (root / "etc" / "rc.d").mkdir(parents=True)  # the firmware's, before any package
    write_script(root / "etc" / "rc.common", RC_COMMON)
    tools = router_bin(where / "busybox", where / "syslog")
    opkg_install(built / f"router-wg_{VERSION}_all.ipk", root, tools)
    bare_python(root / "usr" / "bin" / "python3")
    return OpkgRoot(root, tools, where / "syslog")
