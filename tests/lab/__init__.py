"""The lab: emulated routers in network namespaces, for the host tier and the ARM guest."""
