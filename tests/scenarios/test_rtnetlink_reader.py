"""The standard-library rtnetlink reader against the real kernel, checked with `ip -j`.

In one namespace: a veth pair (one end with an alias, an MTU, IPv4 and IPv6 addresses),
a WireGuard link marked like ours, routes with our protocol 0x57 in the main table, one in
table 100 and one with another protocol that must not be reported as ours, and an
unreachable route of ours at a high metric (the fallback's safety net), told apart from the
unicast ones.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.root
IPV6 = Path("/proc/net/if_inet6").exists()

# What the reader and `Netlink` (the observer's reading side) see, run inside the namespace.
READ = """
import dataclasses, json, socket, sys
from router_wg.backends.netlink import Netlink
from router_wg.backends.rtnetlink import Reader
with Reader() as reader:
    links = [dataclasses.asdict(x) for x in reader.links()]
    addresses = [dataclasses.asdict(x) for x in reader.addresses()]
    v4 = [dataclasses.asdict(x) for x in reader.routes(socket.AF_INET)]
netlink = Netlink()
wg0 = netlink.link("wg0")
print(json.dumps({
    "links": links,
    "addresses": addresses,
    "v4_routes": v4,
    "ours": sorted(map(list, netlink.routes(0x57))),
    "unreachable": sorted(map(list, netlink.unreachable_routes(0x57))),
    "wg0": dataclasses.asdict(wg0) | {"addresses": sorted(wg0.addresses), "ours": wg0.ours},
    "missing": netlink.link("nonesuch"),
    "devices": {a: netlink.route_device(a) for a in sys.argv[1:]},
    "pyroute2": "pyroute2" in sys.modules,
}))
netlink.close()
"""


def ip_json(ns, *args):
    return json.loads(ns.ip("-j", *args).stdout or "[]")


def test_reader_sees_what_ip_sees(namespace, wireguard_impl):
    ns = namespace
    if IPV6:
        settings = {"net.ipv6.conf.all.disable_ipv6": 0, "net.ipv6.conf.default.disable_ipv6": 0}
        ns.sysctl(settings)
    ns.add_wireguard("wg0")
    commands = [
        "link add rwg-a type veth peer name rwg-b",
        "link set rwg-a alias 'uplink of the test' mtu 1400 up",
        "link set rwg-b up",
        "address add 10.77.0.1/24 dev rwg-a",
        "address add 10.77.1.1/24 dev rwg-a",
        "link set wg0 alias router-wg mtu 1420 up",
        "address add 192.168.77.1/24 dev wg0",
        "route add 10.78.0.0/24 dev wg0 proto 0x57",
        "route add 10.78.1.0/24 dev wg0 proto 0x57",
        "route add 10.79.0.0/24 dev rwg-a proto 0x57 table 100",  # not the main table
        "route add 10.80.0.0/24 dev rwg-a proto static",  # not ours
        "route add unreachable 10.81.0.0/16 proto 0x57 metric 1459617792",  # ours, no device
    ]
    if IPV6:
        commands += [
            "address add fd77::1/64 dev rwg-a nodad",
            "address add fd77:100::1/64 dev wg0 nodad",
            "route add fd78::/64 dev wg0 proto 0x57",
        ]
    ns.ip_batch(commands)
    lookups = ["10.78.1.9", "10.80.0.9", "10.77.0.2", "203.0.113.9"]
    seen = json.loads(ns.run([sys.executable, "-c", READ, *lookups]).stdout)

    # links: name, kind, alias, MTU, up, exactly as `ip -d link` lists them
    expected_links = {
        x["ifindex"]: {
            "index": x["ifindex"],
            "name": x["ifname"],
            "kind": x.get("linkinfo", {}).get("info_kind", ""),
            "alias": x.get("ifalias"),
            "mtu": x["mtu"],
            "up": "UP" in x["flags"],
        }
        for x in ip_json(ns, "-d", "link", "show")
    }
    assert {x["index"]: x for x in seen["links"]} == expected_links
    assert expected_links[seen["wg0"]["index"]]["alias"] == "router-wg"

    # addresses: every address of every link, as `ip addr` shows them
    expected_addresses = {
        (x["ifindex"], f"{a['local']}/{a['prefixlen']}")
        for x in ip_json(ns, "address", "show")
        for a in x["addr_info"]
    }
    assert {(a["index"], a["address"]) for a in seen["addresses"]} == expected_addresses
    assert ("rwg-a", "10.77.1.1/24") in {
        (expected_links[i]["name"], a) for i, a in expected_addresses
    }

    # the interface the observer reads: ours, its addresses without link-local ones
    wg0 = seen["wg0"]
    assert wg0["ours"] and wg0["mtu"] == 1420 and wg0["up"]
    assert wg0["kind"] == ("wireguard" if wireguard_impl == "kernel" else "tun")
    assert wg0["addresses"] == sorted(["192.168.77.1/24"] + (["fd77:100::1/64"] if IPV6 else []))
    assert seen["missing"] is None

    # our routes: main table, protocol 0x57, both families, as `ip route` lists them
    index_of = {x["name"]: i for i, x in expected_links.items()}
    expected_ours = sorted(
        [x["dst"], index_of[x["dev"]]]
        for family in (["-4"], ["-6"] if IPV6 else [])
        for x in ip_json(ns, *family, "route", "show", "table", "main", "proto", "0x57")
        if x.get("type", "unicast") == "unicast"
    )
    assert seen["ours"] == expected_ours
    assert ["10.78.1.0/24", index_of["wg0"]] in seen["ours"]
    assert not [r for r in seen["ours"] if r[0] in ("10.79.0.0/24", "10.80.0.0/24")]
    assert len(seen["ours"]) == (3 if IPV6 else 2)
    # ...while the table-100 route is there and read with its own table
    other = [r for r in seen["v4_routes"] if r["destination"] == "10.79.0.0/24"]
    assert other == [{"destination": "10.79.0.0/24", "oif": index_of["rwg-a"], "table": 100,
                      "protocol": 0x57, "kind": 1, "metric": 0}]  # fmt: skip
    # the unreachable route: its type and metric as `ip -j route` gives them
    [listed] = ip_json(ns, "route", "show", "type", "unreachable", "proto", "0x57")
    assert (
        seen["unreachable"] == [[listed["dst"], listed["metric"]]] == [["10.81.0.0/16", 1459617792]]
    )

    # `route get`: the device the kernel would use, None where there is no route
    for address in lookups:
        got = ns.ip("-j", "route", "get", address, check=False)
        expected = json.loads(got.stdout)[0]["dev"] if got.returncode == 0 else None
        assert seen["devices"][address] == expected, address
    assert seen["devices"]["203.0.113.9"] is None  # no default route in this namespace

    assert seen["pyroute2"] is False  # reading never imported it
