"""The terminal during live play: single keys without Enter, Ctrl-Z, and one status line.

Raw (cbreak) mode is always restored on the way out, even after an error or Ctrl-C, and
before the process stops for Ctrl-Z; it is set again when the process continues.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import shutil
import signal
import sys
import time
from types import FrameType, TracebackType
from typing import Any, TextIO

from coach.live.status import format_status
from coach.live.types import CONTINUED, SUSPEND, Status
from coach.width import display_width


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

    Ctrl-C still raises KeyboardInterrupt: cbreak mode keeps signals on. Ctrl-Z does not stop
    the process at once: `wait` returns SUSPEND, so the player can fade the sound out first
    and then call `suspend`. When the process is continued after being stopped some other
    way, cbreak mode is set again and `wait` returns CONTINUED.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdin
        self._fd = self._stream.fileno()
        self._saved: list[Any] | None = None
        self._pending: str | None = None
        self._suspending = False
        self._wake_read, self._wake_write = -1, -1
        self._handlers: dict[int, Any] = {}

    def __enter__(self) -> TerminalKeys:
        import termios
        import tty

        self._saved = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd)
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        for number, handler in ((signal.SIGTSTP, self._on_stop), (signal.SIGCONT, self._on_cont)):
            with contextlib.suppress(ValueError):  # not the main thread: no job control
                self._handlers[number] = signal.signal(number, handler)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.restore()

    def restore(self) -> None:
        """Put the terminal and the signal handlers back as they were (safe to call twice)."""
        for number, handler in self._handlers.items():
            signal.signal(number, handler)
        self._handlers.clear()
        if self._saved is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._saved = None
        for fd in (self._wake_read, self._wake_write):
            if fd >= 0:
                os.close(fd)
        self._wake_read = self._wake_write = -1

    def wait(self, seconds: float) -> str | None:
        """A key pressed within `seconds` (lower-cased), SUSPEND or CONTINUED, or None."""
        deadline = time.monotonic() + max(seconds, 0.0)
        while self._pending is None:
            watched = [self._fd] + ([self._wake_read] if self._wake_read >= 0 else [])
            ready, _, _ = select.select(watched, [], [], max(deadline - time.monotonic(), 0.0))
            if self._fd in ready:
                data = os.read(self._fd, 1)
                return data.decode("utf-8", errors="ignore").lower() or None
            if not ready:
                return None
            self._drain_wake()
        self._drain_wake()
        pending, self._pending = self._pending, None
        return pending

    def suspend(self) -> None:
        """Restore the terminal and stop the process, as Ctrl-Z would; once continued (fg),
        set cbreak mode again and return."""
        import termios
        import tty

        if self._saved is None:
            return
        self._suspending = True
        try:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            os.kill(os.getpid(), signal.SIGSTOP)
            tty.setcbreak(self._fd)
        finally:
            self._suspending = False
        if self._pending == CONTINUED:
            self._pending = None

    def _on_stop(self, _number: int, _frame: FrameType | None) -> None:
        self._pending = SUSPEND
        self._wake()

    def _on_cont(self, _number: int, _frame: FrameType | None) -> None:
        if self._suspending or self._saved is None:
            return
        import termios
        import tty

        # Stopped by something other than Ctrl-Z (kill -STOP): the shell has since put the
        # terminal back in line mode, so keys would wait for Enter.
        with contextlib.suppress(termios.error):
            tty.setcbreak(self._fd)
        self._pending = CONTINUED
        self._wake()

    def _drain_wake(self) -> None:
        if self._wake_read >= 0:
            with contextlib.suppress(BlockingIOError):
                os.read(self._wake_read, 64)

    def _wake(self) -> None:
        if self._wake_write >= 0:
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_write, b"!")


class StatusLine:
    """Rewrites one bold line in place on a terminal, fitted to its width (implements
    coach.live.types.Display). Off a terminal it shows notices only.

    The width is read at every refresh, so the line follows a resize. When the terminal
    narrows, it re-wraps the line already shown onto more rows (tmux and most terminals do);
    those rows are cleared too, so no stale copy is left above.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._tty = self._stream.isatty()
        self._last = ""

    def status(self, status: Status) -> None:
        if not self._tty:
            return
        columns = self._columns()
        text = format_status(status, columns - 1)  # never the last column: no auto-wrap
        if text == self._last and display_width(text) < columns:
            return
        self._stream.write(f"{self._erase(columns)}\x1b[1m{text}\x1b[0m")
        self._stream.flush()
        self._last = text

    def notice(self, text: str) -> None:
        if self._tty:
            self._stream.write(self._erase(self._columns()))
            self._last = ""
        self._stream.write(text + "\n")
        self._stream.flush()

    def clear(self) -> None:
        if self._tty and self._last:
            self._stream.write(self._erase(self._columns()))
            self._stream.flush()
        self._last = ""

    def _columns(self) -> int:
        """The terminal's width now; where it says none (0), $COLUMNS or 80."""
        try:
            columns = os.get_terminal_size(self._stream.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        if columns <= 0:
            columns = shutil.get_terminal_size().columns
        return max(columns, 2)

    def _erase(self, columns: int) -> str:
        """Clear the line shown last, over every row it now takes up."""
        rows = max(math.ceil(display_width(self._last) / columns), 1)
        return "\r\x1b[2K" + "\x1b[1A\x1b[2K" * (rows - 1)
