"""The live player, heard through a recording device: pause, next, back, quit, Ctrl-C, Ctrl-Z
and a device that goes away, checked against the render's own samples.

Most tests run on device time: `RecordingOutput` pulls a period at a time only when the fake
key source's `wait()` lets time pass, and keeps every sample, so a three-minute session plays
in milliseconds and what "the speakers heard" is compared with `assemble_chunks` (what the
renderer writes) sample for sample. Two tests use the real clock: a hold at speed 1 (CPU time
while waiting) and a long session through the null device, sped up.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

from coach.errors import CoachError
from coach.live.outputs.null_out import NullOutput
from coach.live.player import (
    CONTINUED,
    NEXT,
    PAUSE,
    PREVIOUS,
    QUIT,
    RESTART_GRACE_MS,
    STATUS_EVERY_S,
    SUSPEND,
    Player,
    PlayReport,
)
from coach.live.stream import FADE_MS, LEAD_IN_MS
from coach.live.types import ControlEvent, SampleSource, Status
from coach.pcm import Samples
from coach.plan.routine import Routine
from coach.plan.session import build_session
from coach.plan.timeline import ChapterSpan, ChimeClip, Clip, SpanClip, SpeechClip, Timeline
from coach.routines import load_routine
from coach.sound.assembly import assemble_chunks
from coach.time import SAMPLE_RATE, ms_to_samples
from support.device_time import Screen, Script, ScriptedKeys
from support.lengths import EstimatedLengths
from support.paths import EXAMPLE
from support.recording_output import RecordingOutput
from support.sounds import ramp_audio
from support.timelines import text_of, without_closing_chapter

PERIOD = 220
"""Frames the recording device pulls at a time (10 ms)."""
FADE = ms_to_samples(FADE_MS)
LEAD_IN = ms_to_samples(LEAD_IN_MS)
CPU_FRACTION = 0.05
"""A player waiting through a hold uses less than this share of one CPU."""


@pytest.fixture(scope="module")
def routine() -> Routine:
    return load_routine(str(EXAMPLE))


@pytest.fixture(scope="module")
def timeline(routine: Routine) -> Timeline:
    """The example routine in full (about three minutes): the opening, two exercises, still
    holds with a halfway mark and a countdown, counted movements, and the closing."""
    return build_session(routine, EstimatedLengths()).timeline


class Run:
    """One play of a timeline on device time, and everything it left behind."""

    def __init__(
        self,
        timeline: Timeline,
        script: Script | None = None,
        *,
        closing_lines: int = 1,
        interactive: bool = True,
    ) -> None:
        self.timeline = timeline
        self.audio = ramp_audio(EstimatedLengths())
        self.output = RecordingOutput(PERIOD)
        self.keys = ScriptedKeys(self.output, script)
        self.screen = Screen(self.keys)
        self.events: list[ControlEvent] = []
        self.player = Player(
            timeline,
            self.audio,
            self.output,
            keys=self.keys if interactive else None,
            display=self.screen,
            closing_lines=closing_lines,
            sleep=self.keys.pass_time,
            on_event=self.events.append,
        )
        self.whole = np.concatenate(list(assemble_chunks(timeline, self.audio)))
        self.report: PlayReport | None = None

    def play(self) -> PlayReport:
        self.report = self.player.run()
        return self.report

    @property
    def heard(self) -> Samples:
        return self.output.recorded()


def frame_at(seconds: float) -> int:
    """The device frame at which a key pressed `seconds` into the play lands (whole periods)."""
    return round(seconds * SAMPLE_RATE) // PERIOD * PERIOD


def sample(ms: int) -> int:
    return ms_to_samples(ms)


def first_clip(timeline: Timeline, test: Callable[[Clip], bool]) -> Clip:
    return next(clip for clip in timeline.clips if test(clip))


def inside_hold(timeline: Timeline, clip: Clip) -> bool:
    return any(
        other.kind == "hold" and other.start_ms <= clip.start_ms < other.end_ms
        for other in timeline.clips
    )


def long_instruction(timeline: Timeline, after_ms: int = 0) -> Clip:
    return first_clip(
        timeline,
        lambda c: (
            c.kind == "speech"
            and c.length_ms >= 2000
            and c.start_ms >= after_ms
            and not inside_hold(timeline, c)
        ),
    )


def assert_faded(heard: Samples, original: Samples) -> None:
    """`heard` is `original` fading out: never louder, and near silence at its end."""
    assert len(heard) == len(original) == FADE
    assert np.all(np.abs(heard.astype(int)) <= np.abs(original.astype(int)))
    assert abs(int(heard[-1])) < 0.25 * abs(int(original[-1]))


# --- undisturbed ----------------------------------------------------------------------------------


def test_the_speakers_hear_the_render_after_the_lead_in(timeline: Timeline) -> None:
    run = Run(timeline)
    report = run.play()
    assert report.finished and not run.events
    heard = run.heard
    assert not heard[:LEAD_IN].any()
    assert np.array_equal(heard[LEAD_IN:], run.whole)  # every sample, silence included
    assert run.output.starts == 1
    # Over when the device has played the last frame, noticed at the player's next look.
    over = run.keys.now - (LEAD_IN + len(run.whole)) / SAMPLE_RATE
    assert 0 <= over <= STATUS_EVERY_S + 0.011
    assert run.screen.clears  # the status line is gone at the end


def test_the_status_line_follows_the_frames_played(timeline: Timeline) -> None:
    run = Run(timeline)
    run.play()
    playing = [(at, st) for at, st in run.screen.statuses if at * SAMPLE_RATE >= LEAD_IN]
    assert len(playing) >= timeline.total_ms / 1000 / STATUS_EVERY_S - 2
    for at, status in playing:
        heard_ms = (frame_at(at) - LEAD_IN) * 1000 / SAMPLE_RATE
        assert status.session_left_ms == pytest.approx(timeline.total_ms - heard_ms, abs=1)
    titles = list(dict.fromkeys(st.chapter for _, st in run.screen.statuses))
    assert titles == [chapter.title for chapter in timeline.chapters]  # the MP3's chapters
    opening, closing = titles[0], titles[-1]
    numbers = {(st.chapter, st.exercise, st.exercises) for _, st in run.screen.statuses}
    assert numbers == {
        (opening, None, 2),
        ("Neck tilt", 1, 2),
        ("Shoulder rolls", 2, 2),
        (closing, None, 2),
    }
    hold = first_clip(timeline, lambda c: c.kind == "hold" and not c.counted)
    in_hold = [st for _, st in playing if st.hold_left_ms is not None and st.step == hold.step]
    assert len(in_hold) >= hold.length_ms / 1000 / STATUS_EVERY_S - 1


def test_the_player_sleeps_in_slices_for_the_status_line(timeline: Timeline) -> None:
    run = Run(timeline)
    run.play()
    assert max(run.keys.waits) <= STATUS_EVERY_S
    # One wait per status slice, not a busy loop.
    assert len(run.keys.waits) <= run.keys.now / STATUS_EVERY_S + 2


def test_without_keys_it_plays_to_the_end(timeline: Timeline) -> None:
    run = Run(timeline, interactive=False)
    report = run.play()
    assert report.finished
    assert np.array_equal(run.heard[LEAD_IN:], run.whole)


def test_other_keys_change_nothing(timeline: Timeline) -> None:
    run = Run(timeline, [(3.0, "x"), (10.0, "\n"), (30.5, "?")])
    assert run.play().finished
    assert np.array_equal(run.heard[LEAD_IN:], run.whole)


# --- pause ----------------------------------------------------------------------------------------


def test_pause_in_silence_stands_still_and_goes_on_from_there(timeline: Timeline) -> None:
    gap = first_clip(timeline, lambda c: c.kind == "rest" and c.length_ms >= 500)
    pause_at = (LEAD_IN + sample(gap.start_ms)) / SAMPLE_RATE + 0.25
    run = Run(timeline, [(pause_at, PAUSE), (pause_at + 5.0, PAUSE)])
    report = run.play()
    assert report.finished and run.screen.pauses() == 1
    k1, k2 = frame_at(pause_at), frame_at(pause_at + 5.0)
    stopped = k1 - LEAD_IN
    heard = run.heard
    assert np.array_equal(heard[LEAD_IN:k1], run.whole[:stopped])
    assert not heard[k1:k2].any()  # five seconds of silence...
    assert np.array_equal(heard[k2:], run.whole[stopped:])  # ...then on from the same sample
    paused = [st for _, st in run.screen.statuses if st.paused]
    assert paused
    assert {st.session_left_ms for st in paused} == {
        timeline.total_ms - round(stopped * 1000 / SAMPLE_RATE + 0.4999)
    }


def test_pause_during_an_instruction_says_it_again_from_its_start(timeline: Timeline) -> None:
    said = long_instruction(timeline)
    pause_at = (LEAD_IN + sample(said.start_ms)) / SAMPLE_RATE + 0.7
    run = Run(timeline, [(pause_at, PAUSE), (pause_at + 3.0, PAUSE)])
    run.play()
    k1, k2 = frame_at(pause_at), frame_at(pause_at + 3.0)
    stopped = k1 - LEAD_IN
    heard = run.heard
    assert np.array_equal(heard[LEAD_IN:k1], run.whole[:stopped])
    assert_faded(heard[k1 : k1 + FADE], run.whole[stopped : stopped + FADE])
    assert not heard[k1 + FADE : k2].any()
    assert np.array_equal(heard[k2:], run.whole[sample(said.start_ms) :])
    paused = [st for _, st in run.screen.statuses if st.paused]
    assert paused and {st.chapter for st in paused} == {timeline.chapters[0].title}


def test_pause_inside_a_hold_keeps_the_time_that_was_left(timeline: Timeline) -> None:
    hold = first_clip(timeline, lambda c: c.kind == "hold" and not c.counted)
    into = 1.5  # before the first word inside the hold: nothing is sounding
    assert not any(
        hold.start_ms <= c.start_ms <= hold.start_ms + into * 1000 for c in timeline.audible_clips()
    )
    pause_at = (LEAD_IN + sample(hold.start_ms)) / SAMPLE_RATE + into
    run = Run(timeline, [(pause_at, PAUSE), (pause_at + 4.0, PAUSE)])
    run.play()
    k1, k2 = frame_at(pause_at), frame_at(pause_at + 4.0)
    stopped = k1 - LEAD_IN
    assert np.array_equal(run.heard[k2:], run.whole[stopped:])
    # Held for as long as planned: what was left of the hold is all heard after the pause.
    (paused, *_) = [st for _, st in run.screen.statuses if st.paused]
    left_ms = hold.end_ms - stopped * 1000 / SAMPLE_RATE
    assert paused.hold_left_ms == pytest.approx(left_ms, abs=1)
    assert paused.step == hold.step


def test_pause_on_a_word_inside_a_hold_says_the_word_again(timeline: Timeline) -> None:
    hold = first_clip(timeline, lambda c: c.kind == "hold" and not c.counted)
    word = next(c for c in timeline.audible_clips() if hold.start_ms <= c.start_ms < hold.end_ms)
    pause_at = (LEAD_IN + sample(word.start_ms)) / SAMPLE_RATE + 0.3
    run = Run(timeline, [(pause_at, PAUSE), (pause_at + 2.0, PAUSE)])
    run.play()
    k2 = frame_at(pause_at + 2.0)
    # "Five seconds left." is heard whole, and it is true again: the hold's end follows it
    # exactly as planned.
    assert np.array_equal(run.heard[k2:], run.whole[sample(word.start_ms) :])


def test_quit_while_paused(timeline: Timeline) -> None:
    run = Run(timeline, [(20.0, PAUSE), (30.0, QUIT)])
    report = run.play()
    assert not report.finished and run.events[-1].what == "stop"
    assert run.keys.now == pytest.approx(30.0, abs=0.011)
    assert not run.heard[frame_at(20.0) + FADE :].any()


# --- next, previous, quit -------------------------------------------------------------------------


def test_next_fades_out_and_goes_to_the_next_exercise(timeline: Timeline) -> None:
    said = long_instruction(timeline)
    press = (LEAD_IN + sample(said.start_ms)) / SAMPLE_RATE + 1.0
    run = Run(timeline, [(press, NEXT)])
    assert run.play().finished
    k = frame_at(press)
    neck = sample(timeline.chapters[1].start_ms)
    heard = run.heard
    assert_faded(heard[k : k + FADE], run.whole[k - LEAD_IN : k - LEAD_IN + FADE])
    assert np.array_equal(heard[k + FADE :], run.whole[neck:])


def test_next_twice_skips_two_sections(timeline: Timeline) -> None:
    run = Run(timeline, [(2.0, NEXT), (3.0, NEXT)])
    run.play()
    rolls = sample(timeline.chapters[2].start_ms)
    k = frame_at(3.0)
    assert np.array_equal(run.heard[k + FADE :], run.whole[rolls:])


def test_next_in_the_last_exercise_goes_to_the_closing(
    routine: Routine, timeline: Timeline
) -> None:
    rolls = [chapter for chapter in timeline.chapters if chapter.exercise_id][-1]
    press = (LEAD_IN + sample(rolls.start_ms)) / SAMPLE_RATE + 5.0
    run = Run(timeline, [(press, NEXT)], closing_lines=len(routine.closing))
    report = run.play()
    assert report.finished
    closing = first_clip(timeline, lambda c: text_of(c) == routine.closing[0])
    k = frame_at(press)
    # The closing words and the final chime, all of them, to the session's last sample.
    assert np.array_equal(run.heard[k + FADE :], run.whole[sample(closing.start_ms) :])
    assert any(st.chapter == timeline.chapters[-1].title for _, st in run.screen.statuses)


def test_next_goes_to_closing_words_that_have_no_chapter_of_their_own(
    routine: Routine, timeline: Timeline
) -> None:
    merged = without_closing_chapter(timeline)
    rolls = merged.chapters[-1]
    press = (LEAD_IN + sample(rolls.start_ms)) / SAMPLE_RATE + 5.0
    run = Run(merged, [(press, NEXT)], closing_lines=len(routine.closing))
    assert run.play().finished
    closing = first_clip(merged, lambda c: text_of(c) == routine.closing[0])
    assert np.array_equal(
        run.heard[frame_at(press) + FADE :], run.whole[sample(closing.start_ms) :]
    )
    assert any(st.step == "closing" for _, st in run.screen.statuses)


def test_next_in_the_closing_ends_the_session(routine: Routine, timeline: Timeline) -> None:
    closing = first_clip(timeline, lambda c: text_of(c) == routine.closing[0])
    press = (LEAD_IN + sample(closing.start_ms)) / SAMPLE_RATE + 0.5
    run = Run(timeline, [(press, NEXT)], closing_lines=len(routine.closing))
    report = run.play()
    assert report.finished
    assert len(run.heard) == frame_at(press) + FADE


def test_previous_restarts_the_current_exercise(timeline: Timeline) -> None:
    neck = timeline.chapters[1]
    press = (LEAD_IN + sample(neck.start_ms)) / SAMPLE_RATE + 20.0
    run = Run(timeline, [(press, PREVIOUS)])
    assert run.play().finished
    k = frame_at(press)
    assert np.array_equal(run.heard[LEAD_IN:k], run.whole[: k - LEAD_IN])
    assert np.array_equal(run.heard[k + FADE :], run.whole[sample(neck.start_ms) :])


def test_previous_twice_goes_to_the_exercise_before(timeline: Timeline) -> None:
    neck, rolls = timeline.chapters[1], timeline.chapters[2]
    press = (LEAD_IN + sample(rolls.start_ms)) / SAMPLE_RATE + 20.0
    again = press + RESTART_GRACE_MS / 1000 - 1.0  # within a few seconds of the first
    run = Run(timeline, [(press, PREVIOUS), (again, PREVIOUS)])
    run.play()
    k1, k2 = frame_at(press), frame_at(again)
    heard = run.heard
    assert np.array_equal(
        heard[k1 + FADE : k2], run.whole[sample(rolls.start_ms) :][: k2 - k1 - FADE]
    )
    assert np.array_equal(heard[k2 + FADE :], run.whole[sample(neck.start_ms) :])
    shown = [st.chapter for at, st in run.screen.statuses if at > again + 0.1]
    assert shown[0] == "Neck tilt"


def test_previous_late_in_an_exercise_twice_restarts_it_twice(timeline: Timeline) -> None:
    rolls = timeline.chapters[2]
    press = (LEAD_IN + sample(rolls.start_ms)) / SAMPLE_RATE + 20.0
    again = press + RESTART_GRACE_MS / 1000 + 1.0  # well after the restart
    run = Run(timeline, [(press, PREVIOUS), (again, PREVIOUS)])
    run.play()
    assert np.array_equal(run.heard[frame_at(again) + FADE :], run.whole[sample(rolls.start_ms) :])


def test_previous_in_the_opening_starts_it_again(timeline: Timeline) -> None:
    run = Run(timeline, [(1.0, PREVIOUS)])
    run.play()
    assert np.array_equal(run.heard[frame_at(1.0) + FADE :], run.whole)


def test_keys_while_paused_move_where_it_goes_on(timeline: Timeline) -> None:
    run = Run(timeline, [(2.0, PAUSE), (3.0, NEXT), (4.0, PAUSE)])
    run.play()
    assert np.array_equal(
        run.heard[frame_at(4.0) :], run.whole[sample(timeline.chapters[1].start_ms) :]
    )


def test_quit_fades_out_and_ends(timeline: Timeline) -> None:
    said = long_instruction(timeline)
    press = (LEAD_IN + sample(said.start_ms)) / SAMPLE_RATE + 1.0
    run = Run(timeline, [(press, QUIT)])
    report = run.play()
    assert not report.finished and run.events[-1].what == "stop"
    k = frame_at(press)
    assert len(run.heard) == k + FADE  # the fade, then nothing: the device has stopped
    assert_faded(run.heard[k:], run.whole[k - LEAD_IN : k - LEAD_IN + FADE])
    assert run.screen.clears


def test_ctrl_c_fades_out_and_propagates(timeline: Timeline) -> None:
    said = long_instruction(timeline)
    press = (LEAD_IN + sample(said.start_ms)) / SAMPLE_RATE + 1.0
    run = Run(timeline, [(press, KeyboardInterrupt())])
    with pytest.raises(KeyboardInterrupt):
        run.play()
    assert len(run.heard) == frame_at(press) + FADE


def test_ctrl_c_while_paused_propagates(timeline: Timeline) -> None:
    run = Run(timeline, [(1.0, PAUSE), (2.0, KeyboardInterrupt())])
    with pytest.raises(KeyboardInterrupt):
        run.play()
    assert not run.heard[frame_at(1.0) + FADE :].any()


# --- Ctrl-Z and being stopped ---------------------------------------------------------------------


def test_ctrl_z_fades_out_then_suspends_and_waits_for_space(timeline: Timeline) -> None:
    said = long_instruction(timeline)
    press = (LEAD_IN + sample(said.start_ms)) / SAMPLE_RATE + 0.5
    resume = press + 3.0
    run = Run(timeline, [(press, SUSPEND), (resume, PAUSE)])
    cleared_before: list[bool] = []
    run.keys.on_suspend = lambda: cleared_before.append(bool(run.screen.clears))
    report = run.play()
    assert report.finished and run.screen.pauses() == 1
    (suspended,) = run.keys.suspended
    k = frame_at(press)
    # The fade was heard before the process stopped, and the status line taken away.
    assert suspended * SAMPLE_RATE >= k + FADE
    assert cleared_before == [True]
    # Back again: paused, not jumped ahead; space goes on from the cut-off instruction.
    after = [st for at, st in run.screen.statuses if suspended <= at < resume]
    assert after and all(st.paused for st in after)
    assert np.array_equal(run.heard[frame_at(resume) :], run.whole[sample(said.start_ms) :])


def test_continued_after_a_stop_pauses(timeline: Timeline) -> None:
    run = Run(timeline, [(5.0, CONTINUED), (7.0, PAUSE)])
    run.play()
    assert run.screen.pauses() == 1
    assert not run.heard[frame_at(5.0) + FADE : frame_at(7.0)].any()


# --- a device that goes away ----------------------------------------------------------------------


class Losing(ScriptedKeys):
    """Keys that also make the device go away at `lose_at` (device time)."""

    def __init__(self, output: RecordingOutput, script: Script, lose_at: float) -> None:
        super().__init__(output, script)
        self.lose_at = lose_at

    def pass_time(self, seconds: float) -> None:
        if self.now < self.lose_at <= self.now + seconds:
            self.output.advance(self.lose_at - self.now)
            self.output.lose("the audio device went away")
            self.output.advance(self.now + seconds - self.lose_at)
            self.now += seconds
            return
        super().pass_time(seconds)


def losing_run(timeline: Timeline, script: Script, lose_at: float) -> Run:
    run = Run(timeline, script)
    run.keys = Losing(run.output, script, lose_at)
    run.screen.keys = run.keys
    run.player.keys = run.keys
    run.player._sleep = run.keys.pass_time
    return run


def test_a_lost_device_pauses_says_so_and_space_goes_on(timeline: Timeline) -> None:
    said = long_instruction(timeline, after_ms=3000)
    lose_at = (LEAD_IN + sample(said.start_ms)) / SAMPLE_RATE + 0.6
    run = losing_run(timeline, [(lose_at + 5.0, PAUSE)], lose_at)
    report = run.play()
    assert report.finished
    (notice,) = [text for text in run.screen.notices if "sound stopped" in text]
    assert "the audio device went away" in notice
    assert "press space" in notice and "q to quit" in notice
    noticed = [at for at, st in run.screen.statuses if st.paused]
    assert noticed and noticed[0] - lose_at <= STATUS_EVERY_S + 0.011  # at the next look
    # The status line did not count down in silence.
    assert len({st.session_left_ms for _, st in run.screen.statuses if st.paused}) == 1
    # Opened afresh, with a lead-in, from the start of the instruction that was cut off.
    assert run.output.starts == 2
    restarted = run.heard[frame_at(lose_at) :]
    assert not restarted[:LEAD_IN].any()
    assert np.array_equal(restarted[LEAD_IN:], run.whole[sample(said.start_ms) :])


def test_a_device_that_will_not_come_back_says_so_and_waits(
    timeline: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = losing_run(timeline, [(6.0, PAUSE), (7.0, PAUSE)], 5.0)
    real_start = run.output.start
    tries: list[int] = []

    def start(source: SampleSource) -> None:
        tries.append(1)
        if len(tries) == 2:  # the first retry: still nothing
            raise CoachError("No audio device could be opened (test: no sound card found).")
        real_start(source)

    monkeypatch.setattr(run.output, "start", start)
    report = run.play()
    assert report.finished
    assert any(
        text.startswith("Still no sound.") and "try again" in text for text in run.screen.notices
    )
    assert len(tries) == 3


def test_a_lost_device_without_a_keyboard_is_a_clear_error(
    timeline: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Run(timeline, interactive=False)
    output = run.output
    real_advance = output.advance

    def advance(seconds: float) -> None:
        real_advance(seconds)
        if output.frames > 3 * SAMPLE_RATE:
            output.lose("the audio device went away")

    monkeypatch.setattr(output, "advance", advance)
    with pytest.raises(CoachError) as caught:
        run.play()
    message = str(caught.value)
    assert "the audio device went away" in message and "coach render" in message
    assert "\n" not in message


# --- on the real clock ----------------------------------------------------------------------------


def test_the_null_device_keeps_real_time_and_plays_every_frame(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The example session through the null device at 60x: the device's clock, not the
    player's, decides when it is over, and every frame is pulled."""
    speed = 60.0
    timeline = build_session(load_routine(str(EXAMPLE)), EstimatedLengths()).timeline
    output = NullOutput(speed=speed)
    player = Player(timeline, ramp_audio(EstimatedLengths()), output)
    started = time.monotonic()
    report = player.run()
    elapsed = time.monotonic() - started
    output.close()
    assert report.finished
    expected = (LEAD_IN + player.stream.total) / SAMPLE_RATE / speed
    with capsys.disabled():
        print(f"\n[null device at {speed:g}x: {elapsed:.3f} s for {expected:.3f} s of frames]")
    assert output.frames == LEAD_IN + player.stream.total
    assert elapsed == pytest.approx(expected, abs=0.25)


def test_a_hold_costs_next_to_no_cpu(capsys: pytest.CaptureFixture[str]) -> None:
    """A player streaming a 3 s hold to the null device at speed 1, refreshing its status."""
    hold_ms = 3_000
    where = {"exercise_id": "neck", "exercise": "Neck", "step": "1 of 1"}
    clips: tuple[Clip, ...] = (
        SpeechClip(0, 100, "Hold.", **where),
        SpanClip(100, 100 + hold_ms, "hold", exercise_id="neck", exercise="Neck", step="1 of 1"),
        ChimeClip(100 + hold_ms, 200 + hold_ms, "hold-end", **where),
    )
    total = 200 + hold_ms
    timeline = Timeline("Hold", clips, (ChapterSpan("Neck", "neck", 0, total),), total)
    short = np.full(ms_to_samples(100), 1000, dtype=np.int16)
    shown: list[Status] = []

    class Shown:
        def status(self, status: Status) -> None:
            shown.append(status)

        def notice(self, text: str) -> None:
            pass

        def clear(self) -> None:
            pass

    output = NullOutput()
    player = Player(timeline, lambda clip: short, output, display=Shown())
    cpu, wall = time.process_time(), time.monotonic()
    report = player.run()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    output.close()
    assert report.finished
    assert wall == pytest.approx((total + LEAD_IN_MS) / 1000, abs=0.1)
    assert len(shown) >= hold_ms / 1000 / STATUS_EVERY_S  # it did wake for the status line
    with capsys.disabled():
        print(f"\n[hold: {cpu * 1000:.1f} ms CPU in {wall:.2f} s wall = {cpu / wall:.2%}]")
    assert cpu / wall < CPU_FRACTION
