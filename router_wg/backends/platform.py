"""Which router firmware this is, by its own tools and files: FreshTomato (cru and nvram),
OpenWrt (/etc/openwrt_release), else plain Linux."""

from __future__ import annotations

import shutil

from router_wg.paths import Paths

FRESHTOMATO, OPENWRT, LINUX = "freshtomato", "openwrt", "linux"


def detect(paths: Paths) -> str:
    if shutil.which("cru") and shutil.which("nvram"):
        return FRESHTOMATO
    if paths.openwrt_release.exists():
        return OPENWRT
    return LINUX
