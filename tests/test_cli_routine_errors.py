"""Bad routines and bad --minutes through the real command line: exit status 2, one clean
message on stderr starting with "coach: " (or click's usage error), never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from coach.cli import cli
from coach.plan.routine import MAX_HOLD_S
from coach.speech.cache import CACHE_DIR_ENV

EXAMPLE = Path(__file__).parent / "data" / "example-routine.toml"

GOOD_ROUTINE = """\
title = "Test routine"
safety = ["Only while parked, engine off."]
closing = ["Done."]

[[exercise]]
id = "reach"
title = "Reach"
instructions = ["Reach up with both arms."]
reminder = ["Reach up."]
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="coach")


def assert_user_error(result: Result, *parts: str) -> str:
    """Exit status 2, nothing on stdout, one "coach: ..." paragraph on stderr naming `parts`."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    message = result.stderr
    assert message.startswith("coach: "), message
    assert message.count("\n") == 1, f"not a single paragraph: {message!r}"
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


def assert_usage_error(result: Result, *parts: str) -> str:
    """Click's usage error: exit status 2, usage line and "Error: ..." on stderr."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: coach show")
    for part in parts:
        assert part in result.stderr, f"{part!r} not in {result.stderr!r}"
    return result.stderr


def write_routine(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "my-routine.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.tts
def test_a_good_file_shows_its_timeline() -> None:
    """The baseline: the same command with a good file succeeds, so the errors below are the
    files' fault."""
    result = run("show", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Quick neck and shoulders: ")
    assert result.stderr == ""


@pytest.mark.tts
def test_good_minimal_file_shows(tmp_path: Path) -> None:
    result = run("show", str(write_routine(tmp_path, GOOD_ROUTINE)))
    assert result.exit_code == 0, result.output
    assert '"Reach up with both arms."' in result.stdout


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    assert_user_error(run("show", str(path)), f"Routine file {path} does not exist")


def test_unknown_builtin_name() -> None:
    assert_user_error(
        run("show", "rest-stp"),
        "no built-in routine called 'rest-stp'",
        "Built-in routines: rest-stop",
    )


def test_folder_instead_of_file(tmp_path: Path) -> None:
    assert_user_error(run("show", str(tmp_path)), str(tmp_path), "is a folder")


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write_routine(tmp_path, GOOD_ROUTINE.replace('reminder = ["Reach up."]', "reminder = ["))
    assert_user_error(run("show", str(path)), str(path), "is not valid TOML", "after line 9")


def test_invalid_toml_in_the_middle_names_the_line_and_column(tmp_path: Path) -> None:
    path = write_routine(tmp_path, GOOD_ROUTINE.replace('title = "Reach"', "title = Reach"))
    assert_user_error(
        run("show", str(path)), str(path), "is not valid TOML", "(at line 7, column 9)"
    )


def test_wrong_type_names_the_file_exercise_and_field(tmp_path: Path) -> None:
    path = write_routine(tmp_path, GOOD_ROUTINE + 'reps = "3"\n')
    assert_user_error(
        run("show", str(path)),
        str(path),
        "exercise 1 ('reach')",
        "field 'reps'",
        "should be a whole number, not text",
    )


def test_absurd_hold_names_the_file_exercise_and_field(tmp_path: Path) -> None:
    path = write_routine(tmp_path, GOOD_ROUTINE + "hold = 10800\n")
    assert_user_error(
        run("show", str(path)),
        str(path),
        "exercise 1 ('reach')",
        "field 'hold'",
        f"is 10800 seconds; it must be between 1 and {MAX_HOLD_S} seconds",
    )


def test_unknown_field_with_a_hint(tmp_path: Path) -> None:
    path = write_routine(tmp_path, GOOD_ROUTINE + "hold_seconds = 20\n")
    assert_user_error(
        run("show", str(path)), str(path), "field 'hold_seconds'", "Did you mean 'hold'?"
    )


def test_json_output_fails_the_same_clean_way(tmp_path: Path) -> None:
    path = write_routine(tmp_path, GOOD_ROUTINE + "hold = nan\n")
    assert_user_error(run("show", "--json", str(path)), "field 'hold'", "is nan seconds")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "coach: --minutes takes a number of minutes above 0, like 5 or 7.5, not '0'.\n"),
        ("-3", "coach: --minutes takes a number of minutes above 0, like 5 or 7.5, not '-3'.\n"),
        ("inf", "coach: --minutes takes a number of minutes above 0, like 5 or 7.5, not 'inf'.\n"),
        ("nan", "coach: --minutes takes a number of minutes above 0, like 5 or 7.5, not 'nan'.\n"),
        ("abc", "coach: --minutes takes a number of minutes above 0, like 5 or 7.5, not 'abc'.\n"),
        (
            "5min",
            (
                "coach: --minutes takes just the number of minutes, like 5 or 7.5: for '5min', "
                "type --minutes 5.\n"
            ),
        ),
        (
            "7.5 minutes",
            (
                "coach: --minutes takes just the number of minutes, like 5 or 7.5: for "
                "'7.5 minutes', type --minutes 7.5.\n"
            ),
        ),
        (
            "5:30",
            (
                "coach: --minutes takes just the number of minutes, like 5 or 7.5: for '5:30', "
                "type --minutes 5.5.\n"
            ),
        ),
        (
            "7,5",
            (
                "coach: --minutes takes just the number of minutes, like 5 or 7.5: for '7,5', "
                "type --minutes 7.5.\n"
            ),
        ),
    ],
)
def test_bad_minutes_says_what_to_type(value: str, expected: str) -> None:
    """Not click's wording ("'5min' is not a valid float range."), and no "Error:"."""
    result = run("show", "--minutes", value)
    assert_user_error(result)
    assert result.stderr == expected


@pytest.mark.parametrize("value", ["1.5", "fast", "79", "301", "-155"])
def test_bad_rate_says_what_to_type(value: str) -> None:
    result = run("show", "--rate", value)
    assert_user_error(result)
    assert result.stderr == (
        "coach: --rate takes a whole number of words per minute from 80 to 300, like "
        f"--rate 155, not {value!r}.\n"
    )


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["show", "--minuts", "5"],
            (
                "coach: There is no option --minuts for coach show; did you mean --minutes? "
                "See 'coach show --help'.\n"
            ),
        ),
        (["show", "-m"], "coach: -m needs a value after it. See 'coach show --help'.\n"),
        (["render", "-o"], "coach: -o needs a value after it. See 'coach render --help'.\n"),
        (
            ["show", "a.toml", "b.toml"],
            "coach: Got unexpected extra argument (b.toml). See 'coach show --help'.\n",
        ),
    ],
)
def test_usage_mistakes_are_in_the_products_words(arguments: list[str], expected: str) -> None:
    result = run(*arguments)
    assert_user_error(result)
    assert result.stderr == expected


def test_bad_minutes_is_reported_before_a_bad_routine(tmp_path: Path) -> None:
    assert_user_error(run("show", str(tmp_path / "missing.toml"), "--minutes", "0"), "--minutes")


@pytest.mark.tts
@pytest.mark.parametrize("minutes", ["601", "10000", "1e300"])
def test_any_number_above_the_full_length_gives_the_full_session(minutes: str) -> None:
    """As --help says; 601 was once refused by a limit of 600."""
    result = run("show", "--minutes", minutes)
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert f"(full session: {float(minutes):g} minutes is not shorter than the full" in first


def test_help_agrees_that_a_larger_number_gives_the_full_session() -> None:
    result = run("show", "--help")
    assert "Any number above the full session's length gives the full session." in " ".join(
        result.stdout.split()
    )
    assert "600" not in result.stdout


# --- files that are not routine files -------------------------------------------------------


def test_a_symlink_loop_is_named_as_one(tmp_path: Path) -> None:
    """Not "no built-in routine called 'loop1' and no file by that name"."""
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    result = run("show", str(tmp_path / "loop1"))
    assert_user_error(result, str(tmp_path / "loop1"), "symbolic link that leads back to itself")


def test_a_link_to_nothing_names_where_it_points(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").symlink_to(tmp_path / "gone.toml")
    result = run("show", str(tmp_path / "mine.toml"))
    assert_user_error(result, f"is a link to {tmp_path / 'gone.toml'}, which does not exist")


def test_a_path_through_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("a file")
    result = run("show", str(tmp_path / "notes" / "mine.toml"))
    assert_user_error(result, "part of that path is a file, not a folder")


def test_a_file_too_large_to_be_a_routine(tmp_path: Path) -> None:
    from coach.routines.loading import MAX_FILE_BYTES

    path = tmp_path / "huge.toml"
    path.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    result = run("show", str(path))
    assert_user_error(result, str(path), "is larger than 1 MB", "a routine is a few kB")


def test_a_routine_of_the_largest_size_is_read(tmp_path: Path) -> None:
    from coach.routines.loading import MAX_FILE_BYTES, load_routine

    path = tmp_path / "padded.toml"
    text = GOOD_ROUTINE.encode()
    path.write_bytes(text + b"#" * (MAX_FILE_BYTES - len(text) - 1) + b"\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_routine(str(path)).title == "Test routine"


def _show_in_a_child(path: str) -> subprocess.CompletedProcess[str]:
    """`coach show PATH` as its own process, stopped after 20 s and at 3 GB of memory, so
    a command that hangs or reads without end fails the test instead of the machine."""
    import resource

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    return subprocess.run(
        [sys.executable, "-m", "coach", "show", path],
        env={**os.environ, CACHE_DIR_ENV: "/nonexistent", "OPENBLAS_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=20,
        preexec_fn=limits,
        check=False,
    )


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/null", "socket"])
def test_a_pipe_or_device_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    """/dev/zero once grew memory at 200 MB/s, and a FIFO with no writer hung silently."""
    import socket

    if kind == "fifo":
        path = str(tmp_path / "pipe.toml")
        os.mkfifo(path)
    elif kind == "socket":
        path = str(tmp_path / "sock.toml")
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(path)
    else:
        path = kind
    what = {"fifo": "a pipe", "socket": "a socket"}.get(kind, "a device")
    completed = _show_in_a_child(path)
    assert completed.returncode == 2, completed.stderr
    assert completed.stdout == ""
    assert completed.stderr == (
        f"coach: {path} is {what}, not a routine file: the coach reads only ordinary files. "
        "Give the path to a .toml file.\n"
    )


SHORTEST = re.compile(
    r"coach: The shortest version of 'Rest-stop stretch' is (\d+):(\d\d); "
    r"1 minute is too short\. Ask for at least (\d+(?:\.\d\d?)?) minutes\.\n"
)


@pytest.mark.tts
def test_minutes_below_the_shortest_version_names_it() -> None:
    message = assert_user_error(run("show", "rest-stop", "--minutes", "1"))
    match = SHORTEST.fullmatch(message)
    assert match, message
    seconds = int(match[1]) * 60 + int(match[2])
    least = float(match[3])
    assert seconds > 60
    assert seconds / 60 <= least < seconds / 60 + 0.01
    shown = f"{match[1]}:{match[2]}"
    # One rounding rule: `list`, the error and the version asked for all read the same.
    listed = run("list")
    assert listed.exit_code == 0, listed.output
    assert f"shortest {shown}" in listed.stdout
    # The numbers named really are enough: asking for either of them works, and gives
    # the shortest version, shown with the same length.
    for minutes in (f"{least:g}", f"{seconds / 60:.6f}"):
        result = run("show", "rest-stop", "--minutes", minutes)
        assert result.exit_code == 0, result.output
        header = result.stdout.splitlines()[0]
        assert header.startswith(f"Rest-stop stretch: {shown} (fitted to "), header
        assert "left out" in header
    # ... and a hundredth of a minute less than the shortest version is too little.
    below = run("show", "rest-stop", "--minutes", f"{(seconds - 1) / 60:.4f}")
    assert below.exit_code == 2


@pytest.mark.parametrize(
    ("arguments", "expected_stderr"),
    [
        (["missing.toml"], "coach: Routine file missing.toml does not exist. Check the path.\n"),
        (
            ["my-routine.toml"],
            (
                "coach: my-routine.toml, exercise 1 ('reach'), field 'hold': 'hold' is 10800 "
                f"seconds; it must be between 1 and {MAX_HOLD_S} seconds.\n"
            ),
        ),
    ],
)
def test_python_m_coach_prints_no_traceback(
    tmp_path: Path, arguments: list[str], expected_stderr: str
) -> None:
    """The real process, as a user runs it: status 2 and exactly one line on stderr."""
    write_routine(tmp_path, GOOD_ROUTINE + "hold = 10800\n")
    completed = subprocess.run(
        [sys.executable, "-m", "coach", "show", *arguments],
        cwd=tmp_path,
        env={**os.environ, CACHE_DIR_ENV: str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == expected_stderr


def test_a_routine_name_too_long_for_the_system_is_a_clean_error(tmp_path: Path) -> None:
    result = run("show", str(tmp_path / ("a" * 300 + ".toml")))
    message = assert_user_error(result)
    assert "too long" in message.lower()
