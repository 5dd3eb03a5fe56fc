"""Benchmarks of the coach: render time, memory, start-up, MP3 size and live play (not tests).

Run with the project's virtualenv:

    .venv/bin/python scripts/bench.py            # several runs of everything (a few minutes)
    .venv/bin/python scripts/bench.py --quick    # fewer runs, under a minute
    .venv/bin/python scripts/bench.py --json bench.json

Method (also printed with the results):

- Every figure comes from a separate process, timed by wall clock from spawn to exit, so the
  product and its baselines both include interpreter start-up and imports alike. Peak RSS is
  the child's ru_maxrss, from os.wait4 in a small launcher process (see LAUNCHER).
- Render time runs the real command, `coach render -q -o TMP.mp3 ...`, with COACH_CACHE_DIR
  set to a new, empty folder for each cold run and to a pre-warmed one for warm runs. "Cold"
  means an empty phrase cache only; the OS file cache is warm.
- The floor is LAME alone (lameenc, with coach.render.mp3's default bit rate and quality,
  the session's sample rate, mono, fed coach.sound.assembly.CHUNK_SAMPLES at a time)
  encoding the exact PCM the product encodes: the same session rendered to WAV by
  `coach render` (warm), read from a raw file. The floor process imports numpy through
  coach.render.mp3, like the product.
- Runs of a render and its floor alternate, so drift on a noisy machine hits both. A ratio's
  "min" is min(render) / min(floor) and its "median" is median(render) / median(floor); goals
  are judged on the median.
- Memory runs use a warm cache, so they measure rendering rather than speech synthesis; the
  cold 60-minute run is reported as well. The 5-, 20- and 60-minute sessions are
  `--minutes 5`, `--minutes 20` and the full session of tests/data/long-routine.toml.
- Live play runs the real command at a pseudo-terminal into a private PulseAudio null sink,
  recorded in real time (see bench_live); it is skipped where PulseAudio is not installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
COACH = str(VENV_BIN / "coach") if (VENV_BIN / "coach").exists() else "coach"
LONG_ROUTINE = ROOT / "tests" / "data" / "long-routine.toml"

WARM_RATIO_GOAL = 1.5
COLD_RATIO_GOAL = 4.0
"""For eSpeak, which synthesizes about 500 times faster than real time."""
NEURAL_COLD_RATIO_GOAL = 10.0
"""For the natural voice: a neural model on two cores is far slower than eSpeak."""
ESPEAK = "gmw/en-us"
NEURAL = "joe"
RSS_GOAL_MB = 150.0
RSS_GROWTH_GOAL_MB = 10.0
"""'Memory that does not grow with session length': the 60-minute peak RSS, less the phrase
clips it holds, may exceed the 5-minute one's by at most this much. A session holds each
distinct phrase it speaks in memory (plain and mastered), which grows with the phrases,
not with the minutes; everything else is assembled and encoded a chunk at a time."""
STARTUP_RATIO_GOAL = 2.0
WRAPPER = ROOT / "scripts" / "coach"
WRAPPER_OVERHEAD_GOAL_S = 0.1
"""What scripts/coach's set-up check may add to every command, in seconds."""
README_KB_PER_MINUTE = 360.0
"""48 kbit/s is 360 kB a minute (README); a reference for the size rows, not a goal."""

FLOOR_SCRIPT = """\
import sys, time
t0 = time.perf_counter()
import numpy as np
from coach.render import mp3
import lameenc
pcm, out, rate, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
samples = np.fromfile(pcm, dtype="<i2")
t1 = time.perf_counter()
lame = lameenc.Encoder()
lame.set_bit_rate(mp3.DEFAULT_BITRATE_KBPS)
lame.set_in_sample_rate(rate)
lame.set_out_sample_rate(rate)
lame.set_channels(1)
lame.set_quality(mp3.DEFAULT_QUALITY)
lame.silence()
with open(out, "wb") as file:
    for at in range(0, len(samples), chunk):
        file.write(bytes(lame.encode(samples[at : at + chunk].astype("<i2", copy=False).tobytes())))
    file.write(bytes(lame.flush()))
t2 = time.perf_counter()
print(f"{t1 - t0:.6f} {t2 - t1:.6f} {len(samples)}")
"""


SPEECH_SCRIPT = """\
import sys, time
from coach.preparation import full_session_phrases
from coach.routines import load_routine
from coach.speech.voices import open_voice
from coach.speech.phrases import PhraseBook
engine, voice = open_voice(sys.argv[1])
book = PhraseBook(engine, voice, 155, None)
t0 = time.perf_counter()
book.clip("Hold.")  # loads the engine (and the model)
t1 = time.perf_counter()
texts = full_session_phrases(load_routine(None))
book.synthesize_all(texts)
t2 = time.perf_counter()
audio = sum(len(book.clip(text)) for text in set(texts)) / 22050
print(f"{t1 - t0:.6f} {t2 - t1:.6f} {audio:.3f}")
"""


# --- running things ------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    stdout: str


LAUNCHER = """\
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as report:
    report.write(f"{seconds!r} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Runs a command and reports its wall time and peak RSS. A child's ru_maxrss starts at the
high-water RSS of the process that exec'd it (Linux keeps it across exec), so the benchmark,
which holds whole sessions of PCM at times, must not be that process: this small launcher
(python -I -S, about 10 MB) is. It times from spawn to exit, excluding its own start-up."""


def run(command: Sequence[str], cache_dir: Path | None = None) -> Run:
    """Run `command` to completion: its wall time and its own peak RSS (MB)."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["COACH_CACHE_DIR"] = str(cache_dir)
    with tempfile.TemporaryDirectory(prefix="coach-bench-run-") as folder:
        report = Path(folder) / "report"
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(report), *command]
        done = subprocess.run(launcher, capture_output=True, env=env, cwd=ROOT, check=False)
        if done.returncode != 0:
            raise SystemExit(
                f"bench: {' '.join(command)} failed with status {done.returncode}:\n"
                + done.stderr.decode(errors="replace")
            )
        seconds, max_rss_kib = report.read_text().split()
    stdout = done.stdout.decode(errors="replace")
    return Run(float(seconds), int(max_rss_kib) * 1024 / 1e6, stdout)  # ru_maxrss: KiB


def render_command(
    routine: str | None, minutes: float | None, out: Path, voice: str = ESPEAK
) -> list[str]:
    command = [COACH, "render", "-q", "--voice", voice, "-o", str(out)]
    if routine:
        command.append(routine)
    if minutes is not None:
        command += ["-m", f"{minutes:g}"]
    return command


def session_json(
    routine: str | None, minutes: float | None, cache_dir: Path, voice: str = ESPEAK
) -> dict[str, Any]:
    """The session's timeline, from `coach show --json` (same timeline as the render)."""
    command = [COACH, "show", "--json", "--voice", voice]
    if routine:
        command.append(routine)
    if minutes is not None:
        command += ["-m", f"{minutes:g}"]
    timeline: dict[str, Any] = json.loads(run(command, cache_dir).stdout)
    return timeline


def session_ms(
    routine: str | None, minutes: float | None, cache_dir: Path, voice: str = ESPEAK
) -> int:
    """The session's length, from `coach show --json`."""
    return int(session_json(routine, minutes, cache_dir, voice)["total_ms"])


def held_clips_mb(routine: str | None, minutes: float | None, cache_dir: Path) -> float:
    """Memory the session's distinct phrases take, each held plain and mastered (int16)."""
    from coach.time import ms_to_samples

    clips = session_json(routine, minutes, cache_dir)["clips"]
    spoken = {clip["text"]: clip["end_ms"] - clip["start_ms"] for clip in clips if clip["text"]}
    return sum(ms_to_samples(ms) for ms in spoken.values()) * 2 * 2 / 1e6


# --- results -------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    unit: str
    runs: list[float]
    low: float
    median: float
    goal: str = ""
    met: bool | None = None
    note: str = ""


def measured(
    name: str,
    unit: str,
    runs: Sequence[float],
    *,
    at_most: float | None = None,
    note: str = "",
) -> Row:
    """A row of min and median over `runs`; with `at_most`, a goal judged on the median."""
    values = list(runs)
    median = statistics.median(values)
    goal = f"<= {at_most:g}" if at_most is not None else ""
    met = median <= at_most if at_most is not None else None
    return Row(name, unit, values, min(values), median, goal, met, note)


def ratio(name: str, top: Row, bottom: Row, goal: float) -> Row:
    low = top.low / bottom.low
    median = top.median / bottom.median
    paired = [a / b for a, b in zip(top.runs, bottom.runs, strict=False)]  # interleaved runs
    return Row(name, "x", paired, low, median, f"<= {goal:g}x", median <= goal)


class Bench:
    def __init__(self, work: Path, *, quick: bool) -> None:
        self.quick = quick
        self.work = work
        self.rows: list[Row] = []
        self.warm = work / "warm-cache"
        self._fresh = 0

    def fresh_cache(self) -> Path:
        self._fresh += 1
        return self.work / f"cold-cache-{self._fresh}"

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        mark = {True: "ok", False: "MISSED", None: ""}[row.met]
        print(
            f"  {row.name}: min {row.low:.3f} median {row.median:.3f} {row.unit} {mark}",
            file=sys.stderr,
        )
        return row

    def cold_run(self, command: Sequence[str]) -> Run:
        cache = self.fresh_cache()
        try:
            return run(command, cache)
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    # --- render time ---------------------------------------------------------------------

    def render_time(
        self,
        label: str,
        routine: str | None,
        minutes: float | None,
        voice: str = ESPEAK,
        cold_goal: float = COLD_RATIO_GOAL,
    ) -> None:
        from coach.sound.assembly import CHUNK_SAMPLES
        from coach.time import SAMPLE_RATE, ms_to_samples

        warm_runs, cold_runs = (3, 2) if self.quick else (7, 5)
        mp3 = self.work / "render.mp3"
        command = render_command(routine, minutes, mp3, voice)
        run(command, self.warm)  # fills the warm cache (if needed) and the OS file cache
        size = mp3.stat().st_size
        length_ms = session_ms(routine, minutes, self.warm, voice)

        # The floor's input: the exact PCM the product encodes, via a WAV render.
        wav = self.work / "render.wav"
        run(render_command(routine, minutes, wav, voice), self.warm)
        pcm = self.work / "render.pcm"
        with wave.open(str(wav), "rb") as source:
            assert source.getframerate() == SAMPLE_RATE
            assert source.getnchannels() == 1
            pcm.write_bytes(source.readframes(source.getnframes()))
        floor_out = self.work / "floor.mp3"
        floor_command = [
            PYTHON, "-c", FLOOR_SCRIPT, str(pcm), str(floor_out), str(SAMPLE_RATE),
            str(CHUNK_SAMPLES),
        ]  # fmt: skip
        run(floor_command)  # warm-up

        floors: list[Run] = []
        warms: list[Run] = []
        colds: list[Run] = []
        for index in range(warm_runs):
            floors.append(run(floor_command))
            warms.append(run(command, self.warm))
            if index < cold_runs:
                colds.append(self.cold_run(command))
        encode_only = [float(r.stdout.split()[1]) for r in floors]
        floor_samples = int(floors[0].stdout.split()[2])
        if floor_samples != ms_to_samples(length_ms):
            raise SystemExit(
                f"bench: the floor encoded {floor_samples} samples, but the session has "
                f"{ms_to_samples(length_ms)}"
            )
        floor = self.add(
            measured(
                f"{label}: floor (lameenc alone)",
                "s",
                [r.seconds for r in floors],
                note=f"{floor_samples} samples ({length_ms / 60000:.2f} min); in-process encode "
                f"{min(encode_only):.3f}/{statistics.median(encode_only):.3f} s",
            )
        )
        warm = self.add(measured(f"{label}: render, warm cache", "s", [r.seconds for r in warms]))
        cold = self.add(measured(f"{label}: render, cold cache", "s", [r.seconds for r in colds]))
        self.add(ratio(f"{label}: warm / floor", warm, floor, WARM_RATIO_GOAL))
        self.add(ratio(f"{label}: cold / floor", cold, floor, cold_goal))
        self.add(measured(f"{label}: peak RSS, warm (info)", "MB", [r.max_rss_mb for r in warms]))
        self.add(measured(f"{label}: peak RSS, cold (info)", "MB", [r.max_rss_mb for r in colds]))
        self.add(
            measured(
                f"{label}: MP3 size per minute",
                "kB/min",
                [size / 1000 / (length_ms / 60000)],
                note=f"{size} bytes for {length_ms / 1000:.1f} s (README: "
                f"{README_KB_PER_MINUTE:g} kB/min at 48 kbit/s)",
            )
        )

    # --- speech --------------------------------------------------------------------------

    def speech(self) -> None:
        """Each voice's load time and synthesis speed, in a process of its own (in-process
        timing, after start-up): the distinct phrases of the full rest-stop session, with
        no cache, as a cold render makes them (Piper two at a time)."""
        runs = 2 if self.quick else 3
        for voice, label in ((ESPEAK, "eSpeak"), (NEURAL, "natural")):
            results = [
                run([PYTHON, "-c", SPEECH_SCRIPT, voice]).stdout.split() for _ in range(runs)
            ]
            self.add(measured(f"speech {label}: engine load", "s", [float(r[0]) for r in results]))
            audio = float(results[0][2])
            self.add(
                measured(
                    f"speech {label}: synthesis speed",
                    "x",
                    [audio / float(r[1]) for r in results],
                    note=f"{audio:.1f} s of speech in {min(float(r[1]) for r in results):.2f} s "
                    "(times real time)",
                )
            )

    # --- memory ----------------------------------------------------------------------------

    def memory(self) -> None:
        runs = 1 if self.quick else 3
        routine = str(LONG_ROUTINE.relative_to(ROOT))
        out = self.work / "long.mp3"
        cold = [self.cold_run(render_command(routine, None, out)) for _ in range(runs)]
        sessions = ((5, 5.0), (20, 20.0), (60, None))
        # Warm the cache with each exact command: a fitted session has phrases of its own
        # ("This is a shorter version, ..."), synthesized on its first render.
        for _, option in sessions:
            run(render_command(routine, option, out), self.warm)
        results: dict[int, list[Run]] = {minutes: [] for minutes, _ in sessions}
        for _ in range(runs):
            for minutes, option in sessions:
                results[minutes].append(run(render_command(routine, option, out), self.warm))
        for minutes, option in sessions:
            length_ms = session_ms(routine, option, self.warm)
            self.add(
                measured(
                    f"peak RSS, {minutes}-min session, warm",
                    "MB",
                    [r.max_rss_mb for r in results[minutes]],
                    at_most=RSS_GOAL_MB if minutes == 60 else None,
                    note=f"session {length_ms / 60000:.2f} min; render "
                    f"{min(r.seconds for r in results[minutes]):.2f} s min",
                )
            )
            if minutes == 60:
                size = out.stat().st_size
                self.add(
                    measured(
                        "60-min session: MP3 size per minute",
                        "kB/min",
                        [size / 1000 / (length_ms / 60000)],
                        note=f"{size} bytes for {length_ms / 1000:.1f} s",
                    )
                )
        held = {minutes: held_clips_mb(routine, option, self.warm) for minutes, option in sessions}
        growth = [
            (long.max_rss_mb - held[60]) - (short.max_rss_mb - held[5])
            for long, short in zip(results[60], results[5], strict=True)
        ]
        self.add(
            measured(
                "RSS growth beyond the phrases, 60 - 5 min",
                "MB",
                growth,
                at_most=RSS_GROWTH_GOAL_MB,
                note=f"flat: peak less the phrase clips held ({held[5]:.1f} and "
                f"{held[60]:.1f} MB), 60-min minus 5-min, warm",
            )
        )
        self.add(
            measured(
                "peak RSS, 60-min session, cold",
                "MB",
                [r.max_rss_mb for r in cold],
                at_most=RSS_GOAL_MB,
                note=f"render {min(r.seconds for r in cold):.2f} s min",
            )
        )

    # --- start-up --------------------------------------------------------------------------

    def startup(self) -> None:
        runs = 7 if self.quick else 25
        help_command = [COACH, "--help"]
        click_command = [PYTHON, "-c", "import click"]
        wrapper_command = [str(WRAPPER), "--help"]
        for command in (help_command, click_command, wrapper_command):
            run(command)  # the first run of each fills the OS file cache (and the stamp)
        helps: list[float] = []
        clicks: list[float] = []
        wrapped: list[float] = []
        for _ in range(runs):
            clicks.append(run(click_command).seconds)
            helps.append(run(help_command).seconds)
            wrapped.append(run(wrapper_command).seconds)
        click = self.add(measured('start-up: python -c "import click"', "s", clicks))
        coach = self.add(measured("start-up: coach --help", "s", helps))
        self.add(ratio("start-up: coach --help / import click", coach, click, STARTUP_RATIO_GOAL))
        wrapper = self.add(measured("start-up: scripts/coach --help", "s", wrapped))
        # The set-up check scripts/coach runs before every command: its time over the
        # entry point's, run by run (the runs alternate, so load hits both alike).
        overhead = [w - h for w, h in zip(wrapped, helps, strict=True)]
        self.add(
            measured(
                "start-up: scripts/coach overhead",
                "s",
                overhead,
                at_most=WRAPPER_OVERHEAD_GOAL_S,
                note=f"scripts/coach minus .venv/bin/coach; median {wrapper.median:.3f} s "
                f"against {coach.median:.3f} s",
            )
        )


# --- live play --------------------------------------------------------------------------

QUICK_LIVE_ROUTINE = """
title = "Live timing"
safety = ["Only while parked."]
closing = ["Done."]

[[exercise]]
id = "tilt"
title = "Neck tilt"
instructions = ["Lower your left ear toward your shoulder, slowly and gently."]
reminder = ["Ear down."]
release = ["Slowly bring your head back to the middle."]
hold = 3
"""
ONSET_P95_GOAL_MS = 10.0
DRIFT_GOAL_MS_PER_S = 0.1
FIRST_SOUND_GOAL_MS = 500.0
STOP_GOAL_MS = 200.0
CPU_GOAL = 5.0


def bench_live(bench: Bench) -> None:
    """Live play as heard: `coach play` at a pseudo-terminal into a PulseAudio null sink,
    recorded in real time and held against `coach render` of the same session.

    Each run pauses 0.8 s into an instruction for 2 s (1 s with --quick) and goes on, then
    plays to the end or is stopped with q or Ctrl-C half a second into a phrase after the next
    hold. Onset error is each clip's place in the recording against the render, each stretch
    played without a break lined up on its own (the pause moves what follows it); drift is the
    slope of those errors over the session. First sound is from typing y (a second after the
    prompt, as a person would) to the first sound at the sink; CPU is the player process's
    share of one core while it streams a hold. --quick: one stopped run of a short session.
    """
    sys.path.insert(0, str(ROOT / "tests"))
    from support.pulse import (
        TIMING_CUT,
        TIMING_ROUTINE,
        LivePlay,
        PulseServer,
        PulseUnavailableError,
        missing_tools,
    )

    missing = missing_tools()
    if missing:
        print(f"  live: skipped, {missing}", file=sys.stderr)
        return
    folder = bench.work / "live"
    folder.mkdir()
    server = PulseServer(folder)
    try:
        server.start()
    except PulseUnavailableError as error:
        print(f"  live: skipped, {error}", file=sys.stderr)
        return
    try:
        play = LivePlay(server, folder, QUICK_LIVE_ROUTINE if bench.quick else TIMING_ROUTINE)
        stops = ["q"] if bench.quick else [None, None, "q", "ctrl-c"]
        pause_s = 1.0 if bench.quick else 2.0
        runs = [play.play(TIMING_CUT, into_s=0.8, pause_s=pause_s, stop=stop) for stop in stops]
    finally:
        server.kill()
    for heard in runs:
        if heard.timing is None or "Traceback" in heard.text:
            raise SystemExit(f"bench: live play failed:\n{heard.text[-2000:]}")
    audible = [c for c in play.timeline["clips"] if c["kind"] in ("speech", "chime")]
    session = f"{play.timeline['total_ms'] / 1000:.0f}-s session of {len(audible)} audible clips"
    for label, stop_kinds in (("to the end", (None,)), ("stopped", ("q", "ctrl-c"))):
        these = [h for h, stop in zip(runs, stops, strict=True) if stop in stop_kinds]
        if not these:
            continue
        expected = sorted({len(h.onsets) + len(h.missing) for h in these})
        due = "-".join(str(count) for count in (expected[0], expected[-1])[: len(expected)])
        bench.add(
            measured(
                f"live: onsets found, {label}", "clips", [float(len(h.onsets)) for h in these],
                note=f"{session}; of {due} due (with the repeat "
                f"after the pause, heard in {sum(h.repeated for h in these)} of {len(these)})",
            )
        )  # fmt: skip
    timings = [h.timing for h in runs if h.timing is not None]
    bench.add(measured("live: onset error p50", "ms", [t.p50 for t in timings]))
    bench.add(
        measured("live: onset error p95", "ms", [t.p95 for t in timings], at_most=ONSET_P95_GOAL_MS)
    )
    bench.add(
        measured(
            "live: onset error max", "ms", [t.max for t in timings],
            note=f"largest in any run {max(t.max for t in timings):.2f} ms",
        )
    )  # fmt: skip
    drifts = [t.drift_ms_per_s for t in timings]
    drift = statistics.median(drifts)
    bench.add(
        Row(
            "live: drift", "ms/s", drifts, min(drifts), drift,
            f"|x| <= {DRIFT_GOAL_MS_PER_S:g}", abs(drift) <= DRIFT_GOAL_MS_PER_S,
            note="slope of onset error over session time",
        )
    )  # fmt: skip
    bench.add(
        measured(
            "live: after the pause, later by", "s", [h.paused_s for h in runs],
            note=f"{pause_s:g} s paused + the 0.8 s of the instruction said again",
        )
    )  # fmt: skip
    bench.add(
        measured(
            "live: first sound after y", "ms", [h.first_sound_s * 1000 for h in runs],
            at_most=FIRST_SOUND_GOAL_MS, note="typed 1 s after the prompt showed",
        )
    )  # fmt: skip
    for how in ("q", "ctrl-c"):
        stopped = [h for h, stop in zip(runs, stops, strict=True) if stop == how]
        if not stopped:
            continue
        bench.add(
            measured(
                f"live: sound stops after {how}", "ms",
                [(h.stop_sound_s or 0) * 1000 for h in stopped], at_most=STOP_GOAL_MS,
            )
        )  # fmt: skip
        bench.add(
            measured(
                f"live: exit after {how} (info)", "ms",
                [(h.stop_exit_s or 0) * 1000 for h in stopped],
            )
        )  # fmt: skip
    bench.add(
        measured(
            "live: CPU while streaming a hold", "%", [h.cpu_in_hold * 100 for h in runs],
            at_most=CPU_GOAL, note="the player process, share of one core",
        )
    )  # fmt: skip


# --- report --------------------------------------------------------------------------------


def machine() -> dict[str, object]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = subprocess.run(
        [PYTHON, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "python": version,
        "platform": platform.platform(),
    }


def table(rows: Sequence[Row]) -> str:
    header = ("measure", "min", "median", "unit", "goal", "", "note")
    lines = [header]
    for row in rows:
        mark = {True: "ok", False: "MISSED", None: ""}[row.met]
        lines.append(
            (
                row.name,
                f"{row.low:.3f}" if row.unit != "kB/min" else f"{row.low:.1f}",
                f"{row.median:.3f}" if row.unit != "kB/min" else f"{row.median:.1f}",
                row.unit,
                row.goal,
                mark,
                row.note,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    text = []
    for number, line in enumerate(lines):
        cells = [cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True)]
        text.append("  ".join([*cells, line[-1]]).rstrip())
        if number == 0:
            text.append("-" * len(text[0]))
    return "\n".join(text)


METHOD = (
    "wall time of separate processes, interpreter start-up and imports included for product "
    "and baselines alike; peak RSS = ru_maxrss via os.wait4 in a ~10 MB launcher; "
    "floor = lameenc alone with coach.mp3 defaults and CHUNK_SAMPLES chunks, encoding the "
    "exact PCM of the same session (rendered to WAV); cold = empty phrase cache (OS file "
    "cache warm); ratios: min/min and median/median, goals judged on the median"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs: a few minutes")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results here")
    parser.add_argument(
        "--only",
        choices=["speech", "render", "memory", "startup", "live"],
        action="append",
        help="run only this part (again for more than one); default: all",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    info = machine()
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as folder:
        bench = Bench(Path(folder), quick=args.quick)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("speech", bench.speech),
            ("render", lambda: bench.render_time("5-min eSpeak", None, 5)),
            ("render", lambda: bench.render_time("full eSpeak", None, None)),
            (
                "render",
                lambda: bench.render_time("5-min natural", None, 5, NEURAL, NEURAL_COLD_RATIO_GOAL),
            ),
            (
                "render",
                lambda: bench.render_time(
                    "full natural", None, None, NEURAL, NEURAL_COLD_RATIO_GOAL
                ),
            ),
            ("memory", bench.memory),
            ("startup", bench.startup),
            ("live", lambda: bench_live(bench)),
        ]
        for part, step in steps:
            if args.only is None or part in args.only:
                step()
    elapsed = time.perf_counter() - started

    print(
        f"machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"Python {info['python']}, {info['platform']}"
    )
    print(f"mode: {'quick' if args.quick else 'full'}; {elapsed:.1f} s in all")
    print(f"method: {METHOD}")
    print()
    print(table(bench.rows))
    missed = [row.name for row in bench.rows if row.met is False]
    print()
    print("goals: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    if args.json:
        document = {
            "machine": info,
            "mode": "quick" if args.quick else "full",
            "seconds": elapsed,
            "method": METHOD,
            "results": [
                {
                    "name": row.name,
                    "unit": row.unit,
                    "min": row.low,
                    "median": row.median,
                    "runs": row.runs,
                    "goal": row.goal or None,
                    "met": row.met,
                    "note": row.note,
                }
                for row in bench.rows
            ],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
