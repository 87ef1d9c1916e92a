"""One lock shared by start, stop and check: flock on Paths.lock_file with a bounded
wait. The kernel releases it when the holder dies, even by SIGKILL."""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager

from router_wg.errors import UserError
from router_wg.paths import Paths

DEFAULT_WAIT = 60.0


@contextmanager
def held(paths: Paths, wait: float = DEFAULT_WAIT):
    paths.lock_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(paths.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise UserError(
                        f"another router-wg run holds {paths.lock_file} for more than "
                        f"{wait:g} s; try again later"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
