"""A command run at a pseudo-terminal, as at a terminal window: for tests of what it draws
there (at a given size, as a person would use it) and of closing the window under it."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from support.paths import ROOT

STARTUP_S = 30.0
"""Generous limit for a process to reach a given point (a cold cache synthesizes)."""

STATUS = re.compile(r"\x1b\[1m(.*?)\x1b\[0m")
"""A status line as written: bold text."""


def coach_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env.pop("COLUMNS", None)
    return env


def coach_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "coach", *args]


def _as_at_a_terminal() -> None:
    """In the child: Ctrl-C and Ctrl-\\ do what they do for a program started at a terminal.

    A program started in the background by a shell without job control (`cmd &` in a
    script, or under nohup) inherits SIGINT ignored, and Python then never raises
    KeyboardInterrupt: a test or benchmark launched that way would see Ctrl-C do nothing.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def start_at_a_terminal(
    command: Sequence[str], env: dict[str, str], *, stderr: IO[Any] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """Start `command` with a new pseudo-terminal as its controlling terminal, stdin and
    stdout (and stderr, unless given); return the process and the terminal's master end.
    Read the master while it runs (a full terminal blocks the writer); closing it is
    closing the window, which sends the process SIGHUP."""
    master, slave = os.openpty()

    def take_terminal() -> None:  # in the child, after setsid
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        _as_at_a_terminal()

    process = subprocess.Popen(
        list(command),
        stdin=slave,
        stdout=slave,
        stderr=slave if stderr is None else stderr,
        env=env,
        start_new_session=True,
        preexec_fn=take_terminal,
    )
    os.close(slave)
    return process, master


class Terminal:
    """A pseudo-terminal with a command running on it as its controlling terminal."""

    def __init__(
        self,
        command: list[str],
        *,
        columns: int = 80,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.master, self.slave = os.openpty()
        self.resize(columns)
        self.before = termios.tcgetattr(self.slave)
        self.output = b""
        self.seen = 0
        self.times: list[tuple[float, int]] = []
        """(time.monotonic(), length of output by then), for each read."""

        def take_terminal() -> None:  # in the child, after setsid: make it a real terminal
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            _as_at_a_terminal()

        self.process = subprocess.Popen(
            command,
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=env or coach_env(TERM="xterm"),
            cwd=cwd,
            start_new_session=True,
            preexec_fn=take_terminal,
        )

    def resize(self, columns: int, rows: int = 24) -> None:
        """Set the terminal's size; the kernel tells the foreground job (SIGWINCH)."""
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def read(self, timeout: float = 0.05) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # the other side closed
                return
            self.times.append((time.monotonic(), len(self.output)))

    def expect(self, text: str, timeout: float = STARTUP_S) -> str:
        """Read until `text` is shown after what the last expect found; return what came
        between the two."""
        wanted = text.encode()
        deadline = time.monotonic() + timeout
        while (found := self.output.find(wanted, self.seen)) < 0:
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.read(0.1)
                if wanted in self.output[self.seen :]:
                    continue
                raise AssertionError(f"never showed {text!r}; got {self.output[-3000:]!r}")
            self.read()
        shown = self.output[self.seen : found + len(wanted)]
        self.seen = found + len(wanted)
        return shown.decode(errors="replace")

    def pump(self, seconds: float) -> str:
        """Read for `seconds`; return what was shown in that time."""
        start = len(self.output)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.read(min(0.05, max(deadline - time.monotonic(), 0)))
        return self.output[start:].decode(errors="replace")

    def statuses(self, since: int = 0) -> list[str]:
        """Every status line written, in order (from byte `since` of the output)."""
        return STATUS.findall(self.output[since:].decode(errors="replace"))

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def attributes(self) -> list[Any]:
        return termios.tcgetattr(self.slave)

    def finish(self, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read()
        self.read(0.1)
        return self.process.wait(timeout=1)

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
        os.close(self.slave)
