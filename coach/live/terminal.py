"""The terminal during live play: single keys without Enter, and one status line.

Raw (cbreak) mode is always restored on the way out, even after an error or Ctrl-C.
"""

from __future__ import annotations

import os
import select
import sys
from types import TracebackType
from typing import Any, TextIO

from coach.live.status import Status, format_status


def read_line(stream: TextIO | None = None, poll_s: float = 0.2) -> str:
    """A line typed at the terminal ("" at end of input), waiting in short polls.

    A blocking read would not notice Ctrl-C when the signal lands on another thread (the
    speech library's, say): Python then only sets a flag, and the main thread stays in
    read() until Enter. Polling lets the KeyboardInterrupt through within `poll_s`.
    """
    stream = stream or sys.stdin
    while not select.select([stream], [], [], poll_s)[0]:
        pass
    return stream.readline()


class TerminalKeys:
    """Single key presses from a terminal (a context manager that sets cbreak mode).

    Ctrl-C still raises KeyboardInterrupt: cbreak mode keeps signals on.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdin
        self._fd = self._stream.fileno()
        self._saved: list[Any] | None = None

    def __enter__(self) -> TerminalKeys:
        import termios
        import tty

        self._saved = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.restore()

    def restore(self) -> None:
        """Put the terminal back as it was (safe to call more than once)."""
        if self._saved is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def wait(self, seconds: float) -> str | None:
        """A key pressed within `seconds` (lower-cased), or None."""
        ready, _, _ = select.select([self._fd], [], [], max(seconds, 0.0))
        if not ready:
            return None
        data = os.read(self._fd, 1)
        return data.decode("utf-8", errors="ignore").lower() or None


class StatusLine:
    """Rewrites one bold line in place on a terminal; prints nothing elsewhere."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._enabled = self._stream.isatty()
        self._last = ""

    def __call__(self, status: Status) -> None:
        if not self._enabled:
            return
        text = format_status(status)
        if text != self._last:
            self._stream.write(f"\r\x1b[2K\x1b[1m{text}\x1b[0m")
            self._stream.flush()
            self._last = text

    def close(self) -> None:
        """End the line, so what follows starts on a new one."""
        if self._enabled and self._last:
            self._stream.write("\n")
            self._stream.flush()
            self._last = ""
