"""A program on a real pseudo-terminal, driven like a person would: wait for text, type a line.

The child gets the terminal as its controlling tty (pty.fork), so `input()` sees a terminal
and Ctrl-C typed on it raises KeyboardInterrupt in the child, as it would for a user.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import time


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str] | None = None):
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the program
            try:
                os.execve(argv[0], argv, env or dict(os.environ))  # noqa: S606 - argv list
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.output = ""  # everything the program printed, and the echo of what was typed
        self.seen = 0  # how far expect() has consumed
        self.exit_code: int | None = None

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        self.output += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return True

    def expect(self, text: str, timeout: float = 20) -> str:
        """Wait until `text` appears after what was already expected; return what came before."""
        deadline = time.monotonic() + timeout
        while text not in self.output[self.seen :]:
            if time.monotonic() > deadline or not self._read(0.2):
                raise AssertionError(
                    f"waited for {text!r}; the terminal shows:\n{self.output[self.seen :]}"
                )
        start = self.output.index(text, self.seen)
        before = self.output[self.seen : start]
        self.seen = start + len(text)
        return before

    def send(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\n")

    def send_raw(self, data: bytes) -> None:
        os.write(self.fd, data)

    def interrupt(self) -> None:
        """Type Ctrl-C once the program waits in read(). Sent earlier, between printing the
        prompt and reading, the signal is only noticed after the next input (a CPython race
        no person is fast enough to hit)."""
        self.wait_until_idle()
        self.send_raw(b"\x03")

    def wait_until_idle(self, samples: int = 4, timeout: float = 10) -> None:
        """Until the child has been asleep for `samples` looks 50 ms apart."""
        deadline, asleep = time.monotonic() + timeout, 0
        while asleep < samples and time.monotonic() < deadline:
            with open(f"/proc/{self.pid}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
            asleep = asleep + 1 if state == "S" else 0
            time.sleep(0.05)

    def answer(self, prompt: str, line: str) -> None:
        self.expect(prompt)
        self.send(line)

    def wait(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self._read(0.2):
            if time.monotonic() > deadline:
                self.close()
                raise AssertionError(f"still running after {timeout} s:\n{self.output}")
        _, status = os.waitpid(self.pid, 0)
        self.exit_code = os.waitstatus_to_exitcode(status)
        os.close(self.fd)
        return self.exit_code

    def close(self) -> None:
        """Kill the child if it still runs (cleanup after a failed test)."""
        if self.exit_code is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.exit_code = -9
            os.close(self.fd)
