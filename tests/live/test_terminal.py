"""The terminal side of live play, on a real pseudo-terminal: single keys and cbreak mode put
back, Ctrl-Z and being continued, and a status line that fits the width and follows resizes."""

from __future__ import annotations

import fcntl
import io
import os
import re
import select
import signal
import struct
import termios
from collections.abc import Iterator

import pytest

from coach.live.status import format_status
from coach.live.terminal import StatusLine, TerminalKeys
from coach.live.types import CONTINUED, SUSPEND, Status
from coach.width import display_width

LONG = Status("Upper-body tense and release", 4, 5, "right side, 3 of 4", 5_000, 400_000)
SHORT = Status("Side bends", 5, 5, "left side, 1 of 3", 4_000, 60_000)


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, int]]:
    master, slave = os.openpty()
    yield master, slave
    os.close(master)
    os.close(slave)


def set_size(fd: int, columns: int, rows: int = 24) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def written(master: int) -> str:
    """Everything written to the terminal so far (a pty hands it over in pieces)."""
    data = b""
    while select.select([master], [], [], 0.05)[0]:
        data += os.read(master, 65536)
    return data.decode()


def test_terminal_keys_cbreak_then_restored(pty_pair: tuple[int, int]) -> None:
    master, slave = pty_pair
    before = termios.tcgetattr(slave)
    with open(slave, closefd=False) as stream, TerminalKeys(stream) as keys:
        during = termios.tcgetattr(slave)
        assert not during[3] & termios.ICANON and not during[3] & termios.ECHO
        assert during[3] & termios.ISIG  # Ctrl-C still raises KeyboardInterrupt
        assert keys.wait(0.01) is None
        os.write(master, b"N")
        assert keys.wait(1.0) == "n"  # one key, no Enter needed, lower-cased
        os.write(master, b" ")
        assert keys.wait(1.0) == " "
    assert termios.tcgetattr(slave) == before


def test_terminal_keys_restored_after_an_error(pty_pair: tuple[int, int]) -> None:
    _, slave = pty_pair
    before = termios.tcgetattr(slave)
    handlers = signal.getsignal(signal.SIGTSTP), signal.getsignal(signal.SIGCONT)
    with (
        pytest.raises(KeyboardInterrupt),
        open(slave, closefd=False) as stream,
        TerminalKeys(stream) as keys,
    ):
        keys.restore()
        keys.restore()  # safe twice
        assert termios.tcgetattr(slave) == before
        with TerminalKeys(stream):
            raise KeyboardInterrupt
    assert termios.tcgetattr(slave) == before
    assert (signal.getsignal(signal.SIGTSTP), signal.getsignal(signal.SIGCONT)) == handlers


def test_ctrl_z_is_a_key_rather_than_an_instant_stop(pty_pair: tuple[int, int]) -> None:
    _, slave = pty_pair
    with open(slave, closefd=False) as stream, TerminalKeys(stream) as keys:
        os.kill(os.getpid(), signal.SIGTSTP)  # what Ctrl-Z sends; this process keeps running
        assert keys.wait(1.0) == SUSPEND
        assert keys.wait(0.01) is None


def test_continued_behind_its_back_sets_cbreak_again(pty_pair: tuple[int, int]) -> None:
    master, slave = pty_pair
    with open(slave, closefd=False) as stream, TerminalKeys(stream) as keys:
        # What the shell does while the process is stopped: line mode again.
        attributes = termios.tcgetattr(slave)
        attributes[3] |= termios.ICANON | termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        os.kill(os.getpid(), signal.SIGCONT)
        assert keys.wait(1.0) == CONTINUED
        assert not termios.tcgetattr(slave)[3] & termios.ICANON
        os.write(master, b"q")
        assert keys.wait(1.0) == "q"  # no Enter needed


def status_texts(output: str) -> list[str]:
    return re.findall(r"\x1b\[1m(.*?)\x1b\[0m", output)


@pytest.mark.parametrize("columns", [80, 50, 30])
def test_status_line_fits_the_terminal(pty_pair: tuple[int, int], columns: int) -> None:
    master, slave = pty_pair
    set_size(slave, columns)
    with open(slave, "w", closefd=False) as stream:
        line = StatusLine(stream)
        for status in (LONG, Status(**{**vars(LONG), "paused": True}), SHORT):
            line.status(status)
        line.clear()
    output = written(master)
    texts = status_texts(output)
    assert len(texts) == 3
    assert all(len(text) <= columns - 1 for text in texts), texts
    assert texts[0] == format_status(LONG, columns - 1)
    # Each one overwrites the line before: back to its start, cleared, never a new line.
    assert "\n" not in output
    assert output.count("\r\x1b[2K") == 4


def test_status_line_follows_a_resize_and_clears_the_rewrapped_rows(
    pty_pair: tuple[int, int],
) -> None:
    master, slave = pty_pair
    set_size(slave, 100)
    with open(slave, "w", closefd=False) as stream:
        line = StatusLine(stream)
        line.status(LONG)
        wide = written(master)
        set_size(slave, 40)
        line.status(LONG)
        narrow = written(master)
    (first,) = status_texts(wide)
    assert len(first) == 98
    (second,) = status_texts(narrow)
    assert len(second) <= 39
    # The terminal re-wrapped the 98-character line onto three rows of 40: all three cleared.
    assert narrow.startswith("\r\x1b[2K" + "\x1b[1A\x1b[2K" * 2)


def test_a_wide_title_is_erased_over_every_row_it_wraps_onto(pty_pair: tuple[int, int]) -> None:
    """30 CJK characters take 60 columns: at 30 columns that is two rows or more to clear,
    where counting characters found one."""
    master, slave = pty_pair
    wide = Status("\u6c34" * 30, 1, 2, "", None, 60_000)
    set_size(slave, 100)
    with open(slave, "w", closefd=False) as stream:
        line = StatusLine(stream)
        line.status(wide)
        (first,) = status_texts(written(master))
        assert first.startswith("\u6c34" * 30)
        set_size(slave, 30)
        line.status(wide)
        narrow = written(master)
    rows = -(-display_width(first) // 30)
    assert rows >= 3
    assert narrow.startswith("\r\x1b[2K" + "\x1b[1A\x1b[2K" * (rows - 1))
    (second,) = status_texts(narrow)
    assert display_width(second) <= 29


def test_a_terminal_that_gives_no_width_gets_80_columns(
    pty_pair: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    master, slave = pty_pair
    set_size(slave, 0)  # a new pseudo-terminal, before anyone set its size
    monkeypatch.delenv("COLUMNS", raising=False)
    with open(slave, "w", closefd=False) as stream:
        StatusLine(stream).status(SHORT)
    (text,) = status_texts(written(master))
    assert text == format_status(SHORT, 79)


def test_status_line_unchanged_is_not_written_again(pty_pair: tuple[int, int]) -> None:
    master, slave = pty_pair
    set_size(slave, 80)
    with open(slave, "w", closefd=False) as stream:
        line = StatusLine(stream)
        line.status(SHORT)
        line.status(SHORT)
    assert len(status_texts(written(master))) == 1


def test_a_notice_stays_above_the_status_line(pty_pair: tuple[int, int]) -> None:
    master, slave = pty_pair
    set_size(slave, 80)
    with open(slave, "w", closefd=False) as stream:
        line = StatusLine(stream)
        line.status(SHORT)
        line.notice("The sound stopped.")
        line.status(SHORT)  # drawn again, below the notice
    output = written(master).replace("\r\n", "\n")
    assert output.index("The sound stopped.\n") < output.rindex("\x1b[1m")
    assert len(status_texts(output)) == 2


def test_off_a_terminal_only_notices_are_shown() -> None:
    stream = io.StringIO()
    line = StatusLine(stream)
    line.status(SHORT)
    line.notice("The sound stopped.")
    line.clear()
    assert stream.getvalue() == "The sound stopped.\n"
