"""tests/guest checks the ARM guest itself: they run only where the real WireGuard module is.

On the host (no module) every test here is skipped with the reason; `make qemu-test` runs them
inside the guest. Availability is asked with `modprobe --dry-run`, which finds the module
without loading it, so the tests themselves still prove that loading works.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def wireguard_module_available() -> bool:
    if Path("/sys/module/wireguard").exists():
        return True
    if shutil.which("modprobe") is None:
        return False
    probe = subprocess.run(["modprobe", "--dry-run", "wireguard"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.fixture(autouse=True)
def _only_in_the_guest(request):
    if not wireguard_module_available():
        pytest.skip("no WireGuard kernel module here: runs in the ARM guest (make qemu-test)")
    if request.node.get_closest_marker("root") and os.geteuid() != 0:
        pytest.skip("needs root")
