#!/usr/bin/env python3
"""Stand-in for OpenWrt's procd: the services and instances an init script with USE_PROCD=1
hands it, each instance run and respawned by procd's own rules (service/instance.c,
service/service.c of procd). Installed as <root>/sbin/procd; everything it keeps is under
that root, so a test never touches the host's /etc or /var:

    procd daemon                  supervise until SIGTERM (PID 1's job on a router); the
                                  instances get its environment plus their `env` params
    procd set|add < MESSAGE       `ubus call service set|add`: what procd_close_service sends
    procd delete NAME [INSTANCE]  `ubus call service delete`: what procd_kill sends
    procd list [NAME]             `ubus call service list`: JSON, running, pid, respawn

The message is procd.sh's (its stand-in): one line per item, fields split by tabs.

Modelled, as procd does it:
- set: a new instance starts; one already there is left alone when it runs and its
  command, env, respawn, term_timeout and pidfile are unchanged, restarted (SIGTERM, then
  started again once it exited) when any changed, and started when it does not run (exited,
  waiting for a respawn, or given up). `set` stops the service's instances the message no
  longer names; `add` keeps them.
- an exit of an instance with respawn: its run counts as a crash when it lasted less than
  `threshold` seconds (whole seconds of CLOCK_MONOTONIC, as procd subtracts tv_sec), and
  the count goes back to 0 after a longer run; more than `retry` crashes in a row end the
  respawning ("in a crash loop", logged), 0 meaning never; otherwise it starts again
  `timeout` seconds after the exit, whatever its exit code. Defaults 3600 5 5. A given-up
  instance keeps its crash count: started again by a `set`, one quick crash gives up again.
- delete: SIGTERM to the instance, SIGKILL after term_timeout (5) seconds; the reply comes
  at once, before the process is gone, as ubus's does.
- stdin is /dev/null; stdout and stderr are /dev/null unless `stdout 1` / `stderr 1`, then
  each line goes to the log as `<command's base name>[pid]: line`, as logd gets it.

Left out: jails, seccomp, user and group, limits, netdev, file and watch params, triggers,
validation, data-change events, reload signals, `procd_running`'s JSON filters, logd (the
log is <root>/var/log/procd.log, procd's own lines there too), PID 1 itself (the stand-in is
an ordinary process; on SIGTERM it stops every instance, then exits). Values holding a tab
or a newline cannot be sent.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent  # installed as <root>/sbin/procd
RUN = ROOT / "var" / "run"
SOCKET = "procd.sock"  # relative to RUN: a Unix socket path may not exceed 108 bytes
LOG = ROOT / "var" / "log" / "procd.log"
RESPAWN_DEFAULTS = (3600, 5, 5)  # threshold, timeout, retry: procd's own
TERM_TIMEOUT = 5
SIGNALLED_OFFSET = 128  # exit code procd reports for a process a signal ended: 128 + signal
COMPARED = ("command", "env", "respawn", "term_timeout", "pidfile")  # a change restarts
PARAMS = {"command", "env", "respawn", "stdout", "stderr", "term_timeout", "pidfile", "data"}


def log(line: str) -> None:
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with LOG.open("a") as out:
        out.write(line.rstrip("\n") + "\n")


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


@dataclass
class Instance:
    service: str
    name: str
    config: dict
    pid: int | None = None
    started: float = 0.0
    crashes: int = 0
    halt: bool = False
    restart: bool = False
    respawn: bool = False
    deadline: float | None = None  # procd's one timer per instance: respawn, or SIGKILL
    exit_code: int = 0
    pipes: dict = field(default_factory=dict)  # fd -> (ident prefix, unfinished bytes)

    @property
    def label(self) -> str:
        return f"{self.service}::{self.name}"

    def respawn_values(self) -> tuple[int, int, int]:
        given = [int(v) for v in self.config.get("respawn", [])][:3]
        return (*given, *RESPAWN_DEFAULTS[len(given) :])  # type: ignore[return-value]


class Procd:
    def __init__(self) -> None:
        self.services: dict[str, dict[str, Instance]] = {}
        self.deleted: set[str] = set()  # gone from the list once their instances ended
        self.selector = selectors.DefaultSelector()
        self.stopping = False  # SIGTERM came: stop every instance, then exit

    # -- instances, as service/instance.c ----------------------------------------------
    def start(self, inst: Instance) -> None:
        if inst.pid is not None:
            if inst.halt:
                inst.restart = True
            return
        command = inst.config.get("command")
        if not command:
            log(f"procd: Not starting instance {inst.label}, command not set")
            return
        inst.halt = inst.restart = False
        self._close_pipes(inst)
        pipes = {s: os.pipe() for s in ("stdout", "stderr") if inst.config.get(s) == "1"}
        env = {**os.environ, **inst.config.get("env", {})}
        pid = os.fork()
        if pid == 0:  # the child: procd's instance_run
            try:
                null = os.open(os.devnull, os.O_RDWR)
                os.dup2(null, 0)
                os.dup2(pipes["stdout"][1] if "stdout" in pipes else null, 1)
                os.dup2(pipes["stderr"][1] if "stderr" in pipes else null, 2)
                os.closerange(3, 65536)
                os.chdir("/")
                for sig in (signal.SIGTERM, signal.SIGCHLD):
                    signal.signal(sig, signal.SIG_DFL)
                os.execvpe(command[0], command, env)  # noqa: S606 (as procd: no shell)
            finally:
                os._exit(127)
        inst.pid, inst.started = pid, now()
        ident = f"{os.path.basename(command[0])}[{pid}]"
        for read, write in pipes.values():
            os.close(write)
            os.set_blocking(read, False)
            inst.pipes[read] = [ident, b""]
            self.selector.register(read, selectors.EVENT_READ, ("pipe", inst))
        if inst.config.get("pidfile"):
            Path(inst.config["pidfile"]).write_text(f"{pid}\n")
        log(f"procd: Started instance {inst.label}[{pid}]")

    def _close_pipes(self, inst: Instance) -> None:
        """What the last run left unread goes to the log; its pipes close."""
        for fd in list(inst.pipes):
            self._drain(inst, fd, closing=True)

    def _drain(self, inst: Instance, fd: int, closing: bool = False) -> None:
        ident, pending = inst.pipes[fd]
        ended = closing
        while True:
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                break
            if not chunk:
                ended = True
                break
            pending += chunk
        *lines, pending = pending.split(b"\n")
        if ended and pending:
            lines.append(pending)
        for line in lines:
            log(f"{ident}: {line.decode(errors='replace')}")
        if ended:
            self.selector.unregister(fd)
            os.close(fd)
            del inst.pipes[fd]
        else:
            inst.pipes[fd][1] = pending

    def exited(self, inst: Instance, status: int) -> None:
        runtime = int(now()) - int(inst.started)
        code = os.waitstatus_to_exitcode(status)
        inst.exit_code = code if code >= 0 else SIGNALLED_OFFSET - code
        inst.deadline = None
        inst.pid = None
        if inst.halt:
            if inst.restart:
                self.start(inst)
            else:
                self._delete(inst)
        elif inst.restart:
            self.start(inst)
        elif inst.respawn:
            threshold, timeout, retry = inst.respawn_values()
            inst.crashes = inst.crashes + 1 if runtime < threshold else 0
            if inst.crashes > retry and retry > 0:
                log(
                    f"procd: Instance {inst.label} s in a crash loop {inst.crashes} crashes, "
                    f"{runtime} seconds since last crash"
                )
                inst.restart = inst.respawn = False
                inst.halt = True
            else:
                inst.deadline = now() + timeout

    def timed_out(self, inst: Instance) -> None:
        inst.deadline = None
        if inst.halt:
            log(f"procd: Instance {inst.label} pid {inst.pid} not stopped on SIGTERM, SIGKILL")
            self._signal(inst, signal.SIGKILL)
        elif inst.restart or inst.respawn:
            self.start(inst)

    def stop(self, inst: Instance) -> None:
        if inst.pid is None:
            self._delete(inst)
            return
        inst.halt, inst.restart, inst.respawn = True, False, False
        self._signal(inst, signal.SIGTERM)
        inst.deadline = now() + int(inst.config.get("term_timeout", TERM_TIMEOUT))

    def update(self, inst: Instance, config: dict) -> None:
        changed = any(inst.config.get(k) != config.get(k) for k in COMPARED)
        running, stopping = inst.pid is not None, inst.halt
        inst.config, inst.respawn = config, "respawn" in config  # the crash count stays
        if not running or stopping:
            self.start(inst)
        elif changed:
            inst.halt = inst.restart = True
            self._signal(inst, signal.SIGTERM)
            inst.deadline = now() + int(config.get("term_timeout", TERM_TIMEOUT))

    def _signal(self, inst: Instance, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(inst.pid, sig)

    def _delete(self, inst: Instance) -> None:
        instances = self.services.get(inst.service, {})
        if instances.get(inst.name) is inst:
            del instances[inst.name]
        if inst.config.get("pidfile"):
            Path(inst.config["pidfile"]).unlink(missing_ok=True)

    # -- services, as service/service.c ------------------------------------------------
    def set_service(self, message: list[list[str]], add: bool) -> None:
        name, configs = parse(message)
        self.deleted.discard(name)
        instances = self.services.setdefault(name, {})
        for inst_name, config in configs.items():
            if inst_name in instances:
                self.update(instances[inst_name], config)
            else:
                inst = Instance(name, inst_name, config, respawn="respawn" in config)
                instances[inst_name] = inst
                self.start(inst)
        if not add:
            for inst_name in [n for n in instances if n not in configs]:
                self.stop(instances[inst_name])

    def delete(self, name: str, instance: str | None) -> None:
        instances = self.services.get(name)
        if instances is None:
            raise LookupError(f"service {name} not found")
        if instance is None:
            self.deleted.add(name)
        for inst in [i for n, i in instances.items() if instance in (None, n)]:
            self.stop(inst)

    def listing(self, name: str | None) -> dict:
        out = {}
        for service, instances in self.services.items():
            if name in (None, service):
                out[service] = {"instances": {n: describe(i) for n, i in instances.items()}}
        return out

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> None:
        RUN.mkdir(parents=True, exist_ok=True)
        os.chdir(RUN)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(SOCKET)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(SOCKET)
        server.listen(8)
        wake_read, wake_write = socket.socketpair()
        wake_write.setblocking(False)
        signal.set_wakeup_fd(wake_write.fileno(), warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the select through the fd
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        self.selector.register(server, selectors.EVENT_READ, ("client", None))
        self.selector.register(wake_read, selectors.EVENT_READ, ("wake", None))
        log(f"procd: supervising (pid {os.getpid()})")
        while True:
            if self.stopping:
                for inst in [i for i in self._all() if i.pid is None or not i.halt or i.restart]:
                    self.stop(inst)
                if not self._all():
                    break
            deadlines = [i.deadline for i in self._all() if i.deadline is not None]
            wait = max(0.0, min(deadlines) - now()) if deadlines else None
            for key, _ in self.selector.select(wait):
                kind, inst = key.data
                if kind == "client":
                    self._serve(server)
                elif kind == "wake":
                    wake_read.recv(4096)
                elif key.fd in inst.pipes:
                    self._drain(inst, key.fd)
            self._reap()
            for inst in [i for i in self._all() if i.deadline and i.deadline <= now()]:
                self.timed_out(inst)
            self.services = {n: i for n, i in self.services.items() if i or n not in self.deleted}
        server.close()
        os.unlink(SOCKET)
        log("procd: stopped")

    def _all(self) -> list[Instance]:
        return [i for instances in self.services.values() for i in instances.values()]

    def _reap(self) -> None:
        by_pid = {i.pid: i for i in self._all() if i.pid is not None}
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in by_pid:
                self.exited(by_pid[pid], status)

    def _serve(self, server: socket.socket) -> None:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(10)
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
            lines = [line.split("\t") for line in data.decode().splitlines()]
            verb, args = lines[0][0], lines[0][1:]
            try:
                if verb in ("set", "add"):
                    self.set_service(lines[1:], add=verb == "add")
                    reply = ""
                elif verb == "delete":
                    self.delete(args[0], args[1] if len(args) > 1 else None)
                    reply = ""
                elif verb == "list":
                    reply = json.dumps(self.listing(args[0] if args else None), indent=1)
                else:
                    raise ValueError(f"unknown request {verb!r}")
                conn.sendall(b"ok\n" + reply.encode())
            except (LookupError, ValueError) as exc:
                conn.sendall(f"error: {exc}\n".encode())


def parse(message: list[list[str]]) -> tuple[str, dict[str, dict]]:
    """procd.sh's lines: the service's name and each instance's params."""
    name, configs, current = None, {}, None
    for kind, *fields in message:
        if kind == "service":
            name = fields[0]
        elif kind == "instance":
            current = configs[fields[0]] = {}
        elif kind in ("param", "append"):
            if current is None:
                raise ValueError(f"{kind} {fields[0]} outside an instance")
            param, values = fields[0], fields[1:]
            if param not in PARAMS:
                raise ValueError(f"param {param} is not modelled by this stand-in")
            if param in ("env", "data"):
                table = dict(v.split("=", 1) if "=" in v else (v, "") for v in values)
                current[param] = {**current.get(param, {}), **table} if kind == "append" else table
            elif param in ("command", "respawn"):
                current[param] = current.get(param, []) + values if kind == "append" else values
            else:
                current[param] = values[0] if values else ""
    if name is None:
        raise ValueError("no service named")
    return name, configs


def describe(inst: Instance) -> dict:
    out = {"running": inst.pid is not None}
    if inst.pid is not None:
        out["pid"] = inst.pid
    out["command"] = inst.config.get("command", [])
    out["term_timeout"] = int(inst.config.get("term_timeout", TERM_TIMEOUT))
    if inst.pid is None:
        out["exit_code"] = inst.exit_code
    if inst.respawn:
        threshold, timeout, retry = inst.respawn_values()
        out["respawn"] = {"threshold": threshold, "timeout": timeout, "retry": retry}
    return out


def request(verb: str, *args: str, body: str = "") -> int:
    """The client side: one request, the reply on stdout; 1 when procd refused it, 4 when
    no procd runs (ubus: "Failed to connect")."""
    try:
        os.chdir(RUN)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(SOCKET)
            conn.sendall("\t".join([verb, *args]).encode() + b"\n" + body.encode())
            conn.shutdown(socket.SHUT_WR)
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
    except OSError as exc:
        print(f"Failed to connect to procd ({ROOT}): {exc}", file=sys.stderr)
        return 4
    status, _, rest = reply.decode().partition("\n")
    if status != "ok":
        print(status, file=sys.stderr)
        return 1
    sys.stdout.write(rest)
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["daemon"]:
        Procd().run()
        return 0
    if argv[:1] in (["set"], ["add"]):
        return request(argv[0], body=sys.stdin.read())
    if argv[:1] in (["delete"], ["list"]):
        return request(*argv)
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
