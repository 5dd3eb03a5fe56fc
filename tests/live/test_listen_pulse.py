"""Listening end to end, in real time: `coach play --listen` with a private PulseAudio server
whose null sink's monitor is the default microphone.

So the microphone hears exactly what the speakers carry: the coach's own voice (it must not
obey it) and spoken commands played into the same sink from another program (paplay), as a
person in the cab would say them. stdout is not a terminal, so play logs each control on a
line. Measured: the sound stops within REACTION_S of the end of "coach pause", "coach go on"
brings it back, "coach stop" ends the play, and nothing the coach says itself is obeyed.
A command not taken is said once more, as a person would (with a warning in the summary):
this play checks the path from the microphone to the player, not how often a command is
heard the first time, which scripts/bench_listen.py measures over hundreds of them.

Needs pulseaudio, pactl, parec and paplay (Debian's pulseaudio and pulseaudio-utils) and the
listen extra; skipped with a reason where they are missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from coach.time import SAMPLE_RATE
from support.pulse import PulseServer, PulseUnavailableError, Recorder, missing_tools
from support.terminal import coach_command, coach_env
from support.wavs import wav_bytes

pytestmark = [pytest.mark.device, pytest.mark.tts, pytest.mark.slow]

REACTION_S = 0.7
"""From the end of "coach pause" to the sound fading out (and the chime starting)."""

ROUTINE = """
title = "Listening check"
description = "One exercise."
safety = ["Only while parked."]
closing = ["Done."]

[[exercise]]
id = "tilt"
title = "Neck tilt"
instructions = ["Lower your {side} ear toward your shoulder, slowly and gently.", "Breathe."]
reminder = ["Ear down, slowly."]
reps = 1
sides = ["left", "right"]
hold = 12
"""
"""About 45 s: 15 s of speech before the first hold (the coach must not obey itself), then a
hold of 12 s whose first half is silent, where the commands are said."""


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[PulseServer]:
    missing = missing_tools() or (shutil.which("paplay") is None and "paplay is not installed")
    if missing:
        pytest.skip(str(missing))
    pytest.importorskip("pocketsphinx", reason="the listen extra (pocketsphinx) is not installed")
    server = PulseServer(tmp_path)
    try:
        server.start()
    except PulseUnavailableError as error:
        pytest.skip(str(error))
    subprocess.run(
        ["pactl", "set-default-source", "cap.monitor"], env=server.env, check=True, timeout=10
    )
    try:
        yield server
    finally:
        server.kill()


def say(server: PulseServer, path: Path) -> float:
    """Play the WAV at `path` into the sink, as a person speaking; return when it ended."""
    subprocess.run(["paplay", str(path)], env=server.env, check=True, timeout=20)
    return time.monotonic()


class PlayLog:
    """The lines `coach play` writes to its stdout (a pipe: one line per control), read as
    they come, each with the time it arrived."""

    def __init__(self, play: subprocess.Popen[str]) -> None:
        self.lines: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(play,), daemon=True)
        self._thread.start()

    def _read(self, play: subprocess.Popen[str]) -> None:
        assert play.stdout is not None
        for line in play.stdout:
            with self._changed:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._changed.notify_all()

    def wait_for(self, what: str, after: float, timeout: float) -> bool:
        """Whether a control line for `what` arrived after `after`, waiting up to `timeout`."""

        def seen() -> bool:
            return any(at >= after and f"  {what}  (" in line for at, line in self.lines)

        with self._changed:
            return self._changed.wait_for(seen, timeout)

    def text(self) -> str:
        """The lines so far."""
        with self._changed:
            return "".join(line + "\n" for _, line in self.lines)

    def finish(self) -> str:
        """Every line, once the play has ended and its stdout is closed."""
        self._thread.join(timeout=10)
        return self.text()


HEARD_WITHIN_S = 2.0
"""How long after a command ends its line may take to come; past that, it is said again."""


def command(server: PulseServer, clip: Path, log: PlayLog, what: str) -> float:
    """Say `clip` as a person would: once, and once more if the coach did not take it (a
    person repeats what was not heard; how often each command is heard the first time is
    measured over hundreds of them by scripts/bench_listen.py, not by one live play). Return
    when the one that was taken ended."""
    for attempt in (1, 2):
        began = time.monotonic()
        ended = say(server, clip)
        if log.wait_for(what, began, HEARD_WITHIN_S):
            if attempt > 1:
                warnings.warn(f'"{clip.stem}" was taken only when said again', stacklevel=2)
            return ended
    pytest.fail(f'"{clip.stem}" was said twice and not taken:\n{log.text()}')


def acted_at(recorder: Recorder, after: float, within: float) -> float | None:
    """When the "heard" chime started in the sink within `within` seconds after `after`: the
    moment the command was acted on (the pause's fade starts on the same read). The first
    chime that fits, not the best: later commands have chimes of their own."""
    from coach.sound.chimes import load_chime
    from support.pulse import _first_good

    capture = recorder.samples()
    head = load_chime("heard")[: SAMPLE_RATE // 10].astype(np.float64)
    low = next((i for i, (at, _) in enumerate(recorder.arrivals) if at >= after), None)
    if low is None:
        return None
    start = recorder.arrivals[low][1]
    end = min(start + round(within * SAMPLE_RATE), len(capture) - len(head))
    where = _first_good(head, capture, start, end)
    return recorder.played_at(where) if where is not None else None


def test_voice_commands_steer_live_play_and_the_coach_does_not_obey_itself(
    pulse: PulseServer, tmp_path: Path
) -> None:
    from coach.speech.voices import open_voice

    engine, voice = open_voice("joe")
    clips = {}
    for phrase in ("coach pause", "coach go on", "coach stop"):
        samples, rate = engine.synthesize(phrase, voice, 160)
        clips[phrase] = tmp_path / f"{phrase.replace(' ', '-')}.wav"
        clips[phrase].write_bytes(wav_bytes(samples, rate))
    routine = tmp_path / "routine.toml"
    routine.write_text(ROUTINE, encoding="utf-8")
    env = coach_env(
        **{**pulse.env, "COACH_CACHE_DIR": str(tmp_path / "cache"), "COACH_VOICE": "joe"}
    )
    subprocess.run(
        coach_command("show", str(routine)), env=env, check=True, timeout=120, capture_output=True
    )  # the phrases made before the clock starts
    recorder = Recorder(pulse.env)
    recorder.start()
    play = subprocess.Popen(
        coach_command("play", "--listen", "--yes", str(routine)),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    timeline = json.loads(
        subprocess.run(
            coach_command("show", "--json", str(routine)),
            env=env,
            check=True,
            timeout=60,
            capture_output=True,
            text=True,
        ).stdout
    )
    hold = next(clip for clip in timeline["clips"] if clip["kind"] == "hold")
    log = PlayLog(play)
    try:
        deadline = time.monotonic() + 30
        while (started := recorder.first_sound()) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started is not None, "no sound reached the sink"
        # The coach talks through the opening and the first instruction, hearing itself.
        time.sleep(max(started + hold["start_ms"] / 1000 + 1.0 - time.monotonic(), 0))
        ended = command(pulse, clips["coach pause"], log, "pause")
        time.sleep(1.5)
        resumed = command(pulse, clips["coach go on"], log, "go on")
        time.sleep(1.5)
        command(pulse, clips["coach stop"], log, "stop")
        play.wait(timeout=10)
    finally:
        if play.poll() is None:
            play.kill()
        recorder.stop()
    out, err = log.finish(), play.stderr.read() if play.stderr else ""
    assert play.returncode == 0, err
    lines = out.splitlines()
    controls = [line for line in lines if "(voice:" in line or "(key:" in line]
    print(f"\n{controls}")
    assert [line.split("  ")[1:] for line in controls] == [
        ["pause", '(voice: "coach pause")'],
        ["go on", '(voice: "coach go on")'],
        ["stop", '(voice: "coach stop")'],
    ], out + err
    assert lines[-1] == "Stopped."
    acted = acted_at(recorder, ended - 0.5, 2.4)  # "coach go on" starts 1.5 s after its line
    assert acted is not None
    reaction = acted - ended
    print(f"[sound stopped {reaction * 1000:.0f} ms after the end of 'coach pause']")
    assert reaction < REACTION_S
    back = recorder.first_sound(after=resumed + 0.05)
    assert back is not None and back - resumed < 1.5  # the session goes on
