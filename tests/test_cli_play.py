"""`coach play` through the command line, as separate processes: at a pseudo-terminal of a
given width as a person would use it (the safety prompt, keys, the status line, Ctrl-C, Ctrl-Z
from a real shell, the terminal put back as it was), the errors, and a real ALSA device
captured to a file and held against `coach render` of the same session.

Every process shares this module's phrase cache (COACH_CACHE_DIR), never the user's.
"""

from __future__ import annotations

import ctypes.util
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import termios
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
import pytest

from coach.pcm import read_wav
from coach.plan.compiler import CLOSING_TITLE, OPENING_TITLE
from coach.playing import parked_refusal
from coach.time import SAMPLE_RATE, ms_to_samples
from support.terminal import STARTUP_S, STATUS, Terminal, coach_command, coach_env

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "tests" / "data" / "example-routine.toml")
ALSA_CONF = Path("/usr/share/alsa/alsa.conf")
SIGINT_STOP_S = 0.2
"""After Ctrl-C the process has exited within this."""
PROMPT = "Type y and press Enter to start"

TINY_ROUTINE = textwrap.dedent(
    """
    title = "Tiny"
    description = "Go."
    safety = ["Parked."]
    closing = ["Done."]

    [[exercise]]
    id = "nod"
    title = "Nod"
    instructions = ["Nod."]
    reminder = ["Nod."]
    hold = 1
    """
)
"""The shortest session worth playing for real (about 16 s): one exercise, a 1 s hold."""


LONG_TITLE = textwrap.dedent(
    """
    title = "Long names"
    description = "One exercise with a long name."
    safety = ["Parked."]
    closing = ["Done."]

    [[exercise]]
    id = "tense"
    title = "Upper-body tense and release"
    instructions = ["Shrug and clench."]
    reminder = ["Shrug."]
    reps = 4
    hold = 8
    relax = 5
    """
)
"""A routine whose exercise has a long name: the status line is wider than 80 columns. Its
first hold is long enough for a test's pauses and resizes to happen inside it."""


def run_coach(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`coach ARGS` with no terminal: stdin from /dev/null, output captured."""
    return subprocess.run(
        coach_command(*args),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env or coach_env(),
        cwd=ROOT,
        timeout=STARTUP_S,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit status 2 and one "coach: " paragraph on stderr, nothing else; returns it."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    message = result.stderr.strip()
    assert message.startswith("coach: "), message
    assert "\n" not in message, message
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for word in words:
        assert word in message
    return message


def synthesized_anything(cache: Path) -> bool:
    phrases = cache / "phrases"
    return phrases.exists() and any(phrases.iterdir())


# --- Ctrl-C without a terminal --------------------------------------------------------------------


@pytest.mark.tts
def test_ctrl_c_stops_at_once_with_status_130(capsys: pytest.CaptureFixture[str]) -> None:
    process = subprocess.Popen(
        coach_command("play", "--yes", "--audio-backend", "null", EXAMPLE),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=coach_env(),
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        title = process.stdout.readline().decode()  # said just before playing starts
        assert title.startswith("Quick neck and shoulders:"), title
        time.sleep(0.5)  # into the session: the first phrase is playing
        assert process.poll() is None
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        while process.poll() is None and time.monotonic() - sent < 5:
            time.sleep(0.001)
        latency = time.monotonic() - sent
        out, err = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with capsys.disabled():
        print(f"\n[SIGINT to exit: {latency * 1000:.0f} ms]")
    assert process.returncode == 130, err
    assert "Traceback" not in err.decode()
    assert err.decode().strip() == "Stopped."
    assert b"Session complete" not in out
    assert latency < SIGINT_STOP_S


# --- at a terminal --------------------------------------------------------------------------------


class OpenTerminal(Protocol):
    """The `terminal` fixture: opens a terminal running coach with `args`, or an interactive
    bash (`shell=True`), `columns` wide; each is closed when the test ends."""

    def __call__(self, *args: str, columns: int = 80, shell: bool = False) -> Terminal: ...


@pytest.fixture
def terminal() -> Iterator[OpenTerminal]:
    opened: list[Terminal] = []

    class Opened(Terminal):
        def __init__(self, *args: str, columns: int = 80, shell: bool = False) -> None:
            command = ["bash", "--norc", "--noprofile", "-i"] if shell else coach_command(*args)
            super().__init__(command, columns=columns, env=coach_env(TERM="xterm", PS1="$ "))
            opened.append(self)

    yield Opened
    for term in opened:
        term.close()


def start(term: Terminal) -> None:
    term.expect("Only do this while parked, with the engine off.")
    term.expect(PROMPT)
    term.type("y\n")
    term.expect("Keys: space pause/resume, n next")


@pytest.mark.tts
def test_terminal_keys_pause_next_quit_and_terminal_restored(
    terminal: OpenTerminal,
) -> None:
    term = terminal("play", "--audio-backend", "null", EXAMPLE)
    start(term)
    shown = term.expect(" left")
    assert OPENING_TITLE in shown  # named as the MP3's first chapter
    during = term.attributes()
    assert not during[3] & termios.ICANON and not during[3] & termios.ECHO
    term.type(" ")
    assert "PAUSED" in term.expect("PAUSED")
    term.type(" ")
    term.type("n")
    term.expect("Neck tilt")
    term.expect(" left")
    time.sleep(0.2)
    term.type("q")
    assert term.finish() == 0
    statuses = term.statuses()
    assert any(re.fullmatch(rf"{OPENING_TITLE}  \|  \d:\d\d left", s) for s in statuses)
    assert any(s.startswith("Neck tilt  |  exercise 1 of 2  |  ") for s in statuses)
    assert term.text.rstrip().endswith("Stopped.")
    assert "Session complete" not in term.text
    assert "Traceback" not in term.text
    assert term.attributes() == term.before


@pytest.mark.tts
def test_ctrl_c_at_a_terminal_restores_it(terminal: OpenTerminal) -> None:
    term = terminal("play", "--audio-backend", "null", EXAMPLE)
    start(term)
    term.expect(" left")
    assert not term.attributes()[3] & termios.ICANON
    term.type("\x03")  # Ctrl-C, turned into SIGINT by the terminal
    assert term.finish() == 130
    assert "Stopped." in term.text
    assert "Traceback" not in term.text
    assert term.attributes() == term.before


@pytest.mark.tts
def test_ctrl_c_at_the_prompt_stops_with_130(terminal: OpenTerminal) -> None:
    term = terminal("play", "--audio-backend", "null", EXAMPLE)
    term.expect(PROMPT)
    term.type("\x03")
    assert term.finish() == 130
    assert "Stopped." in term.text
    assert "Aborted" not in term.text and "Traceback" not in term.text
    assert term.attributes() == term.before


# The safety prompt takes only a deliberate yes.


@pytest.mark.tts
@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("\x04", "Not started: no answer was typed."),  # Ctrl-D: end of input
        ("\n", "Not started: only y starts the session."),  # Enter alone
        ("sure\n", "Not started: only y starts the session."),
        ("n\n", "Not started."),
        ("q\n", "Not started."),
    ],
)
def test_only_y_starts_the_session(terminal: OpenTerminal, typed: str, said: str) -> None:
    term = terminal("play", "--audio-backend", "null", EXAMPLE)
    term.expect(PROMPT)
    term.type(typed)
    assert term.finish() == 0
    lines = [line.strip() for line in term.text.splitlines()]
    assert lines[-1].startswith(said)
    if said != "Not started.":
        assert "run coach play again and type y" in lines[-1]
    assert "Keys:" not in term.text and " left" not in term.text
    assert "Traceback" not in term.text
    assert term.attributes() == term.before


@pytest.mark.parametrize("answer", ["y", "Y", "yes", " Yes \n", "y\n"])
def test_a_deliberate_yes_starts(answer: str) -> None:
    assert parked_refusal(answer) is None


@pytest.mark.parametrize("answer", ["", "\n", "yy", "ok", "ye", "go", "\x04"])
def test_anything_else_is_a_no(answer: str) -> None:
    refusal = parked_refusal(answer)
    assert refusal is not None and refusal.startswith("Not started")


# The status line, at 50, 80 and 30 columns, through resizes both ways.


def fits(texts: list[str], columns: int) -> bool:
    return all(len(text) <= columns - 1 for text in texts)


WIDTHS = (50, 80, 30)
"""The status line's widths in one play: it starts narrow, is widened, then narrowed."""


@pytest.mark.slow
@pytest.mark.tts
def test_the_status_line_fits_the_terminal_and_follows_a_resize(
    terminal: OpenTerminal, tmp_path: Path
) -> None:
    """One play through each width of WIDTHS: every status line written at a width fits it,
    at 80 columns all of it shows but the time left, and it is rewritten in place."""
    routine = tmp_path / "long.toml"
    routine.write_text(LONG_TITLE)
    first = WIDTHS[0]
    term = terminal("play", "--audio-backend", "null", str(routine), columns=first)
    start(term)
    term.expect(" left")
    term.type("n")  # past the opening, to the exercise
    term.expect("Upper-body", timeout=15)
    term.expect("hold ", timeout=15)
    marks = [0]
    for columns in WIDTHS:
        if columns != first:
            marks.append(len(term.output))
            term.resize(columns)
            term.pump(0.3)
        for _ in range(3 if columns == first else 1):  # pause and go on in the hold, as
            term.type(" ")  # the driver did
            term.expect("PAUSED")
            term.pump(0.3)
            term.type(" ")
            term.pump(0.5)
    marks.append(len(term.output))
    term.type("q")
    assert term.finish() == 0
    spans = [
        term.output[start:end].decode(errors="replace") for start, end in itertools.pairwise(marks)
    ]
    for columns, written in zip(WIDTHS, spans, strict=True):
        shown = STATUS.findall(written)
        assert any("PAUSED" in text for text in shown), (columns, shown)
        assert any("hold " in text for text in shown), (columns, shown)
        assert fits(shown, columns), (columns, shown)
    assert "Upper-body tense and release | exercise 1 of 1 | 1 of 4 | hold " in spans[1]
    # Rewritten in place: between the first status and the stop there is no new line.
    written = "".join(spans)
    assert "\n" not in written[written.index("\x1b[1m") :]


TMUX_WAIT_S = 20.0


@pytest.mark.slow
@pytest.mark.tts
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (Debian: tmux)")
def test_in_tmux_one_status_line_whatever_the_width(tmp_path: Path) -> None:
    """What a person sees: tmux's screen after pauses, and after the window narrows from 80
    columns to 50, then to 30 (each time the old line is re-wrapped onto more rows)."""
    routine = tmp_path / "long.toml"
    routine.write_text(LONG_TITLE)
    session = f"coach-test-{os.getpid()}"
    env = coach_env()
    command = " ".join([*coach_command("play", "--audio-backend", "null", str(routine))])
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "20",
         f"cd {ROOT} && {command}; sleep 30"],
        env=env, check=True,
    )  # fmt: skip
    try:

        def screen() -> list[str]:
            shown = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
            )
            return [line for line in shown.stdout.splitlines() if line.strip()]

        def wait_for(text: str) -> list[str]:
            deadline = time.monotonic() + TMUX_WAIT_S
            while True:
                lines = screen()
                if any(text in line for line in lines):
                    return lines
                assert time.monotonic() < deadline, f"never showed {text!r}: {lines}"
                time.sleep(0.1)

        def keys(*typed: str) -> None:
            subprocess.run(["tmux", "send-keys", "-t", session, *typed], check=True)

        wait_for(PROMPT)
        keys("y", "Enter")
        wait_for(" left")
        keys("n")  # past the opening, to the exercise
        wait_for("hold ")
        for _ in range(3):
            keys("Space")
            wait_for("PAUSED")
            keys("Space")
            time.sleep(0.4)
        keys("Space")
        lines = wait_for("PAUSED")
        status = [line for line in lines if "Upper-body" in line]
        assert len(status) == 1, lines  # one status line, not one per pause or refresh
        assert len(status[0]) <= 80 - 1
        for columns in (50, 30):
            subprocess.run(["tmux", "resize-window", "-t", session, "-x", str(columns)])
            time.sleep(0.6)
            keys("Space")
            time.sleep(0.6)
            lines = screen()
            status = [line for line in lines if "Upper-" in line or "hold " in line]
            assert len(status) == 1, (columns, lines)  # the rows the old line was re-wrapped
            assert len(status[0]) <= columns - 1, (columns, lines)  # onto are gone
        keys("q")
        lines = wait_for("Stopped.")
        assert not any("PAUSED" in line or "hold " in line for line in lines), lines
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


# The end, next and back.


@pytest.mark.tts
def test_next_from_the_last_exercise_plays_the_closing_and_ends_once(
    terminal: OpenTerminal,
) -> None:
    term = terminal("play", "--audio-backend", "null", EXAMPLE)
    start(term)
    term.expect(" left")
    term.type("n")
    term.expect("Neck tilt  |  exercise 1 of 2")
    term.type("n")
    term.expect("Shoulder rolls  |  exercise 2 of 2")
    term.type("n")
    # Not the end at once: the closing words and the final chime, under the closing's name.
    term.expect(f"{CLOSING_TITLE}  |  ")
    assert term.process.poll() is None
    assert term.finish(timeout=20) == 0
    text = term.text
    assert text.count("Session complete. Well done.") == 1
    assert text.rstrip().endswith("Session complete. Well done.")
    assert term.attributes() == term.before


@pytest.mark.slow
@pytest.mark.tts
def test_p_restarts_the_exercise_and_again_goes_to_the_one_before(
    terminal: OpenTerminal,
) -> None:
    term = terminal("play", "--audio-backend", "null", EXAMPLE)
    start(term)
    term.expect(" left")
    term.type("n")
    term.expect("Neck tilt")
    term.type("n")
    term.expect("Shoulder rolls")
    term.pump(4.0)  # well into it
    mark = len(term.output)
    term.type("p")
    term.pump(1.0)
    restarted = term.statuses(mark)
    assert restarted and all(s.startswith("Shoulder rolls") for s in restarted)
    mark = len(term.output)
    term.type("p")  # soon after: the exercise before
    term.pump(1.0)
    assert term.statuses(mark)[-1].startswith("Neck tilt  |  exercise 1 of 2")
    term.type("q")
    assert term.finish() == 0


def left_seconds(status: str) -> int:
    clock = status.rsplit("|", 1)[-1].strip().split()[0]
    minutes, seconds = clock.split(":")
    return int(minutes) * 60 + int(seconds)


@pytest.mark.slow
@pytest.mark.tts
def test_ctrl_z_then_fg_pauses_and_single_keys_work_again(terminal: OpenTerminal) -> None:
    """From a real shell with job control: Ctrl-Z stops coach, fg brings it back paused, and
    space (no Enter) goes on from where it stopped, not from where it would have got to."""
    term = terminal(shell=True)
    term.expect("$ ")
    command = " ".join(coach_command("play", "--audio-backend", "null", EXAMPLE))
    term.type(f"cd {ROOT} && {command}\n")
    term.expect(PROMPT)
    term.type("y\n")
    term.expect(" left")
    term.pump(2.0)
    before = term.statuses()[-1]
    term.type("\x1a")  # Ctrl-Z
    term.expect("Stopped")  # the shell's job report
    term.expect("$ ")
    time.sleep(3.0)  # stopped for a while
    term.type("fg\n")
    paused = term.expect("PAUSED")
    term.pump(0.5)
    shown = term.statuses()[-1]
    assert shown.startswith("PAUSED")
    assert left_seconds(shown) >= left_seconds(before)  # no jump ahead while stopped
    assert "PAUSED" in paused
    mark = len(term.output)
    term.type(" ")  # one key, no Enter: cbreak mode is back
    term.pump(1.5)
    going = term.statuses(mark)
    assert going and not going[-1].startswith("PAUSED")
    term.type("q")
    term.expect("Stopped.")
    term.expect("$ ")
    term.type("exit\n")
    term.finish()


# --- errors ---------------------------------------------------------------------------------------


def test_no_yes_without_a_terminal_is_refused(tmp_path: Path) -> None:
    result = run_coach(
        "play", "--audio-backend", "null", EXAMPLE, env=coach_env(COACH_CACHE_DIR=str(tmp_path))
    )
    assert_clean_error(result, "--yes", "parked")
    assert not synthesized_anything(tmp_path)


def test_unknown_backend(tmp_path: Path) -> None:
    env = coach_env(COACH_CACHE_DIR=str(tmp_path))
    result = run_coach("play", "--yes", "--audio-backend", "nope", EXAMPLE, env=env)
    assert_clean_error(result, "'nope'", "miniaudio", "null")
    assert not synthesized_anything(tmp_path)


def test_no_audio_device(tmp_path: Path) -> None:
    # No PulseAudio server, and an ALSA default device on a card that does not exist.
    config = tmp_path / "asound.conf"
    config.write_text(f"<{ALSA_CONF}>\npcm.!default {{ type hw; card 99 }}\n")
    env = coach_env(
        ALSA_CONFIG_PATH=str(config),
        PULSE_SERVER="unix:/nonexistent",
        COACH_CACHE_DIR=str(tmp_path / "cache"),
    )
    started = time.monotonic()
    result = run_coach("play", "--yes", "--audio-backend", "miniaudio", EXAMPLE, env=env)
    message = assert_clean_error(result, "No audio device could be opened", "coach render")
    assert "ALSA lib" not in result.stderr, message
    assert time.monotonic() - started < 5
    assert not synthesized_anything(tmp_path / "cache")  # failed before any speech


@pytest.mark.tts
def test_unknown_voice() -> None:
    result = run_coach("play", "--yes", "--audio-backend", "null", "--voice", "nope", EXAMPLE)
    assert_clean_error(result, "'nope'", "coach voices")


@pytest.mark.tts
def test_bad_routine(tmp_path: Path) -> None:
    routine = tmp_path / "bad.toml"
    routine.write_text('title = "Bad"\nsafety = ["Parked."]\nclosing = 3\n')
    result = run_coach("play", "--yes", "--audio-backend", "null", str(routine))
    assert_clean_error(result, str(routine), "closing")
    missing = run_coach("play", "--yes", "--audio-backend", "null", str(tmp_path / "no.toml"))
    assert_clean_error(missing, "does not exist")


# --- a real device: ALSA's file plugin, against the render ----------------------------------------


@pytest.mark.device
@pytest.mark.tts
def test_played_through_alsa_is_the_rendered_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not ALSA_CONF.exists():
        pytest.skip(f"ALSA configuration {ALSA_CONF} is missing (install libasound2)")
    if ctypes.util.find_library("asound") is None:
        pytest.skip("libasound is not installed (apt-get install libasound2)")
    routine = tmp_path / "tiny.toml"
    routine.write_text(TINY_ROUTINE)
    config = tmp_path / "asound.conf"
    # Whatever reaches the default device is written to CAPTURE.wav; the `null` slave needs
    # no sound card and does not pace, so this checks what was played, not when.
    config.write_text(
        f"<{ALSA_CONF}>\n"
        'pcm.!default { type file; slave.pcm "null"; file "CAPTURE.wav"; format "wav" }\n'
    )
    rendered = tmp_path / "session.wav"
    render = run_coach("render", "-q", str(routine), "-o", str(rendered))
    assert render.returncode == 0, render.stderr
    # No PulseAudio server, so miniaudio falls back to ALSA and its file plugin.
    env = coach_env(ALSA_CONFIG_PATH=str(config), PULSE_SERVER="unix:/nonexistent")
    played = subprocess.run(
        coach_command("play", "--yes", str(routine)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert played.returncode == 0, played.stderr
    assert played.stdout.rstrip().endswith("Session complete. Well done.")
    assert played.stdout.count("Session complete") == 1
    capture, rate = read_wav(tmp_path / "CAPTURE.wav")
    wav, wav_rate = read_wav(rendered)
    assert rate == wav_rate == SAMPLE_RATE

    # One continuous stream: the capture is silence while the device warms up (the lead-in),
    # then the render itself, every sample of it, silences included, then silence.
    shown = run_coach("show", "--json", str(routine))
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert ms_to_samples(document["total_ms"]) == len(wav)
    clips = [c for c in document["clips"] if c["kind"] in ("speech", "chime")]
    assert clips
    lead_in = int(np.flatnonzero(capture)[0]) - int(np.flatnonzero(wav)[0])
    assert lead_in >= 0 and not capture[:lead_in].any()
    assert np.array_equal(capture[lead_in : lead_in + len(wav)], wav)
    assert not capture[lead_in + len(wav) :].any()
    with capsys.disabled():
        print(
            f"\n[device: {len(wav)} samples matched, {len(capture) / SAMPLE_RATE:.2f} s captured]"
        )
