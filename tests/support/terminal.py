"""A command run at a pseudo-terminal, as at a terminal window: for tests of what it draws
there and of closing the window under it."""

from __future__ import annotations

import fcntl
import os
import subprocess
import termios
from collections.abc import Sequence
from typing import IO, Any


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
