"""State changes reach syslog as one tagged line; without syslog they reach stderr."""

import socket

from router_wg.events import send_event


def test_event_reaches_a_listening_syslog_socket(tmp_path):
    address = tmp_path / "log"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as syslogd:
        syslogd.bind(str(address))
        send_event(address, "beta.example.net withdrawn: no answer for 3 ticks")
        syslogd.settimeout(2)
        line = syslogd.recv(4096).decode()
    assert line == "<29>router-wg: beta.example.net withdrawn: no answer for 3 ticks"


def test_without_syslog_the_event_goes_to_stderr(tmp_path, capsys):
    send_event(tmp_path / "nobody-listens", "beta.example.net restored", "info")
    assert capsys.readouterr().err == "router-wg: beta.example.net restored\n"
