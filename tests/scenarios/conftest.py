"""Every scenario drives the same iptables backend as the lab (legacy where installed, as
FreshTomato has), and tells router-wg so through ROUTER_WG_IPTABLES."""

import pytest
from lab import names


@pytest.fixture(autouse=True)
def iptables_backend(monkeypatch) -> str:
    backend = names.iptables()
    monkeypatch.setenv("ROUTER_WG_IPTABLES", backend)
    return backend
