"""The live player against its schedule: onsets, pause, skip, restart, quit, Ctrl-C, status.

Most tests run on a fake clock: `ScriptedKeys.wait()` advances it, and returns each scripted
key when its time comes, so every timing assertion is exact and a three-minute session plays
in milliseconds. The output is a RecordingOutput on the same clock, so `plays[i].at` is when
the player started clip i and `stopped_at` when it cut one short. Two tests use the real
clock: a long session compressed with `speed` (onset error and drift), and a hold at speed 1
(CPU time while waiting). TerminalKeys and StatusLine are tested against a pseudo-terminal.
"""

from __future__ import annotations

import io
import itertools
import os
import statistics
import termios
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from coach.live.outputs.null_out import Played, RecordingOutput
from coach.live.player import (
    NEXT,
    PAUSE,
    PREVIOUS,
    QUIT,
    STATUS_EVERY_S,
    NoKeys,
    Player,
    PlayReport,
)
from coach.live.status import Status, format_status, status_at
from coach.live.terminal import StatusLine, TerminalKeys
from coach.pcm import Samples
from coach.plan.session import build_session
from coach.plan.timeline import ChapterSpan, Clip, Timeline
from coach.routines import load_routine
from coach.time import SAMPLE_RATE, ms_to_samples
from support.lengths import EstimatedLengths
from support.paths import EXAMPLE

EXACT = 1e-6
"""Seconds: on the fake clock times agree to float rounding."""
ONSET_P99_MS = 20.0
"""On the real clock, 99% of clips start within this of their scheduled time."""
DRIFT_MS = 2.0
"""Mean onset error may differ by at most this between the first and last tenth of a session."""
CPU_FRACTION = 0.05
"""A player waiting through a hold uses less than this share of one CPU."""


# --- fakes ----------------------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


Script = list[tuple[float, str | BaseException]]
"""Keys (or an exception to raise from wait) at times in seconds after the start."""


class ScriptedKeys:
    """A KeySource on a fake clock: `wait(s)` moves the clock on by `s`, unless a scripted key
    falls due first, in which case the clock moves to that key's time and returns it (or
    raises it, for an exception). Times are seconds after the clock's value at creation."""

    def __init__(self, clock: FakeClock, script: Script | None = None) -> None:
        self.clock = clock
        self.start = clock.now
        self.script = sorted(script or [], key=lambda item: item[0])
        self.waits: list[float] = []

    def wait(self, seconds: float) -> str | None:
        assert seconds >= 0
        self.waits.append(seconds)
        now = self.clock.now
        if self.script and self.start + self.script[0][0] <= now + seconds:
            at, key = self.script.pop(0)
            self.clock.now = max(now, self.start + at)
            if isinstance(key, BaseException):
                raise key
            return key
        self.clock.now = now + seconds
        return None


def fake_audio(lengths: EstimatedLengths) -> Callable[[Clip], Samples]:
    """Clips as long as the timeline says, each filled with a value of its own."""
    ids: dict[tuple[str, str], int] = {}

    def audio(clip: Clip) -> Samples:
        kind, text = clip.kind, clip.text or clip.cue or ""
        ms = lengths.speech_ms(text) if kind == "speech" else lengths.cue_ms(text)
        value = ids.setdefault((kind, text), len(ids) + 1)
        return np.full(ms_to_samples(ms), value, dtype=np.int16)

    return audio


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    """The example routine in full (about three minutes): three chapters, still holds with
    a halfway mark and a countdown, counted movements."""
    return build_session(load_routine(str(EXAMPLE)), EstimatedLengths()).timeline


class Run:
    """One play of a timeline on a fake clock, and everything it left behind."""

    def __init__(
        self, timeline: Timeline, script: Script | None = None, speed: float = 1.0
    ) -> None:
        self.timeline = timeline
        self.clock = FakeClock()
        self.origin = self.clock.now
        self.keys = ScriptedKeys(self.clock, script)
        self.output = RecordingOutput(self.clock)
        self.statuses: list[Status] = []
        self.audio = fake_audio(EstimatedLengths())
        self.player = Player(
            timeline,
            self.audio,
            self.output,
            keys=self.keys,
            clock=self.clock,
            show=self.statuses.append,
            speed=speed,
        )
        self.report: PlayReport | None = None

    def play(self) -> PlayReport:
        self.report = self.player.run()
        return self.report

    @property
    def clips(self) -> list[Clip]:
        """The timeline clips started, in order."""
        assert self.report is not None
        return [onset.clip for onset in self.report.onsets]

    @property
    def plays(self) -> list[Played]:
        return self.output.plays

    def at(self, seconds: float) -> float:
        """Clock time `seconds` after the start."""
        return self.origin + seconds

    def elapsed(self) -> float:
        return self.clock.now - self.origin


def audible(timeline: Timeline) -> list[Clip]:
    return timeline.audible_clips()


def first_clip(timeline: Timeline, test: Callable[[Clip], bool]) -> Clip:
    return next(clip for clip in timeline.clips if test(clip))


def inside_hold(timeline: Timeline, clip: Clip) -> bool:
    return any(
        other.kind == "hold" and other.start_ms <= clip.start_ms < other.end_ms
        for other in timeline.clips
    )


def s(ms: int) -> float:
    return ms / 1000


# --- on schedule ----------------------------------------------------------------------------------


def test_every_clip_starts_exactly_on_schedule(timeline: Timeline) -> None:
    run = Run(timeline)
    report = run.play()
    assert report.finished and not report.quit
    assert run.clips == audible(timeline)
    for clip, played in zip(run.clips, run.plays, strict=True):
        assert played.at == pytest.approx(run.at(s(clip.start_ms)), abs=EXACT)
        assert np.array_equal(played.samples, run.audio(clip))
        assert played.rate == SAMPLE_RATE
        assert played.stopped_at is None  # nothing cut short on an undisturbed play
    assert max(abs(onset.error_ms) for onset in report.onsets) < 1e-3
    assert run.elapsed() == pytest.approx(s(timeline.total_ms), abs=EXACT)
    assert run.statuses[-1].finished


def test_the_player_sleeps_between_clips_in_slices_for_the_status_line(
    timeline: Timeline,
) -> None:
    run = Run(timeline)
    run.play()
    assert max(run.keys.waits) <= STATUS_EVERY_S
    # One wait per status slice or clip, not a busy loop: a few per second of session.
    slices = s(timeline.total_ms) / STATUS_EVERY_S
    assert len(run.keys.waits) < slices + 2 * len(audible(timeline))


def test_speed_compresses_the_schedule(timeline: Timeline) -> None:
    run = Run(timeline, speed=8.0)
    run.play()
    for clip, played in zip(audible(timeline), run.plays, strict=True):
        assert played.at == pytest.approx(run.at(s(clip.start_ms) / 8), abs=EXACT)
    assert run.elapsed() == pytest.approx(s(timeline.total_ms) / 8, abs=EXACT)


def test_no_keys_just_sleeps() -> None:
    slept: list[float] = []
    keys = NoKeys(sleep=slept.append)
    assert keys.wait(0.5) is None
    assert keys.wait(0) is None
    assert keys.wait(-0.1) is None
    assert slept == [0.5]


def test_player_with_no_keys_plays_on_schedule(timeline: Timeline) -> None:
    clock = FakeClock()
    origin = clock.now

    def sleep(seconds: float) -> None:
        clock.now += seconds

    output = RecordingOutput(clock)
    report = Player(
        timeline, fake_audio(EstimatedLengths()), output, keys=NoKeys(sleep), clock=clock
    ).run()
    assert report.finished
    starts = [played.at - origin for played in output.plays]
    assert starts == pytest.approx([s(clip.start_ms) for clip in audible(timeline)], abs=EXACT)
    assert clock.now - origin == pytest.approx(s(timeline.total_ms), abs=EXACT)


# --- pause ----------------------------------------------------------------------------------------


def test_pause_in_silence_freezes_the_timeline(timeline: Timeline) -> None:
    gap = first_clip(timeline, lambda c: c.kind == "rest" and c.length_ms >= 700)
    pause_at = s(gap.start_ms) + 0.4
    paused_for = 5.0
    run = Run(timeline, [(pause_at, PAUSE), (pause_at + paused_for, PAUSE)])
    run.play()
    assert run.clips == audible(timeline)  # nothing repeated, nothing skipped
    assert all(played.stopped_at is None for played in run.plays)
    for clip, played in zip(run.clips, run.plays, strict=True):
        shift = paused_for if clip.start_ms >= gap.end_ms else 0.0
        assert played.at == pytest.approx(run.at(s(clip.start_ms) + shift), abs=EXACT)
    assert run.elapsed() == pytest.approx(s(timeline.total_ms) + paused_for, abs=EXACT)


def test_pause_during_an_instruction_repeats_it_on_resume(timeline: Timeline) -> None:
    said = first_clip(
        timeline,
        lambda c: c.kind == "speech" and c.length_ms >= 2000 and not inside_hold(timeline, c),
    )
    into = 0.7
    pause_at = s(said.start_ms) + into
    paused_for = 3.0
    run = Run(timeline, [(pause_at, PAUSE), (pause_at + paused_for, PAUSE)])
    run.play()
    index = audible(timeline).index(said)
    expected = audible(timeline)
    assert run.clips == [*expected[: index + 1], said, *expected[index + 1 :]]
    cut, again = run.plays[index], run.plays[index + 1]
    assert cut.stopped_at == pytest.approx(run.at(pause_at), abs=EXACT)
    assert again.at == pytest.approx(run.at(pause_at + paused_for), abs=EXACT)
    assert np.array_equal(cut.samples, again.samples)  # the same clip, from its start
    # Everything after it moves by the pause plus the part of the instruction heard twice.
    for clip, played in zip(expected[index + 1 :], run.plays[index + 2 :], strict=True):
        assert played.at == pytest.approx(run.at(s(clip.start_ms) + paused_for + into), abs=EXACT)
    assert run.statuses[-1].finished
    paused = [status for status in run.statuses if status.paused]
    assert len(paused) == 1 and paused[0].exercise == said.exercise


def test_pause_inside_a_hold_keeps_the_time_that_was_left(timeline: Timeline) -> None:
    hold = first_clip(timeline, lambda c: c.kind == "hold" and not c.counted)
    chime = first_clip(timeline, lambda c: c.kind == "chime" and c.start_ms == hold.end_ms)
    into = 1.5  # before the first word inside the hold: nothing is sounding
    assert not any(
        hold.start_ms <= c.start_ms <= hold.start_ms + into * 1000 for c in audible(timeline)
    )
    pause_at = s(hold.start_ms) + into
    paused_for = 4.0
    run = Run(timeline, [(pause_at, PAUSE), (pause_at + paused_for, PAUSE)])
    run.play()
    assert run.clips == audible(timeline)
    started = {id(clip): played.at for clip, played in zip(run.clips, run.plays, strict=True)}
    # The hold, from its start to the chime that ends it, lasts its length plus the pause.
    assert started[id(chime)] - run.at(s(hold.start_ms)) == pytest.approx(
        s(hold.length_ms) + paused_for, abs=EXACT
    )
    (paused,) = [status for status in run.statuses if status.paused]
    assert paused.hold_left_ms == hold.length_ms - round(into * 1000)
    assert paused.step == hold.step
    assert "PAUSED" in format_status(paused)
    assert f"hold {-(-paused.hold_left_ms // 1000)} s" in format_status(paused)


def test_pause_on_a_word_inside_a_hold_does_not_lengthen_the_hold(timeline: Timeline) -> None:
    hold = first_clip(timeline, lambda c: c.kind == "hold" and not c.counted)
    words = [c for c in audible(timeline) if hold.start_ms <= c.start_ms < hold.end_ms]
    word = words[0]  # "Five seconds left."
    pause_at = s(word.start_ms) + 0.3
    paused_for = 2.0
    run = Run(timeline, [(pause_at, PAUSE), (pause_at + paused_for, PAUSE)])
    run.play()
    assert run.clips == audible(timeline)  # the word is cut, not said again
    index = audible(timeline).index(word)
    assert run.plays[index].stopped_at == pytest.approx(run.at(pause_at), abs=EXACT)
    for clip, played in zip(audible(timeline)[index + 1 :], run.plays[index + 1 :], strict=True):
        assert played.at == pytest.approx(run.at(s(clip.start_ms) + paused_for), abs=EXACT)


def test_quit_while_paused(timeline: Timeline) -> None:
    run = Run(timeline, [(20.0, PAUSE), (30.0, QUIT)])
    report = run.play()
    assert report.quit and not report.finished
    assert run.elapsed() == pytest.approx(30.0, abs=EXACT)
    assert all(played.at <= run.at(20.0) for played in run.plays)


def test_other_keys_change_nothing(timeline: Timeline) -> None:
    run = Run(timeline, [(3.0, "x"), (10.0, "\n"), (30.5, "?")])
    report = run.play()
    assert report.finished
    assert [played.at - run.origin for played in run.plays] == pytest.approx(
        [s(clip.start_ms) for clip in audible(timeline)], abs=EXACT
    )


# --- next, previous, quit -------------------------------------------------------------------------


def test_next_goes_to_the_next_exercise_chime(timeline: Timeline) -> None:
    neck = timeline.chapters[1]
    said = first_clip(timeline, lambda c: c.kind == "speech" and c.length_ms >= 2000)
    press = s(said.start_ms) + 1.0  # in the middle of the opening's first long phrase
    run = Run(timeline, [(press, NEXT)])
    run.play()
    index = audible(timeline).index(said)
    assert run.plays[index].stopped_at == pytest.approx(run.at(press), abs=EXACT)
    chime = run.clips[index + 1]
    assert (chime.kind, chime.cue, chime.start_ms) == ("chime", "exercise", neck.start_ms)
    assert run.plays[index + 1].at == pytest.approx(run.at(press), abs=EXACT)
    # From there on, the rest of the session in order, on the new schedule.
    rest = [c for c in audible(timeline) if c.start_ms >= neck.start_ms]
    assert run.clips[index + 1 :] == rest
    for clip, played in zip(rest, run.plays[index + 1 :], strict=True):
        assert played.at == pytest.approx(run.at(press + s(clip.start_ms - neck.start_ms)))
    assert run.report is not None and run.report.finished


def test_next_twice_skips_two_exercises(timeline: Timeline) -> None:
    _, neck, rolls, _ = timeline.chapters
    run = Run(timeline, [(2.0, NEXT), (3.0, NEXT)])
    run.play()
    chimes = [
        (c.start_ms, played.at)
        for c, played in zip(run.clips, run.plays, strict=True)
        if c.cue == "exercise"
    ]
    assert [start for start, _ in chimes] == [neck.start_ms, rolls.start_ms]
    assert [at for _, at in chimes] == pytest.approx([run.at(2.0), run.at(3.0)], abs=EXACT)


def test_next_in_the_last_exercise_goes_to_the_closing(timeline: Timeline) -> None:
    rolls, closing = timeline.chapters[-2:]
    press = s(rolls.start_ms) + 5.0
    run = Run(timeline, [(press, NEXT)])
    run.play()
    played = list(zip(run.clips, run.plays, strict=True))
    before = [c for c, play in played if play.at < run.at(press) - EXACT]
    after = [(c, play) for c, play in played if play.at >= run.at(press) - EXACT]
    assert before and all(c.start_ms < closing.start_ms for c in before)
    assert after and after[0][0].start_ms == closing.start_ms  # the closing words, at once
    assert after[0][1].at == pytest.approx(run.at(press), abs=EXACT)
    assert after[-1][0].cue == "session-end"


def test_previous_restarts_the_current_exercise(timeline: Timeline) -> None:
    neck = timeline.chapters[1]
    press = s(neck.start_ms) + 20.0
    run = Run(timeline, [(press, PREVIOUS)])
    run.play()
    before = [c for c in audible(timeline) if c.start_ms <= neck.start_ms + 20_000]
    assert run.clips[: len(before)] == before
    restarted = run.clips[len(before)]
    assert (restarted.cue, restarted.start_ms) == ("exercise", neck.start_ms)
    assert run.plays[len(before)].at == pytest.approx(run.at(press), abs=EXACT)
    assert run.clips[len(before) :] == [c for c in audible(timeline) if c.start_ms >= neck.start_ms]
    assert run.elapsed() == pytest.approx(press + s(timeline.total_ms - neck.start_ms), abs=EXACT)


def test_previous_stops_what_is_sounding(timeline: Timeline) -> None:
    neck = timeline.chapters[1]
    said = first_clip(
        timeline,
        lambda c: c.kind == "speech" and c.start_ms > neck.start_ms and c.length_ms >= 2000,
    )
    press = s(said.start_ms) + 0.5
    run = Run(timeline, [(press, PREVIOUS)])
    run.play()
    index = audible(timeline).index(said)
    assert run.plays[index].stopped_at == pytest.approx(run.at(press), abs=EXACT)
    assert run.clips[index + 1].start_ms == neck.start_ms


def test_quit_stops_the_sound_and_ends_with_quit(timeline: Timeline) -> None:
    said = first_clip(timeline, lambda c: c.kind == "speech" and c.length_ms >= 2000)
    press = s(said.start_ms) + 1.0
    run = Run(timeline, [(press, QUIT)])
    report = run.play()
    assert report.quit and not report.finished
    assert run.clips[-1] == said
    assert run.plays[-1].stopped_at == pytest.approx(run.at(press), abs=EXACT)
    assert run.elapsed() == pytest.approx(press, abs=EXACT)


def test_ctrl_c_stops_the_sound_and_propagates(timeline: Timeline) -> None:
    said = first_clip(timeline, lambda c: c.kind == "speech" and c.length_ms >= 2000)
    press = s(said.start_ms) + 1.0
    run = Run(timeline, [(press, KeyboardInterrupt())])
    with pytest.raises(KeyboardInterrupt):
        run.play()
    assert run.plays[-1].stopped_at == pytest.approx(run.at(press), abs=EXACT)
    assert len(run.plays) == audible(timeline).index(said) + 1


def test_ctrl_c_while_paused_propagates(timeline: Timeline) -> None:
    run = Run(timeline, [(1.0, PAUSE), (2.0, KeyboardInterrupt())])
    with pytest.raises(KeyboardInterrupt):
        run.play()
    assert run.plays[0].stopped_at == pytest.approx(run.at(1.0), abs=EXACT)


# --- status ---------------------------------------------------------------------------------------


def test_status_at_the_start_in_a_hold_and_at_the_end(timeline: Timeline) -> None:
    start = status_at(timeline, 0)
    assert start == Status(None, "", None, timeline.total_ms)
    hold = first_clip(timeline, lambda c: c.kind == "hold")
    inside = status_at(timeline, hold.start_ms + 2_500)
    assert inside.exercise == "Neck tilt"
    assert inside.step == "left side, 1 of 2"
    assert inside.hold_left_ms == hold.length_ms - 2_500
    assert inside.session_left_ms == timeline.total_ms - hold.start_ms - 2_500
    after = status_at(timeline, hold.end_ms)
    assert after.hold_left_ms is None
    end = status_at(timeline, timeline.total_ms, finished=True)
    assert end.session_left_ms == 0 and end.finished


def test_format_status() -> None:
    assert (
        format_status(Status("Overhead stretch", "2 of 4", 12_000, 400_000))
        == "Overhead stretch  |  2 of 4  |  hold 12 s  |  6:40 left"
    )
    assert "hold 12 s" in format_status(Status("A", "", 11_001, 1_000))  # rounds up
    assert "hold 11 s" in format_status(Status("A", "", 11_000, 1_000))
    assert format_status(Status(None, "", None, 65_000)) == "Getting ready  |  1:05 left"
    paused = format_status(Status("Neck tilt", "", None, 65_000, paused=True))
    assert paused.startswith("Neck tilt  |  1:05 left") and "PAUSED" in paused
    assert "space" in paused and "q" in paused
    finished = format_status(Status(None, "", None, 0, finished=True))
    assert finished == "Session complete. Well done."


def test_status_line_counts_down_through_a_hold(timeline: Timeline) -> None:
    run = Run(timeline)
    run.play()
    hold = first_clip(timeline, lambda c: c.kind == "hold")
    in_hold = [
        st
        for st in run.statuses
        if hold.start_ms <= timeline.total_ms - st.session_left_ms < hold.end_ms
    ]
    assert len(in_hold) >= s(hold.length_ms) / STATUS_EVERY_S
    for st in in_hold:
        position = timeline.total_ms - st.session_left_ms
        assert st.hold_left_ms == hold.end_ms - position
        assert st.step == hold.step
    exercises = {st.exercise for st in run.statuses}
    assert exercises == {None, "Neck tilt", "Shoulder rolls"}
    # Refreshed at least every STATUS_EVERY_S of session time while waiting.
    lefts_session = [st.session_left_ms for st in run.statuses]
    gaps = [a - b for a, b in itertools.pairwise(lefts_session)]
    assert max(gaps) <= STATUS_EVERY_S * 1000 + 1
    assert run.statuses[-1] == Status(
        run.statuses[-1].exercise, run.statuses[-1].step, None, 0, finished=True
    )


# --- on the real clock ----------------------------------------------------------------------------


def test_long_session_compressed_onsets_on_time_without_drift(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The rest-stop session (11 minutes, 227 clips) at 200x speed on the real clock."""
    speed = 200.0
    timeline = build_session(load_routine("rest-stop"), EstimatedLengths()).timeline
    clips = audible(timeline)
    short = np.full(ms_to_samples(10), 1000, dtype=np.int16)
    output = RecordingOutput()
    player = Player(timeline, lambda clip: short, output, keys=NoKeys(), speed=speed)
    before = time.monotonic()
    report = player.run()
    after = time.monotonic()
    assert report.finished
    assert len(output.plays) == len(clips)
    origin = report.onsets[0].due - s(clips[0].start_ms) / speed
    assert before <= origin < before + 0.005
    errors_ms = [
        (played.at - (origin + s(clip.start_ms) / speed)) * 1000
        for clip, played in zip(clips, output.plays, strict=True)
    ]
    assert min(errors_ms) >= 0  # never early
    p50 = statistics.median(errors_ms)
    p99 = float(np.percentile(errors_ms, 99))
    tenth = len(errors_ms) // 10
    first, last = statistics.mean(errors_ms[:tenth]), statistics.mean(errors_ms[-tenth:])
    with capsys.disabled():
        print(
            f"\n[onsets at {speed:g}x: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
            f"max {max(errors_ms):.2f} ms; first tenth {first:.2f} ms, last tenth {last:.2f} ms; "
            f"elapsed {after - before:.3f} s for {s(timeline.total_ms) / speed:.3f} s]"
        )
    assert p99 < ONSET_P99_MS
    assert last - first < DRIFT_MS
    assert after - before == pytest.approx(s(timeline.total_ms) / speed, abs=0.02)


def test_a_hold_costs_next_to_no_cpu(capsys: pytest.CaptureFixture[str]) -> None:
    """A player waiting through a 2 s hold at speed 1, refreshing its status line."""
    hold_ms = 2_000
    clips = (
        Clip(0, 100, "speech", "Hold.", "neck", "Neck", "1 of 1"),
        Clip(100, 100 + hold_ms, "hold", None, "neck", "Neck", "1 of 1"),
        Clip(100 + hold_ms, 200 + hold_ms, "chime", "hold-end", "neck", "Neck", "1 of 1"),
    )
    total = 200 + hold_ms
    timeline = Timeline("Hold", clips, (ChapterSpan("Neck", "neck", 0, total),), total)
    statuses: list[Status] = []
    short = np.zeros(ms_to_samples(100), dtype=np.int16)
    player = Player(timeline, lambda clip: short, RecordingOutput(), show=statuses.append)
    cpu, wall = time.process_time(), time.monotonic()
    report = player.run()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    assert report.finished
    assert wall == pytest.approx(s(total), abs=0.05)
    assert len(statuses) >= s(hold_ms) / STATUS_EVERY_S  # it did wake for the status line
    with capsys.disabled():
        print(f"\n[hold: {cpu * 1000:.1f} ms CPU in {wall:.2f} s wall = {cpu / wall:.2%}]")
    assert cpu / wall < CPU_FRACTION


# --- the terminal ---------------------------------------------------------------------------------


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, int]]:
    master, slave = os.openpty()
    yield master, slave
    os.close(master)
    os.close(slave)


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


class TtyBuffer(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_line_rewrites_one_line_on_a_terminal() -> None:
    stream = TtyBuffer()
    line = StatusLine(stream)
    first = Status("Neck tilt", "left side, 1 of 2", 8_000, 60_000)
    line(first)
    line(first)  # unchanged: not written again
    line(Status("Neck tilt", "left side, 1 of 2", 7_000, 59_000))
    line.close()
    assert stream.getvalue() == (
        f"\r\x1b[2K\x1b[1m{format_status(first)}\x1b[0m"
        "\r\x1b[2K\x1b[1mNeck tilt  |  left side, 1 of 2  |  hold 7 s  |  0:59 left\x1b[0m"
        "\n"
    )


def test_status_line_prints_nothing_off_a_terminal() -> None:
    stream = io.StringIO()
    line = StatusLine(stream)
    line(Status("Neck tilt", "", None, 60_000))
    line.close()
    assert stream.getvalue() == ""
