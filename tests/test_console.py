"""How a command ends at the terminal: stop signals, closed streams, usage mistakes in the
product's words, and help that never breaks a word at its hyphen."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap

import click
import pytest

from coach.console import (
    CoachHelpFormatter,
    Stopped,
    is_output_error,
    say_error,
    stop_signals,
    stopped_status,
    usage_message,
    while_stopping,
)


def test_sigterm_inside_the_block_raises_stopped_and_the_handler_is_put_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Stopped) as raised, stop_signals():
        os.kill(os.getpid(), signal.SIGTERM)
    assert raised.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_second_signal_cannot_cut_the_clean_up_short() -> None:
    cleaned = False
    with pytest.raises(Stopped), stop_signals():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            os.kill(os.getpid(), signal.SIGHUP)  # ignored while the first is handled
            cleaned = True
    assert cleaned


def test_the_exit_status_names_the_signal() -> None:
    assert stopped_status(Stopped(signal.SIGTERM)) == 128 + signal.SIGTERM
    assert stopped_status(Stopped(signal.SIGHUP)) == 128 + signal.SIGHUP
    assert stopped_status(KeyboardInterrupt()) == 130
    with pytest.raises(OSError) as later:
        _raise_while_handling(Stopped(signal.SIGTERM))
    assert stopped_status(later.value) == 128 + signal.SIGTERM


def _raise_while_handling(first: BaseException) -> None:
    """Raise an OSError while `first` is being handled, as a clean-up that fails does."""
    try:
        raise first  # noqa: TRY301 (the error being handled is the point)
    except BaseException:
        raise OSError("while cleaning up") from None


def test_an_error_raised_while_stopping_is_known_as_such() -> None:
    with pytest.raises(OSError) as later:
        _raise_while_handling(KeyboardInterrupt())
    assert while_stopping(later.value)
    assert not while_stopping(OSError("on its own"))


def test_only_unnamed_output_failures_are_output_errors() -> None:
    assert is_output_error(OSError(errno.ENOSPC, "No space left on device"))
    assert is_output_error(OSError(errno.EBADF, "standard output is closed"))
    assert not is_output_error(OSError(errno.ENOSPC, "No space left", "session.mp3"))
    assert not is_output_error(OSError(errno.EACCES, "Permission denied"))


def test_an_error_is_said_once_with_no_terminal_controls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    say_error("Bad title \x1b[2Jhere.")
    err = capsys.readouterr().err
    assert err.startswith("coach: Bad title ")
    assert "\x1b" not in err
    assert err.count("\n") == 1


def _usage_error(args: list[str]) -> click.UsageError:
    @click.command()
    @click.option("--minutes", type=float)
    @click.option("--brief", is_flag=True)
    def render(minutes: float | None, brief: bool) -> None:  # noqa: FBT001 (click's)
        del minutes, brief

    with pytest.raises(click.UsageError) as raised:
        render.main(args, prog_name="coach render", standalone_mode=False)
    return raised.value


def test_an_unknown_option_names_the_close_ones_and_the_help() -> None:
    message = usage_message(_usage_error(["--minute", "5"]), "coach render")
    assert message == (
        "There is no option --minute for coach render; did you mean --minutes? "
        "See 'coach render --help'."
    )


def test_an_option_without_its_value_says_it_needs_one() -> None:
    message = usage_message(_usage_error(["--minutes"]), "coach render")
    assert message == "--minutes needs a value after it. See 'coach render --help'."


def test_help_never_breaks_a_word_at_its_hyphen() -> None:
    formatter = CoachHelpFormatter(width=30)
    text = "Choose a routine such as rest-stop or long-routine, by its name."
    formatter.write_text(text)
    lines = [line.strip() for line in formatter.getvalue().splitlines()]
    assert " ".join(lines) == text
    assert not any(line.endswith("-") for line in lines)
    assert "rest-stop" in formatter.getvalue()
    assert "\u2011" not in formatter.getvalue()


def test_a_command_started_without_its_standard_streams_gets_devnull() -> None:
    code = textwrap.dedent(
        """
        import os, sys
        from coach.console import reopen_closed_streams
        reopen_closed_streams()
        fd = os.open(os.devnull, os.O_RDONLY)
        print(fd > 2, sys.stdin.read() == "", file=sys.stderr)
        try:
            print("lost")
            sys.stdout.flush()
        except OSError as error:
            os.write(2, f"stdout: {error.strerror}".encode())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", f"import os; os.close(0); os.close(1); exec({code!r})"],
        capture_output=False,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "True True\nstdout: standard output is closed"
