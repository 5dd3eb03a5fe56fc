"""A private PulseAudio server with a null sink, a recorder of what reaches it, and onsets.

The null sink runs on a real clock, so a recording of its monitor shows both what live play
sent and when. `Recorder` reads the monitor as raw samples from parec on a thread and notes
when each block arrived, so a sample's index can be turned into the moment it was played
(`played_at`), within parec's ~10-20 ms of latency. `find_onsets` places each audible clip
of a rendered session in such a recording. Used by the live tests and by scripts/bench.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from coach.pcm import Samples, read_wav
from coach.time import SAMPLE_RATE
from support.terminal import Terminal, coach_command, coach_env

FRAME = SAMPLE_RATE // 100
"""10 ms envelope frames."""


def missing_tools() -> str | None:
    """Why the PulseAudio setup cannot run here, or None."""
    for tool in ("pulseaudio", "parec", "pactl"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian packages pulseaudio and pulseaudio-utils)"
    return None


class PulseUnavailableError(Exception):
    """The server would not start here; the message says why."""


class PulseServer:
    """A PulseAudio server of its own in `folder`, with a null sink "cap" as its default."""

    def __init__(self, folder: Path) -> None:
        runtime = folder / "pulse-runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        self.env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), HOME=str(folder))
        self.env.pop("PULSE_SERVER", None)

    def start(self) -> None:
        started = subprocess.run(
            [
                "pulseaudio",
                "-n",
                "--daemonize=yes",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "-L",
                "module-native-protocol-unix",
                "-L",
                "module-null-sink sink_name=cap",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if started.returncode != 0:
            raise PulseUnavailableError(
                f"PulseAudio would not start: {started.stderr.strip()[:200]}"
            )
        for _ in range(100):
            info = subprocess.run(["pactl", "info"], env=self.env, capture_output=True)
            if info.returncode == 0:
                break
            time.sleep(0.05)
        subprocess.run(["pactl", "set-default-sink", "cap"], env=self.env, check=True, timeout=10)

    def kill(self) -> None:
        subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True, timeout=10)
        for _ in range(100):
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode:
                return
            time.sleep(0.05)


@dataclass
class Recorder:
    """What reaches the null sink, recorded by parec as it plays (start, then stop)."""

    env: dict[str, str]
    blocks: list[bytes] = field(default_factory=list)
    arrivals: list[tuple[float, int]] = field(default_factory=list)
    """(time.monotonic() on arrival, samples recorded up to then), one per block."""
    _process: Any = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                "parec",
                "-d",
                "cap.monitor",
                "--raw",
                "--format=s16le",
                f"--rate={SAMPLE_RATE}",
                "--channels=1",
                "--latency-msec=10",
            ],
            env=self.env,
            stdout=subprocess.PIPE,
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        time.sleep(0.5)  # connected and recording before anything plays

    def stop(self) -> None:
        time.sleep(0.5)  # let the tail arrive
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def samples(self) -> Samples:
        data = b"".join(self.blocks)
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.int16)

    def played_at(self, index: int) -> float:
        """When sample `index` of the recording reached the sink (time.monotonic())."""
        for arrived, count in self.arrivals:
            if count > index:
                return arrived - (count - index) / SAMPLE_RATE
        raise ValueError(f"sample {index} was never recorded")

    def first_sound(self, after: float = 0.0, level: int = 300) -> float | None:
        """When the first sample louder than `level` played, if any did after `after`."""
        samples = self.samples()
        for index in np.flatnonzero(np.abs(samples.astype(np.int32)) > level):
            at = self.played_at(int(index))
            if at >= after:
                return at
        return None

    def last_sound(self, level: int = 300) -> float | None:
        samples = self.samples()
        loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > level)
        return self.played_at(int(loud[-1])) if len(loud) else None

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        total = 0
        while block := os.read(self._process.stdout.fileno(), 4096):
            now = time.monotonic()
            self.blocks.append(block)
            total += len(block)
            self.arrivals.append((now, total // 2))


def envelope(samples: Samples) -> npt.NDArray[np.float64]:
    usable = len(samples) // FRAME * FRAME
    frames = samples[:usable].astype(np.float64).reshape(-1, FRAME)
    rms: npt.NDArray[np.float64] = np.sqrt((frames**2).mean(axis=1))
    return rms


@dataclass(frozen=True)
class Onset:
    """Where one audible clip of the timeline was found in a recording."""

    clip: dict[str, Any]
    """The clip, as in `coach show --json`."""
    expected: int
    """Its first sample in the render."""
    found: int
    """Its first sample in the recording."""

    @property
    def offset(self) -> int:
        return self.found - self.expected


def correlate_valid(signal: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """The correlation of `pattern` with `signal` at each place it fits whole (as scipy's
    `correlate(signal, pattern, mode="valid")`), through numpy's FFT: so this module, and
    scripts/bench.py with it, needs nothing the coach's own install lacks."""
    size = len(signal) + len(pattern) - 1
    length = 1 << (size - 1).bit_length()
    spectrum = np.fft.rfft(signal, length) * np.conj(np.fft.rfft(pattern, length))
    return np.fft.irfft(spectrum, length)[: len(signal) - len(pattern) + 1]


def _quality(head: np.ndarray, capture: np.ndarray, low: int, high: int) -> tuple[int, np.ndarray]:
    """How well `head` fits at each place from `low` to `high` in `capture` (normalised
    correlation, 1.0 = the same shape); returns `low` (clamped) and the fits."""
    low = max(low, 0)
    region = capture[low : max(high, low) + len(head)].astype(np.float64)
    if len(region) < len(head) or not head.any():
        return low, np.zeros(0)
    scores = correlate_valid(region, head)
    sums = np.concatenate(([0.0], np.cumsum(region**2)))
    energy = sums[len(head) :] - sums[: -len(head)]
    head_energy = float(np.dot(head, head))
    quality = scores / (np.sqrt(np.maximum(energy, 0.0) * head_energy) + 1e-9)
    # Near-silent places would divide rounding noise by almost nothing.
    quality[energy < 0.01 * head_energy] = 0.0
    return low, quality


def _best(head: np.ndarray, capture: np.ndarray, low: int, high: int) -> tuple[int, float]:
    """The place where `head` fits best between `low` and `high`, and how well."""
    low, quality = _quality(head, capture, low, high)
    if not len(quality):
        return low, 0.0
    best = int(np.argmax(quality))
    return low + best, float(quality[best])


def _first_good(head: np.ndarray, capture: np.ndarray, low: int, high: int) -> int | None:
    """The first place between `low` and `high` where `head` fits well, to within 30 ms (a
    phrase said again later, "Hold.", fits as well there: the first is the one wanted)."""
    low, quality = _quality(head, capture, low, high)
    good = np.flatnonzero(quality >= GOOD)
    if not len(good):
        return None
    near = SAMPLE_RATE * 30 // 1000
    where, _ = _best(head, capture, low + int(good[0]) - near, low + int(good[0]) + near)
    return where


def audible_clips(timeline: dict[str, Any], reference: Samples) -> list[dict[str, Any]]:
    """The clips of `coach show --json` that make enough sound to be found."""
    found = []
    for clip in timeline["clips"]:
        if clip["kind"] not in ("speech", "chime"):
            continue
        start = clip["start_ms"] * SAMPLE_RATE // 1000
        end = clip["end_ms"] * SAMPLE_RATE // 1000
        piece = reference[start:end]
        if len(piece) >= 5 * FRAME and np.abs(piece.astype(np.int32)).max() >= 300:
            found.append(clip)
    return found


HEAD = SAMPLE_RATE // 5
"""The first 200 ms of a clip is what is looked for."""
GOOD = 0.9
"""A clip counts as found where its head fits at least this well."""


def find_onsets(
    timeline: dict[str, Any],
    reference: Samples,
    capture: Samples,
    *,
    slack_s: float = 0.05,
    longest_gap_s: float = 15.0,
) -> tuple[list[Onset], list[dict[str, Any]]]:
    """Each audible clip of the rendered session `reference`, found in `capture` in order.

    A clip is looked for from where the one before it was found plus the gap between them in
    the render (less `slack_s`), up to `longest_gap_s` later: a pause or a repeat makes the
    gap longer, never shorter. Returns the onsets found and the clips that were not.
    """
    onsets: list[Onset] = []
    missing: list[dict[str, Any]] = []
    slack = int(slack_s * SAMPLE_RATE)
    previous: Onset | None = None
    for clip in audible_clips(timeline, reference):
        start = clip["start_ms"] * SAMPLE_RATE // 1000
        head = reference[start : start + HEAD].astype(np.float64)
        if previous is None:  # the first clip: anywhere
            where, quality = _best(head, capture, 0, len(capture) - len(head))
        else:  # where the one before says, give or take; else further on (a pause)
            due = previous.found + (start - previous.expected)
            where, quality = _best(head, capture, due - slack, due + slack)
            if quality < GOOD:
                later = _first_good(
                    head, capture, due + slack, due + int(longest_gap_s * SAMPLE_RATE)
                )
                if later is not None:
                    where, quality = later, GOOD
        if quality < GOOD:
            missing.append(clip)
            continue
        previous = Onset(clip, start, where)
        onsets.append(previous)
    return onsets, missing


def refind(
    onset_clip: dict[str, Any], reference: Samples, capture: Samples, near: int
) -> Onset | None:
    """`onset_clip` found again within 50 ms of `near` in the recording (a repeat), if there."""
    start = onset_clip["start_ms"] * SAMPLE_RATE // 1000
    head = reference[start : start + HEAD].astype(np.float64)
    spread = SAMPLE_RATE // 20
    where, quality = _best(head, capture, near - spread, near + spread)
    return Onset(onset_clip, start, where) if quality >= GOOD else None


def segments(onsets: list[Onset], jump_ms: float = 50.0) -> list[list[Onset]]:
    """The onsets split where the recording's offset from the render jumps (a pause)."""
    parts: list[list[Onset]] = []
    for onset in onsets:
        if parts and abs(onset.offset - parts[-1][-1].offset) <= jump_ms * SAMPLE_RATE / 1000:
            parts[-1].append(onset)
        else:
            parts.append([onset])
    return parts


@dataclass(frozen=True)
class Timing:
    """Onset errors against the render, each part played without a break lined up on its own."""

    errors_ms: np.ndarray
    drift_ms_per_s: float
    parts: int

    @property
    def p50(self) -> float:
        return float(np.percentile(np.abs(self.errors_ms), 50))

    @property
    def p95(self) -> float:
        return float(np.percentile(np.abs(self.errors_ms), 95))

    @property
    def max(self) -> float:
        return float(np.abs(self.errors_ms).max())


def timing(parts: list[list[Onset]]) -> Timing:
    """Errors of each onset from its part's median offset; drift is the slope of the errors
    over the session's time (ms per second), fitted across all parts at once."""
    errors: list[float] = []
    times: list[float] = []
    for part in parts:
        offsets = np.array([onset.offset for onset in part], dtype=float)
        centre = float(np.median(offsets))
        errors += list((offsets - centre) * 1000 / SAMPLE_RATE)
        times += [onset.expected / SAMPLE_RATE for onset in part]
    values = np.array(errors)
    slope = float(np.polyfit(np.array(times), values, 1)[0]) if len(values) > 2 else 0.0
    return Timing(values, slope, len(parts))


# --- a whole live play, measured -------------------------------------------------------------

TIMING_ROUTINE = """
title = "Timing check"
description = "Two short exercises."
safety = ["Only while parked."]
closing = ["Done."]

[[exercise]]
id = "tilt"
title = "Neck tilt"
instructions = ["Lower your {side} ear toward your shoulder, slowly and gently."]
reminder = ["Ear down."]
reps = 2
sides = ["left", "right"]
hold = 3

[[exercise]]
id = "press"
title = "Fist press"
instructions = ["Press your fists together."]
reminder = ["Press."]
breath = { move = "in", release = "out" }
reps = 2
hold = 5
"""
"""About 75 s: phrases short and long, chimes, sides, holds of 3 and 5 s with words in them."""

TIMING_CUT = "Lower your left ear toward your shoulder, slowly and gently."
"""The instruction a measured play pauses in (and is stopped in)."""

READING_S = 1.0
"""How long a person takes to read the safety line and type y."""


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Heard:
    """One live play with a pause, perhaps stopped with q or Ctrl-C, and what the sink heard."""

    onsets: list[Onset]
    """Every onset found, the repeat of the instruction the pause cut off included."""
    missing: list[dict[str, Any]]
    """Clips due before the end (or the stop) that were not found."""
    parts: list[list[Onset]]
    """The onsets of each stretch played without a break (two: before and after the pause)."""
    timing: Timing | None
    repeated: bool
    """The instruction the pause cut off was heard again from its start."""
    paused_s: float
    """How much later the part after the pause came than the render has it."""
    first_sound_s: float
    """From typing y to the first sound reaching the sink."""
    cpu_in_hold: float
    """Share of one CPU the player used while streaming a hold."""
    stop_sound_s: float | None
    """From q or Ctrl-C to the last sound reaching the sink (None: played to the end)."""
    stop_exit_s: float | None
    status: int
    text: str


@dataclass(frozen=True)
class Stopped:
    """One live play stopped with q or Ctrl-C, with no pause before, and what the sink heard."""

    onsets: list[Onset]
    missing: list[dict[str, Any]]
    """Clips due before the stop that were not found."""
    parts: list[list[Onset]]
    """The onsets of each stretch played without a break (one, as nothing paused it)."""
    timing: Timing | None
    first_sound_s: float
    stop_sound_s: float
    """From q or Ctrl-C to the last sound reaching the sink."""
    stop_exit_s: float
    """From q or Ctrl-C to the process's exit."""
    status: int
    text: str


class LivePlay:
    """A routine rendered to WAV and played live at a terminal into the null sink."""

    def __init__(self, server: PulseServer, folder: Path, routine: str) -> None:
        self.server = server
        self.env = dict(server.env, COACH_CACHE_DIR=str(folder / "cache"), TERM="xterm")
        self.routine = folder / "routine.toml"
        self.routine.write_text(routine, encoding="utf-8")
        reference = folder / "reference.wav"
        self._coach("render", str(self.routine), "-q", "-o", str(reference))
        self.reference, _ = read_wav(reference)
        self.timeline: dict[str, Any] = json.loads(self._coach("show", str(self.routine), "--json"))

    def clip(self, text: str) -> dict[str, Any]:
        return next(clip for clip in self.timeline["clips"] if clip["text"] == text)

    def play(
        self, cut_text: str, *, into_s: float = 0.8, pause_s: float = 2.0, stop: str | None = None
    ) -> Heard:
        """Play, pausing `into_s` into the phrase `cut_text` for `pause_s`, and measure the CPU
        through the first hold of 3 s or more after it. Then play to the end, or with `stop`
        ("q" or "ctrl-c") stop 0.5 s into the first phrase of 1.5 s or more after that hold."""
        cut = self.clip(cut_text)
        clips = self.timeline["clips"]
        hold = next(
            c
            for c in clips
            if c["kind"] == "hold"
            and c["start_ms"] > cut["end_ms"]
            and c["end_ms"] - c["start_ms"] >= 3000
        )
        last = next(c for c in clips if c["kind"] == "speech" and c["start_ms"] >= hold["end_ms"])
        stop_ms = self._sounding_ms(last["start_ms"])
        recorder, term = self._start()
        stop_sound_s = stop_exit_s = None
        try:
            confirmed = time.monotonic()
            term.type("y\n")
            first = self._first_sound(recorder, term, confirmed)
            term.pump(first + cut["start_ms"] / 1000 + into_s - time.monotonic())
            term.type(" ")
            paused_at = time.monotonic()
            term.expect("PAUSED")
            term.pump(paused_at + pause_s - time.monotonic())
            term.type(" ")
            resumed = time.monotonic()  # the instruction again from its start, then on
            term.pump(
                resumed + (hold["start_ms"] - cut["start_ms"]) / 1000 + 0.3 - time.monotonic()
            )
            cpu, wall = cpu_seconds(term.process.pid), time.monotonic()
            term.pump((hold["end_ms"] - hold["start_ms"]) / 1000 - 0.6)
            cpu_in_hold = (cpu_seconds(term.process.pid) - cpu) / (time.monotonic() - wall)
            if stop is None:
                status = term.finish(timeout=self.timeline["total_ms"] / 1000 + 10)
            else:
                term.pump(resumed + (stop_ms - cut["start_ms"]) / 1000 - time.monotonic())
                pressed = time.monotonic()
                if stop == "q":
                    term.type("q")
                else:
                    term.process.send_signal(signal.SIGINT)
                while term.process.poll() is None and time.monotonic() - pressed < 5:
                    term.read(0.002)
                stop_exit_s = time.monotonic() - pressed
                status = term.finish()
            text = term.text
        finally:
            term.close()
            recorder.stop()
        if stop is not None:
            last_sound = recorder.last_sound()
            stop_sound_s = last_sound - pressed if last_sound is not None else float("inf")
        capture = recorder.samples()
        due = self.timeline if stop is None else {
            "clips": [c for c in clips if c["start_ms"] <= last["start_ms"]]
        }  # fmt: skip
        onsets, missing = find_onsets(due, self.reference, capture)
        parts = segments(onsets)
        repeated = False
        if len(parts) == 2 and parts[0][-1].clip == cut:
            after = parts[1][0]
            near = after.found - (after.expected - parts[0][-1].expected)
            again = refind(cut, self.reference, capture, near)
            if again is not None:
                parts[1].insert(0, again)
                onsets = [*parts[0], *parts[1]]
                repeated = True
        return Heard(
            onsets=onsets,
            missing=missing,
            parts=parts,
            timing=timing(parts) if len(onsets) > 2 else None,
            repeated=repeated,
            paused_s=(parts[-1][0].offset - parts[0][0].offset) / SAMPLE_RATE if parts else 0.0,
            first_sound_s=first - confirmed,
            cpu_in_hold=cpu_in_hold,
            stop_sound_s=stop_sound_s,
            stop_exit_s=stop_exit_s,
            status=status,
            text=text,
        )

    def stop_in(self, text: str, stop: str) -> Stopped:
        """Play from the start and stop with `stop` ("q" or "ctrl-c") where the phrase `text`
        sounds, with no pause before: what the sink heard up to then, and how soon the sound
        stopped and the process exited."""
        clip = self.clip(text)
        stop_ms = self._sounding_ms(clip["start_ms"])
        recorder, term = self._start()
        try:
            confirmed = time.monotonic()
            term.type("y\n")
            first = self._first_sound(recorder, term, confirmed)
            term.pump(first + stop_ms / 1000 - time.monotonic())
            pressed = time.monotonic()
            if stop == "q":
                term.type("q")
            else:
                term.process.send_signal(signal.SIGINT)
            while term.process.poll() is None and time.monotonic() - pressed < 5:
                term.read(0.002)
            stop_exit_s = time.monotonic() - pressed
            status = term.finish()
            text = term.text
        finally:
            term.close()
            recorder.stop()
        last_sound = recorder.last_sound()
        capture = recorder.samples()
        due = {"clips": [c for c in self.timeline["clips"] if c["start_ms"] <= clip["start_ms"]]}
        onsets, missing = find_onsets(due, self.reference, capture)
        parts = segments(onsets)
        return Stopped(
            onsets=onsets,
            missing=missing,
            parts=parts,
            timing=timing(parts) if len(onsets) > 2 else None,
            first_sound_s=first - confirmed,
            stop_sound_s=last_sound - pressed if last_sound is not None else float("inf"),
            stop_exit_s=stop_exit_s,
            status=status,
            text=text,
        )

    def _sounding_ms(self, from_ms: int) -> int:
        """The first moment from `from_ms` on, in ms of the session, that is 150 ms into
        sound lasting at least 300 ms: a key pressed then cuts a word, not a pause, even
        with the device's latency."""
        loud = envelope(self.reference) > 300
        run = 30  # 300 ms of 10 ms frames
        for frame in range(from_ms // 10, len(loud) - run):
            if loud[frame : frame + run].all():
                return frame * 10 + 150
        raise AssertionError(f"no sound of 300 ms after {from_ms} ms")

    def _start(self) -> tuple[Recorder, Terminal]:
        recorder = Recorder(self.server.env)
        recorder.start()
        term = Terminal(
            coach_command("play", "--audio-backend", "miniaudio", str(self.routine)),
            env=coach_env(**self.env),
        )
        term.expect("Type y and press Enter to start")
        term.pump(READING_S)
        return recorder, term

    @staticmethod
    def _first_sound(recorder: Recorder, term: Terminal, after: float) -> float:
        deadline = time.monotonic() + 10
        while (first := recorder.first_sound(after=after)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no sound reached the sink; the terminal showed {term.text!r}"
                )
            term.pump(0.02)
        return first

    def _coach(self, *args: str) -> str:
        done = subprocess.run(
            coach_command(*args), env=self.env, capture_output=True, text=True, timeout=180
        )
        if done.returncode != 0:
            raise AssertionError(f"coach {' '.join(args)} failed: {done.stderr}")
        return done.stdout
