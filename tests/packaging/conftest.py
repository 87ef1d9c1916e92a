"""Fixtures of the packaging tests; the helpers are in pkgtools.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from pkgtools import build


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """PKG_OUT of one `make ipk dist` run, shared by the whole session."""
    return build(tmp_path_factory.mktemp("pkg"), "ipk", "dist")
