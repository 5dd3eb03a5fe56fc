"""Live play as it sounds, in real time: `coach play` at a terminal into a PulseAudio null
sink, recorded, and held against `coach render` of the same session.

The null sink runs on a real clock, so the recording shows what was played and when. Every
audible clip of the render must be found in it, in order, at its place: the recording is one
continuous stream, so within each stretch played without a break the clips land within a
few milliseconds of where the render has them, with no drift, and a pause only moves what
follows it (after the instruction that was cut off, said again from its start). That run
measures how soon the first word comes after typing y and what the player costs in CPU
while it streams a hold; two short runs, stopped in the first exercise's title, how soon
the sound stops after q and after Ctrl-C.

Needs the pulseaudio and parec programs (Debian's pulseaudio and pulseaudio-utils); skipped
with a reason where they are missing. `.ci/run` installs them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.pulse import (
    TIMING_CUT,
    TIMING_ROUTINE,
    Heard,
    LivePlay,
    PulseServer,
    PulseUnavailableError,
    Recorder,
    missing_tools,
)
from support.terminal import Terminal, coach_command, coach_env

pytestmark = [pytest.mark.device, pytest.mark.tts, pytest.mark.slow]

P95_MS = 10.0
"""95% of onsets within this of their place (10 ms envelope frames, refined to the sample)."""
DRIFT_MS_PER_S = 0.1
FIRST_SOUND_S = 0.5
"""From typing y (and Enter) to the first word heard, with a warm cache."""
STOP_S = 0.2
"""From q or Ctrl-C to the last sound heard."""
EXIT_S = 0.4
"""From q or Ctrl-C to the process's exit: the device's buffer has to play out after the
fade before the device is stopped (stopping drops what it holds, which clicks), and then
Python exits."""
CPU_FRACTION = 0.05
ROUTINE = TIMING_ROUTINE.replace("reps = 2", "reps = 1")
"""scripts/bench.py's timing routine with one rep of each exercise: 48 s instead of 75 s, with
every kind of clip still in it (phrases short and long, chimes, both sides, holds of 3 and
5 s, words in a relax). A drift of DRIFT_MS_PER_S would still move its last clip 5 ms, and
onsets are measured to the sample."""
STOP_IN = "Exercise one of two: Neck tilt."
"""The phrase q and Ctrl-C are typed in: the first exercise's title, 6 s into the session."""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose phrase cache every play of this module shares: the first renders the
    routine with a cold cache, the others find it warm and only read it."""
    return tmp_path_factory.mktemp("live-play")


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[PulseServer]:
    missing = missing_tools()
    if missing:
        pytest.skip(missing)
    server = PulseServer(tmp_path)
    try:
        server.start()
    except PulseUnavailableError as error:
        pytest.skip(str(error))
    try:
        yield server
    finally:
        server.kill()


def report(label: str, heard: Heard) -> str:
    assert heard.timing is not None
    result = heard.timing
    line = (
        f"[{label}: {len(heard.onsets)} onsets (every clip, and the repeat), "
        f"p50 {result.p50:.2f} ms, p95 {result.p95:.2f} ms, max {result.max:.2f} ms, "
        f"drift {result.drift_ms_per_s:+.4f} ms/s; paused {heard.paused_s:.2f} s; "
        f"first sound {heard.first_sound_s * 1000:.0f} ms after y; "
        f"CPU in a hold {heard.cpu_in_hold:.1%}"
    )
    if heard.stop_sound_s is not None and heard.stop_exit_s is not None:
        line += (
            f"; sound stopped {heard.stop_sound_s * 1000:.0f} ms, "
            f"exit {heard.stop_exit_s * 1000:.0f} ms after the key"
        )
    return line + "]"


def assert_heard_as_rendered(heard: Heard) -> None:
    assert not heard.missing, [clip["text"] or clip["cue"] for clip in heard.missing]
    assert len(heard.parts) == 2, [len(part) for part in heard.parts]  # before and after
    assert heard.repeated, "the cut-off instruction was not said again from its start"
    assert heard.timing is not None
    assert heard.timing.p95 <= P95_MS
    assert abs(heard.timing.drift_ms_per_s) <= DRIFT_MS_PER_S
    assert 2.0 <= heard.paused_s <= 2.0 + 0.8 + 0.5  # the pause, plus the part heard twice
    assert heard.first_sound_s <= FIRST_SOUND_S
    assert heard.cpu_in_hold < CPU_FRACTION


def test_played_at_a_terminal_is_the_render_on_time_across_a_pause(
    pulse: PulseServer, rendered: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    heard = LivePlay(pulse, rendered, ROUTINE).play(TIMING_CUT, into_s=0.8, pause_s=2.0)
    with capsys.disabled():
        print("\n" + report("null sink, to the end", heard))
    assert heard.status == 0, heard.text
    assert heard.text.count("Session complete. Well done.") == 1
    assert_heard_as_rendered(heard)


@pytest.mark.parametrize("how", ["q", "ctrl-c"])
def test_quit_and_ctrl_c_stop_the_sound_at_once(
    pulse: PulseServer, rendered: Path, how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stopped early, with no pause before: the pause and the rest of the session are the
    full play's to check; this checks the stop, and that all before it was heard as
    rendered."""
    stopped = LivePlay(pulse, rendered, ROUTINE).stop_in(STOP_IN, how)
    with capsys.disabled():
        print(
            f"\n[null sink, {how}: {len(stopped.onsets)} onsets before it; sound stopped "
            f"{stopped.stop_sound_s * 1000:.0f} ms, exit {stopped.stop_exit_s * 1000:.0f} ms "
            "after the key]"
        )
    assert stopped.status == (0 if how == "q" else 130)
    assert "Stopped." in stopped.text and "Traceback" not in stopped.text
    assert "Session complete" not in stopped.text
    assert not stopped.missing, [clip["text"] or clip["cue"] for clip in stopped.missing]
    assert len(stopped.parts) == 1, [len(part) for part in stopped.parts]
    assert stopped.timing is not None
    assert stopped.timing.p95 <= P95_MS
    assert stopped.first_sound_s <= FIRST_SOUND_S
    assert stopped.stop_sound_s <= STOP_S
    assert stopped.stop_exit_s <= EXIT_S


def test_a_device_that_goes_away_pauses_says_so_and_comes_back(
    pulse: PulseServer, rendered: Path
) -> None:
    play = LivePlay(pulse, rendered, ROUTINE)
    recorder = Recorder(pulse.env)
    term = Terminal(
        coach_command("play", "--audio-backend", "miniaudio", str(play.routine)),
        env=coach_env(**play.env),
    )
    try:
        term.expect("Type y and press Enter to start")
        term.type("y\n")
        term.expect(" left")
        term.pump(4.0)
        pulse.kill()  # the sound server goes away, 4 s in
        killed = time.monotonic()
        term.expect("The sound stopped because the audio device went away.", timeout=5)
        noticed = time.monotonic() - killed
        print(f"\n[device gone: noticed after {noticed * 1000:.0f} ms]")
        assert noticed < 1.0
        term.expect("press space to go on")
        mark = term.seen
        term.pump(2.0)
        paused = term.statuses(mark)  # redrawn below the notice, then left alone
        assert paused and all(text.startswith("PAUSED") for text in paused)
        assert len(set(paused)) == 1  # not counting down in silence
        # Space with no sound system yet: it says so and waits.
        term.type(" ")
        term.expect("Still no sound.")
        pulse.start()
        recorder.start()
        term.type(" ")
        term.expect("Sound is back.")
        mark = len(term.output)
        # A sound server that has just started takes a second or two to ask for sound; the
        # status line waits for it, then counts down again.
        deadline = time.monotonic() + 8.0
        while len(set(term.statuses(mark))) < 3 and time.monotonic() < deadline:
            term.pump(0.2)
        going = term.statuses(mark)
        assert going and not any(text.startswith("PAUSED") for text in going)
        assert len(set(going)) >= 3, going  # counting down again
        term.type("q")
        assert term.finish() == 0
    finally:
        term.close()
        recorder.stop()
    assert recorder.first_sound() is not None  # heard through the new server


def test_doctor_names_the_sound_system_and_its_device(pulse: PulseServer) -> None:
    """What `coach doctor` says of a machine with a sound server: the null sink is its one
    playback device."""
    import subprocess

    done = subprocess.run(
        coach_command("doctor"),
        env=coach_env(**{k: v for k, v in pulse.env.items() if k in ("XDG_RUNTIME_DIR", "HOME")}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    (audio,) = [line for line in done.stdout.splitlines() if " audio output " in line]
    assert audio == (
        "ok  audio output  miniaudio through PulseAudio opens; its devices: Null Output "
        "(live play uses the default one)"
    ), done.stdout
