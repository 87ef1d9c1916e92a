"""`make demo`: router-wg's main job on three emulated routers, narrated for a newcomer.

    python -m demo [--no-heal] [--dist ARCHIVE]   (PYTHONPATH=tests, as root)

Setup builds a lab (tests/lab): three routers in network namespaces off one transit, a LAN
host behind each, tinc joining them all. Then, as an admin would: makeconf writes the
bundles (1), each router gets the `make dist` archive in its /jffs with its bundle beside
the wrapper (2), the Firewall hook line starts router-wg and its watcher (3), a LAN host
pings another LAN over WireGuard (4), one link is cut and the watchers move its traffic to
tinc within seconds (5), the link heals and the traffic comes back after the hold-down (6),
`stop` leaves nothing behind (7).
Exit 0 only when every step did what it said; the lab is removed whatever happens.

run.py drives it, steps_mesh.py and steps_failover.py are the steps, checks.py reads the
routers with system tools, narrate.py prints the story. The guest runs it through
`qemu/run-tests --demo` (see the Makefile's demo target).
"""
