"""The command line's own layer: --help that reads well at 80 columns, an output that cannot
be written (a full disk, a closed pipe) as a clean ending, and one progress bar per phase."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.speech.cache import CACHE_DIR_ENV
from support.paths import EXAMPLE
from support.terminal import start_at_a_terminal

COMMANDS = sorted(cli.commands)
"""Every command, and (below) every command of a group inside, such as `coach cache clear`."""
GROUPS = {name: group for name, group in cli.commands.items() if isinstance(group, click.Group)}


def help_text(*args: str, width: int = 80) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="coach", terminal_width=width)
    assert result.exit_code == 0, result.output
    return result.output


INNER = [[name, inner] for name, group in GROUPS.items() for inner in sorted(group.commands)]


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS), *INNER])
def test_help_fits_80_columns_and_breaks_no_word_at_a_hyphen(command: list[str]) -> None:
    text = help_text(*command)
    for line in text.splitlines():
        assert len(line) <= 80, line
        # A break after a hyphen leaves a line ending in a letter and "-" ("rest-", "en-").
        assert not re.search(r"[a-z]-$", line), f"a word broken at its hyphen: {line!r}"


def test_hyphenated_words_stay_whole() -> None:
    """ "rest-" / "stop" and "gmw/en-" / "us" were split across lines."""
    for command in ("show", "render", "play"):
        text = help_text(command)
        assert "(default: rest-stop)" in " ".join(text.split()), text
        assert "else gmw/en-us." in text, text  # the default where joe is not installed
        assert "rest-stop" in text and "gmw/en-us" in text


@pytest.mark.parametrize("group", [[], *([name] for name in GROUPS)])
def test_every_command_summary_is_whole(group: list[str]) -> None:
    """The render summary was cut: "...to copy to a phone and play..."."""
    text = help_text(*group)
    summaries = text.split("Commands:\n", 1)[1].splitlines()
    named = sorted(GROUPS[group[0]].commands) if group else COMMANDS
    assert [line.split()[0] for line in summaries] == named
    for line in summaries:
        assert not line.endswith("..."), line
        assert line.endswith("."), line


def test_option_help_shows_no_programmer_ranges() -> None:
    for command in ("show", "render", "play"):
        text = help_text(command)
        assert "FLOAT RANGE" not in text and "<=x<=" not in text and "0<x" not in text, text
        assert "--minutes MINUTES" in text


# --- an output that cannot be written -----------------------------------------------------------


def run_coach(*args: str, stdout: int | None, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coach", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, CACHE_DIR_ENV: str(tmp_path / "cache")},
        text=True,
        timeout=60,
        check=False,
    )


FULL_DEVICE = (
    "coach: Could not print the output: no space left on device. If it goes to a file, free "
    "some space on that disk or choose another.\n"
)


@pytest.mark.tts
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", [["show"], ["show", "--json"], ["list"], ["voices"]])
def test_a_full_disk_for_the_output_is_a_clean_error(tmp_path: Path, command: list[str]) -> None:
    """`coach show > /dev/full` ended in an OSError traceback."""
    with Path("/dev/full").open("w") as full:
        completed = run_coach(*command, stdout=full.fileno(), tmp_path=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr == FULL_DEVICE


@pytest.mark.tts
def test_a_reader_that_went_away_ends_the_command_quietly(tmp_path: Path) -> None:
    """As `coach show | head -1` would, with the reader gone before anything is written:
    status 1 (click's own ending for a closed pipe), no message and no traceback."""
    read, write = os.pipe()
    os.close(read)
    try:
        completed = run_coach("show", stdout=write, tmp_path=tmp_path)
    finally:
        os.close(write)
    assert completed.returncode == 1
    assert completed.stderr == ""


# --- one progress bar per phase ---------------------------------------------------------------


def run_at_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `coach ARGS` with a pseudo-terminal as stdout and stderr; its status and what it
    showed."""
    process, master = start_at_a_terminal([sys.executable, "-m", "coach", *args], env)
    shown = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child has closed the terminal
                break
            if not data:
                break
            shown += data
        elif process.poll() is not None:
            break
    os.close(master)
    return process.wait(timeout=10), shown.decode(errors="replace")


def finished_bars(shown: str) -> list[str]:
    """The label of each progress bar that ran to 100%, in order. (A bar's last line is
    padded with spaces over the longer one before it, which showed the time left.)"""
    parts = re.split(r"[\r\n]", re.sub(r"\x1b\[\?25[lh]", "", shown))
    return [part.split("  [")[0].strip() for part in parts if part.rstrip().endswith("100%")]


@pytest.mark.tts
def test_a_render_shows_one_bar_per_phase(tmp_path: Path) -> None:
    """Two identical "Preparing speech [####] 100%" bars in a row, once."""
    env = {**os.environ, CACHE_DIR_ENV: str(tmp_path / "cache"), "TERM": "xterm"}
    env.pop("COLUMNS", None)
    out = tmp_path / "session.mp3"
    status, shown = run_at_a_terminal(["render", str(EXAMPLE), "-o", str(out)], env)
    assert status == 0, shown
    assert finished_bars(shown) == ["Synthesizing speech", "Encoding"]  # mastering in the encoding
    # Again, with every phrase in the cache: only the encoding is left to show.
    status, shown = run_at_a_terminal(["render", str(EXAMPLE), "-o", str(out)], env)
    assert status == 0, shown
    assert finished_bars(shown) == ["Encoding"]


EXAMPLE_LINE = re.compile(r"^\s{4}((?:[A-Z_]+=\S+ )*)coach(?: (.*?))?(?:\s{2,}.*)?$")
"""An example in --help: "    coach render -o x.mp3   what it does" (an environment
variable before it, and a note after two spaces, are allowed)."""


def examples(*command: str) -> list[list[str]]:
    text = help_text(*command)
    assert "Examples:" in text, f"coach {' '.join(command)} --help shows no example"
    after = text.split("Examples:", 1)[1].split("\nOptions:", 1)[0]
    found = []
    for line in after.splitlines():
        match = EXAMPLE_LINE.match(line)
        if match:
            found.append((match[2] or "").split())
    assert found, f"no example lines in coach {' '.join(command)} --help"
    return found


def parse(args: list[str]) -> click.Command:
    """The command that `coach ARGS` runs, its options parsed as click parses them (a bad
    option raises), without running it. Examples give no options before a command's name."""
    command: click.Command = cli
    words = list(args)
    context = click.Context(cli, info_name="coach")
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        sub = command.get_command(context, words[0])
        assert sub is not None, words[0]
        context = click.Context(sub, info_name=words[0], parent=context)
        command, words = sub, words[1:]
    command.make_context(context.info_name, words, parent=context.parent)
    return command


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_every_help_shows_examples_that_parse(command: list[str]) -> None:
    """Each example is a command line the coach accepts (parsed, not run), and a command's
    first example is of that command."""
    found = examples(*command)
    for args in found:
        assert parse(args) is not cli, args
    if command:
        assert found[0][0] == command[0], found


# --- standard streams the coach was started without --------------------------------------------


def run_without(closed: int, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`coach ARGS` started with descriptor `closed` (0, 1 or 2) closed, as `<&-`, `>&-` and
    `2>&-` start it; the others are pipes (stdin: /dev/null) this test reads."""

    def close() -> None:
        os.close(closed)

    return subprocess.run(
        [sys.executable, "-m", "coach", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env={**os.environ, CACHE_DIR_ENV: str(tmp_path / "cache")},
        text=True,
        timeout=120,
        check=False,
        preexec_fn=close,  # the child's own descriptor, before exec
        cwd=tmp_path,
    )


@pytest.mark.tts
def test_without_stderr_a_render_still_writes_its_file(tmp_path: Path) -> None:
    """It used to end with status 1 and no file, its traceback lost with stderr."""
    out = tmp_path / "session.mp3"
    done = run_without(2, "render", str(EXAMPLE), "-o", str(out), tmp_path=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith(f"Wrote {out}: ")
    assert out.read_bytes()[:3] == b"ID3"


@pytest.mark.tts
def test_without_stdin_play_yes_plays(tmp_path: Path) -> None:
    """It ended in a traceback before the session started; now it plays, until stopped."""
    process = subprocess.Popen(
        [sys.executable, "-m", "coach", "play", "--yes", "--audio-backend", "null", str(EXAMPLE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, CACHE_DIR_ENV: str(tmp_path / "cache")},
        text=True,
        preexec_fn=lambda: os.close(0),  # the child's own descriptor
    )
    try:
        assert process.stdout is not None
        title = process.stdout.readline()  # said once the session is ready to play
        assert title.startswith("Quick neck and shoulders: "), title
        time.sleep(0.5)
        process.terminate()
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 143, stderr
    assert stderr.strip() == "Stopped."


def test_without_stdin_play_asks_for_yes(tmp_path: Path) -> None:
    done = run_without(0, "play", "--audio-backend", "null", tmp_path=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("coach: coach play needs you to confirm")


@pytest.mark.tts
@pytest.mark.parametrize("command", [["show", str(EXAMPLE)], ["config"], ["voices"]])
def test_without_stdout_printing_is_a_clean_error(tmp_path: Path, command: list[str]) -> None:
    done = run_without(1, *command, tmp_path=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "coach: Could not print the output: standard output is closed. Run the command "
        "with its output going to a terminal, a file, or /dev/null.\n"
    )


@pytest.mark.tts
def test_without_stdout_nothing_printed_lands_in_a_file(tmp_path: Path) -> None:
    """With descriptor 1 closed, the output file would have been opened as 1, and the
    summary line printed into the MP3."""
    out = tmp_path / "session.wav"
    done = run_without(1, "render", str(EXAMPLE), "-o", str(out), tmp_path=tmp_path)
    assert done.returncode == 2
    assert b"Wrote" not in out.read_bytes()
    assert out.read_bytes()[:4] == b"RIFF"
