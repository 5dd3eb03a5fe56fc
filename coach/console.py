"""How the command line meets the terminal: a command's ending (an error worded for the
user, a stop signal, an output that cannot be written) and its --help's layout.

`coach.cli.CoachGroup.main` is where these are used, once for every command.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from types import FrameType
from typing import NoReturn

import click

from coach.errors import visible


class Stopped(KeyboardInterrupt):
    """SIGTERM, or SIGHUP (the terminal was closed), raised where Ctrl-C raises
    KeyboardInterrupt, so everything that Ctrl-C cleans up (a temporary output file, the
    terminal's mode, the audio device) is cleaned up the same way."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise `Stopped` (the previous handlers are
    put back after). Once one has arrived, more of them are ignored, so a second signal
    cannot cut short the clean-up that the first started."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        raise Stopped(signum)

    try:
        previous = {number: signal.signal(number, stop) for number in STOP_SIGNALS}
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class ClosedOutput(io.TextIOBase):
    """Standard output that was closed before the coach started: printing to it fails as
    printing to a closed descriptor does (EBADF), so the command ends with an error that
    says so, instead of a file the coach opens taking its place."""

    def write(self, text: str) -> int:
        del text  # never written
        raise OSError(errno.EBADF, "standard output is closed")

    def writable(self) -> bool:
        return True


def reopen_closed_streams() -> None:
    """Give a standard stream that the coach was started without (`coach ... 2>&-`, a
    service with no stdin) /dev/null, at its own descriptor.

    Otherwise the next file the coach opens would get that descriptor, and whatever is
    printed would go into it: an MP3, a settings file. Without stdin, input ends at once
    (so play asks for --yes); without stderr, messages are lost but the exit status still
    tells; without stdout, printing the output is an error that names the cause."""
    closed = []
    for number in (0, 1, 2):
        try:
            os.fstat(number)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: this one
            if null != number:
                os.dup2(null, number)
                os.close(null)
            closed.append(number)
    if 0 in closed or sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115  # for the process's life
    if 1 in closed or sys.stdout is None:
        sys.stdout = ClosedOutput()
    if 2 in closed or sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EBADF}
"""What writing to standard output can fail with: a full disk, a terminal that went away,
a file too large, a descriptor closed before the coach started (a closed pipe click ends
by itself, quietly, with status 1). Every file
the coach writes itself goes through coach.files, which names the file
(OSError.filename); these come without a name."""


def is_output_error(error: OSError) -> bool:
    return error.filename is None and error.errno in _OUTPUT_ERRNOS


def say_error(message: str) -> None:
    """Print "coach: message" on stderr; if stderr itself is gone, there is no one to tell."""
    with contextlib.suppress(OSError):
        click.echo(f"coach: {visible(message)}", err=True)


def stop_printing() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush of what could
    not be written does not fail again with a traceback on the way out."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def while_stopping(error: BaseException) -> bool:
    """True if `error` was raised while Ctrl-C, SIGTERM or SIGHUP was being handled."""
    cause = error.__context__
    while cause is not None and not isinstance(cause, KeyboardInterrupt):
        cause = cause.__context__
    return cause is not None


def say_stopped(error: BaseException) -> NoReturn:
    """Say "Stopped." (if there is still a terminal to say it on) and exit with the
    signal's status."""
    with contextlib.suppress(OSError):
        click.echo("Stopped.", err=True)
    sys.exit(stopped_status(error))


def stopped_status(error: BaseException) -> int:
    """128 + the signal's number for SIGTERM and SIGHUP, 130 for Ctrl-C (SIGINT)."""
    while error is not None and not isinstance(error, Stopped):
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return 128 + error.signum if isinstance(error, Stopped) else 130


def usage_message(error: click.UsageError, path: str) -> str:
    """A usage mistake (an unknown option or command, a missing value) in the product's
    words, pointing at the --help of the command it was made in (`path`, for when click
    does not say)."""
    path = error.ctx.command_path if error.ctx else path
    see = f"See '{path} --help'."
    if isinstance(error, click.NoSuchOption):
        close = sorted(error.possibilities or ())
        hint = f"; did you mean {' or '.join(close)}?" if close else "."
        return f"There is no option {error.option_name} for {path}{hint} {see}"
    if isinstance(error, click.BadOptionUsage) and "requires an argument" in error.message:
        return f"{error.option_name} needs a value after it. {see}"
    message = error.format_message().strip()
    if message and message[-1] not in ".?!":
        message += "."
    return f"{message} {see}"


NON_BREAKING_HYPHEN = "\u2011"


class CoachHelpFormatter(click.HelpFormatter):
    """Click's help layout, except that a word is never broken at its hyphen ("rest-" at
    the end of one line, "stop" on the next): hyphens are held as non-breaking ones while
    the text is wrapped, and turned back before it is shown."""

    def write_text(self, text: str) -> None:
        super().write_text(text.replace("-", NON_BREAKING_HYPHEN))

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        held = [(first, second.replace("-", NON_BREAKING_HYPHEN)) for first, second in rows]
        super().write_dl(held, col_max, col_spacing)

    def getvalue(self) -> str:
        return super().getvalue().replace(NON_BREAKING_HYPHEN, "-")


class CoachContext(click.Context):
    formatter_class = CoachHelpFormatter


class CoachCommand(click.Command):
    context_class = CoachContext
