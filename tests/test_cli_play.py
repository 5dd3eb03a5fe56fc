"""`coach play` through the command line, as separate processes: keys at a pseudo-terminal
(and the terminal put back as it was), Ctrl-C, the errors, and a real ALSA device captured to
a file and held against `coach render` of the same session.

Every process shares this module's phrase cache (COACH_CACHE_DIR), never the user's.
"""

from __future__ import annotations

import ctypes.util
import fcntl
import json
import os
import re
import select
import signal
import subprocess
import sys
import termios
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.pcm import read_wav
from coach.time import SAMPLE_RATE, ms_to_samples

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "tests" / "data" / "example-routine.toml")
ALSA_CONF = Path("/usr/share/alsa/alsa.conf")
SIGINT_STOP_S = 0.2
"""After Ctrl-C the process has exited within this."""
STARTUP_S = 30.0
"""Generous limit for a process to reach a given point (a cold cache synthesizes)."""

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


def coach_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env.pop("COLUMNS", None)
    return env


def coach_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "coach", *args]


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


class Terminal:
    """A pseudo-terminal with `coach` running on it as its controlling terminal."""

    def __init__(self, *args: str) -> None:
        self.master, self.slave = os.openpty()
        self.before = termios.tcgetattr(self.slave)
        self.output = b""
        self.seen = 0

        def take_terminal() -> None:  # in the child, after setsid: make it a real terminal
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(
            coach_command(*args),
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=coach_env(TERM="xterm"),
            cwd=ROOT,
            start_new_session=True,
            preexec_fn=take_terminal,
        )

    def read(self, timeout: float = 0.05) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            self.output += os.read(self.master, 65536)

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
                raise AssertionError(f"never showed {text!r}; got {self.output!r}")
            self.read()
        shown = self.output[self.seen : found + len(wanted)]
        self.seen = found + len(wanted)
        return shown.decode(errors="replace")

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

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def terminal() -> Iterator[type[Terminal]]:
    opened: list[Terminal] = []

    class Opened(Terminal):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            opened.append(self)

    yield Opened
    for term in opened:
        term.close()


@pytest.mark.tts
def test_terminal_keys_pause_next_quit_and_terminal_restored(
    terminal: type[Terminal],
) -> None:
    term = terminal("play", "--audio-backend", "null", EXAMPLE)
    term.expect("Only do this while parked, with the engine off.")
    term.expect("Press Enter to start")
    term.type("\n")
    term.expect("Keys: space pause/resume, n next exercise")
    shown = term.expect(" left")
    assert "Getting ready" in shown  # the opening has no exercise yet
    during = term.attributes()
    assert not during[3] & termios.ICANON and not during[3] & termios.ECHO
    term.type(" ")
    assert "PAUSED" in term.expect("PAUSED")
    term.type(" ")
    term.type("n")
    shown = term.expect("Neck tilt")
    term.expect(" left")
    # The status line, rewritten in place: the exercise and the session's time left.
    lines = re.findall(r"\r\x1b\[2K\x1b\[1m(.*?)\x1b\[0m", term.output.decode())
    assert any(re.fullmatch(r"Neck tilt  \|  (.+  \|  )?[12]:\d\d left", line) for line in lines)
    assert any(re.fullmatch(r"Getting ready  \|  2:[34]\d left", line) for line in lines)
    time.sleep(0.2)
    term.type("q")
    assert term.finish() == 0
    text = term.output.decode(errors="replace")
    assert text.rstrip().endswith("Stopped.")
    assert "Session complete" not in text
    assert "Traceback" not in text
    assert term.attributes() == term.before


@pytest.mark.tts
def test_ctrl_c_at_a_terminal_restores_it(terminal: type[Terminal]) -> None:
    term = terminal("play", "--audio-backend", "null", EXAMPLE)
    term.expect("Press Enter to start")
    term.type("\n")
    term.expect(" left")
    assert not term.attributes()[3] & termios.ICANON
    term.type("\x03")  # Ctrl-C, turned into SIGINT by the terminal
    assert term.finish() == 130
    text = term.output.decode(errors="replace")
    assert "Stopped." in text
    assert "Traceback" not in text
    assert term.attributes() == term.before


@pytest.mark.tts
def test_ctrl_c_at_the_prompt_stops_with_130(terminal: type[Terminal]) -> None:
    term = terminal("play", "--audio-backend", "null", EXAMPLE)
    term.expect("Press Enter to start")
    term.type("\x03")
    assert term.finish() == 130
    text = term.output.decode(errors="replace")
    assert "Stopped." in text
    assert "Aborted" not in text and "Traceback" not in text
    assert term.attributes() == term.before


@pytest.mark.tts
def test_declining_at_the_prompt_does_not_start(terminal: type[Terminal]) -> None:
    term = terminal("play", "--audio-backend", "null", EXAMPLE)
    term.expect("Press Enter to start")
    term.type("q\n")
    assert term.finish() == 0
    text = term.output.decode(errors="replace")
    assert "Not started." in text
    assert "Keys:" not in text and " left" not in text
    assert term.attributes() == term.before


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
    capture, rate = read_wav(tmp_path / "CAPTURE.wav")
    wav, wav_rate = read_wav(rendered)
    assert rate == wav_rate == SAMPLE_RATE

    # All the sound, in order: the capture is the clips with silence between them, the
    # render the same clips at their places on the timeline.
    assert np.array_equal(capture[capture != 0], wav[wav != 0])

    # Clip by clip: each audible clip of the timeline (`coach show --json`, same options and
    # cache), cut from the render at its place, comes next in the capture, whole, with
    # nothing but silence before it.
    shown = run_coach("show", "--json", str(routine))
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    clips = [c for c in document["clips"] if c["kind"] in ("speech", "chime")]
    assert ms_to_samples(document["total_ms"]) == len(wav)
    position = 0
    for clip in clips:
        placed = wav[ms_to_samples(clip["start_ms"]) : ms_to_samples(clip["end_ms"])]
        sound = np.flatnonzero(placed)
        core = placed[sound[0] : sound[-1] + 1]  # the clip, less any silent edge samples
        found = position + int(np.flatnonzero(capture[position:])[0])
        assert not capture[position:found].any()
        assert np.array_equal(capture[found : found + len(core)], core), clip
        position = found + len(core)
    assert not capture[position:].any()  # and nothing after the last one
    with capsys.disabled():
        print(
            f"\n[device: {len(clips)} clips matched, {len(capture) / SAMPLE_RATE:.2f} s captured]"
        )
