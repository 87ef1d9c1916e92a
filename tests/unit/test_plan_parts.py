"""The pure pieces around the planner: wg config and dump parsing, the firewall
transaction and its inverse, iptables-save parsing, handshake ages."""

from __future__ import annotations

import pytest

from router_wg.backends.wireguard import parse_dump
from router_wg.bundle.wireguard import parse_config, render_config
from router_wg.converge.resources.iptables import actions as a
from router_wg.converge.resources.iptables.actions import inverse, transaction
from router_wg.converge.resources.iptables.rules import desired_chains, parse_save
from router_wg.errors import ConfigError
from router_wg.watchdog.report import handshake_age

PRIVATE, PUB, PSK = "P" * 43 + "=", "B" * 43 + "=", "S" * 43 + "="
CONF = f"""# written by makeconf
[Interface]
PrivateKey = {PRIVATE}
ListenPort = 51820

# beta.example.net
[Peer]
PublicKey = {PUB}
PresharedKey = {PSK}
AllowedIPs = 192.168.100.2/32, 10.0.2.0/24
Endpoint = beta.example.net:51821
PersistentKeepalive = 25
"""


def test_config_round_trip_keeps_everything_and_hides_keys_from_repr():
    device = parse_config(CONF, "wg0.conf")
    assert parse_config(render_config(device), "again") == device
    peer = device.peers[0]
    assert peer.allowed_ips == ("192.168.100.2/32", "10.0.2.0/24")
    assert (peer.endpoint, peer.keepalive) == ("beta.example.net:51821", 25)
    assert PRIVATE not in repr(device) and PSK not in repr(device)


def test_bad_config_names_the_file_and_line():
    with pytest.raises(ConfigError, match=r"wg0.conf: line 2: not a \[Section\]"):
        parse_config("[Interface]\nnonsense\n", "wg0.conf")
    with pytest.raises(ConfigError, match="exactly one \\[Interface\\]"):
        parse_config("[Peer]\nPublicKey = x\n", "wg0.conf")


def test_dump_parsing_never_and_off():
    dump = parse_dump(
        f"{PRIVATE}\tpub\t51820\toff\n"
        f"{PUB}\t(none)\t(none)\t(none)\t0\t0\t0\toff\n"
        f"{PSK}\t{PSK}\t198.18.2.2:51820\t10.0.2.0/24,192.168.100.2/32\t1700000000\t5\t6\t25\n"
    )
    quiet, busy = dump.peers[PUB], dump.peers[PSK]
    assert (quiet.endpoint, quiet.allowed_ips, quiet.keepalive) == (None, frozenset(), None)
    assert (busy.latest_handshake, busy.rx_bytes, busy.tx_bytes, busy.keepalive) == (
        1700000000,
        5,
        6,
        25,
    )


def test_transaction_declares_our_chains_and_inserts_jumps_first():
    chains = desired_chains("wg0", 51820, [])
    plan = [a.WriteChain(c.table, c.name, c.rules, None) for c in chains[:1]]
    plan.append(a.AddJump("filter", chains[0].jump))
    assert transaction(plan) == (
        "*filter\n:RWG_INPUT - [0:0]\n"
        "-A RWG_INPUT -p udp -m udp --dport 51820 -j ACCEPT\n"
        "-A RWG_INPUT -i wg0 -j ACCEPT\n"
        "-I INPUT 1 -j RWG_INPUT\nCOMMIT\n"
    )
    assert transaction(inverse(plan)) == (
        "*filter\n-D INPUT -j RWG_INPUT\n-F RWG_INPUT\n-X RWG_INPUT\nCOMMIT\n"
    )


def test_inverse_restores_a_rewritten_chain_and_removed_jumps():
    plan = [
        a.WriteChain("filter", "RWG_X", ("-A RWG_X -j ACCEPT",), ("-A RWG_X -j DROP",)),
        a.RemoveJump("filter", "-A INPUT -j RWG_X", 2),
    ]
    assert transaction(inverse(plan)) == (
        "*filter\n:RWG_X - [0:0]\n-A RWG_X -j DROP\n"
        "-I INPUT 1 -j RWG_X\n-I INPUT 1 -j RWG_X\nCOMMIT\n"
    )


def test_parse_save_sees_only_our_chains_and_plain_jumps():
    tables = parse_save(
        "*filter\n:INPUT DROP [0:0]\n:RWG_INPUT - [0:0]\n:RWG_EMPTY - [0:0]\n"
        "-A INPUT -j RWG_INPUT\n-A INPUT -j RWG_INPUT\n-A INPUT -i eth0 -j RWG_INPUT\n"
        "-A INPUT -i wg0 -j ACCEPT\n[3:180] -A RWG_INPUT -i wg0 -j ACCEPT\nCOMMIT\n"
    )
    assert tables["filter"].chains == {
        "RWG_INPUT": ("-A RWG_INPUT -i wg0 -j ACCEPT",),
        "RWG_EMPTY": (),
    }
    assert tables["filter"].jumps == {"-A INPUT -j RWG_INPUT": 2}


@pytest.mark.parametrize(
    ("latest", "now", "expected"),
    [
        (0, 1_800_000_000, "never"),
        (1_799_999_900, 1_800_000_000, 100),
        (1_799_999_900, 86_400, None),  # clock still at 1970 after boot
        (1_800_000_100, 1_800_000_000, None),  # handshake "in the future": clock stepped back
    ],
)
def test_handshake_age(latest, now, expected):
    assert handshake_age(latest, now) == expected
