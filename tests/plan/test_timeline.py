"""The timeline: absolute times, exact holds, words inside holds, chapters."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from coach.plan.compiler import CompileOptions, compile_routine
from coach.plan.lengths import RELAX_QUIET_MS, events_length_ms
from coach.plan.routine import Routine
from coach.plan.script import Chapter, Cue, Hold, HoldWord, Relax, Rest, Say, Script, Step
from coach.plan.timeline import Clip, build_timeline
from coach.time import format_clock
from support.lengths import EstimatedLengths


@dataclass(frozen=True)
class FixedLengths:
    """Every phrase lasts `speech` ms, every chime `cue` ms."""

    speech: int = 1_000
    cue: int = 500

    def speech_ms(self, text: str) -> int:
        return self.speech

    def cue_ms(self, name: str) -> int:
        return self.cue


def test_events_are_placed_end_to_end() -> None:
    script = Script("t", (Chapter("A", "a"), Say("one"), Rest(250), Cue("exercise"), Say("two")))
    timeline = build_timeline(script, FixedLengths())
    assert [(c.start_ms, c.end_ms, c.kind) for c in timeline.clips] == [
        (0, 1_000, "speech"),
        (1_000, 1_250, "rest"),
        (1_250, 1_750, "chime"),
        (1_750, 2_750, "speech"),
    ]
    assert timeline.total_ms == 2_750
    assert [c.exercise_id for c in timeline.clips] == ["a"] * 4


def test_hold_is_exact_and_words_stay_inside() -> None:
    words = (HoldWord(0, "first"), HoldWord(2_500, "middle"), HoldWord(4_500, "late"))
    script = Script("t", (Say("Hold."), Hold(5_000, words), Cue("hold-end"), Say("Relax.")))
    timeline = build_timeline(script, FixedLengths(speech=1_000))
    hold = next(c for c in timeline.clips if c.kind == "hold")
    assert (hold.start_ms, hold.end_ms) == (1_000, 6_000)
    inside = [
        c
        for c in timeline.clips
        if c.kind == "speech" and hold.start_ms <= c.start_ms < hold.end_ms
    ]
    assert [(c.text, c.start_ms, c.end_ms) for c in inside] == [
        ("first", 1_000, 2_000),
        ("middle", 3_500, 4_500),
        ("late", 5_000, 6_000),
    ]
    chime = next(c for c in timeline.clips if c.kind == "chime")
    assert chime.start_ms == hold.end_ms


def test_word_that_cannot_fit_is_dropped_not_stretched() -> None:
    words = (HoldWord(0, "a"), HoldWord(100, "b"), HoldWord(200, "c"))
    script = Script("t", (Hold(2_500, words), Say("after")))
    timeline = build_timeline(script, FixedLengths(speech=1_000))
    inside = [c for c in timeline.clips if c.kind == "speech" and c.start_ms < 2_500]
    assert [c.text for c in inside] == ["a", "b"]
    assert timeline.clips[-1].start_ms == 2_500


@pytest.mark.parametrize("brief", [False, True])
def test_rest_stop_holds_exact_and_length_consistent(rest_stop: Routine, brief: bool) -> None:
    lengths = EstimatedLengths()
    script = compile_routine(rest_stop, CompileOptions(brief=brief))
    timeline = build_timeline(script, lengths)
    assert timeline.total_ms == events_length_ms(script.events, lengths)
    hold_events = [e for e in script.events if isinstance(e, Hold)]
    hold_clips = [c for c in timeline.clips if c.kind == "hold"]
    assert [c.length_ms for c in hold_clips] == [e.ms for e in hold_events]
    clips = list(timeline.clips)
    for hold in hold_clips:
        before = _last_outside(clips, hold, before=True)
        after = _last_outside(clips, hold, before=False)
        assert before.end_ms == hold.start_ms
        assert after.start_ms == hold.end_ms
        for clip in clips:
            if clip.kind == "speech" and hold.start_ms <= clip.start_ms < hold.end_ms:
                assert clip.end_ms <= hold.end_ms


def _last_outside(clips: list[Clip], hold: Clip, *, before: bool) -> Clip:
    if before:
        return max(
            (c for c in clips if c.end_ms <= hold.start_ms and c.audible), key=lambda c: c.end_ms
        )
    return min(
        (c for c in clips if c.start_ms >= hold.end_ms and c.audible), key=lambda c: c.start_ms
    )


def test_audible_clips_never_overlap(rest_stop: Routine) -> None:
    timeline = build_timeline(compile_routine(rest_stop), EstimatedLengths())
    audible = timeline.audible_clips()
    for first, second in itertools.pairwise(audible):
        assert first.end_ms <= second.start_ms


def test_chapters_cover_the_session(rest_stop: Routine) -> None:
    timeline = build_timeline(compile_routine(rest_stop), EstimatedLengths())
    chapters = timeline.chapters
    assert chapters[0].start_ms == 0 and chapters[-1].end_ms == timeline.total_ms
    for first, second in itertools.pairwise(chapters):
        assert first.end_ms == second.start_ms
    assert [c.exercise_id for c in chapters[1:-1]] == [e.id for e in rest_stop.exercises]
    assert (chapters[-1].title, chapters[-1].exercise_id) == ("Finish", None)
    for chapter in chapters[1:-1]:
        first_clip = next(c for c in timeline.clips if c.start_ms == chapter.start_ms)
        assert (first_clip.kind, first_clip.cue) == ("chime", "exercise")


def test_json_has_the_documented_fields(rest_stop: Routine) -> None:
    document = build_timeline(compile_routine(rest_stop), EstimatedLengths()).to_json()
    assert document["total_ms"] == document["clips"][-1]["end_ms"]
    for clip in document["clips"]:
        assert {"start_ms", "end_ms", "kind", "text", "exercise"} <= set(clip)
        assert (clip["text"] is not None) == (clip["kind"] == "speech")


@pytest.mark.parametrize(
    ("ms", "text"), [(0, "0:00"), (59_999, "0:59"), (125_400, "2:05"), (3_600_000, "1:00:00")]
)
def test_format_clock(ms: int, text: str) -> None:
    assert format_clock(ms) == text


def _relax_script(relax_ms: int) -> Script:
    release = (Cue("hold-end"), Rest(150), Say("release"))
    lead_in = (Step("2 of 2"), Say("lead-in"))
    return Script(
        "t",
        (
            Step("1 of 2"),
            Hold(3_000),
            Relax(relax_ms, release, lead_in),
            Hold(3_000),
            Relax(relax_ms, release),
        ),
    )


def test_a_relax_is_exact_when_its_words_fit() -> None:
    # chime 500 + 150 + release 1,000 + quiet + lead-in 1,000 fit in 5 s.
    timeline = build_timeline(_relax_script(5_000), FixedLengths())
    relax = [c for c in timeline.clips if c.kind == "relax"]
    holds = [c for c in timeline.clips if c.kind == "hold"]
    assert [(c.start_ms, c.end_ms) for c in relax] == [(3_000, 8_000), (11_000, 16_000)]
    assert holds[1].start_ms == relax[0].end_ms
    said = [(c.text or c.cue, c.start_ms, c.end_ms, c.step) for c in timeline.audible_clips()]
    assert said[:3] == [
        ("hold-end", 3_000, 3_500, "1 of 2"),
        ("release", 3_650, 4_650, "1 of 2"),
        ("lead-in", 7_000, 8_000, "2 of 2"),  # ends as the relax ends: the hold starts on time
    ]
    assert relax[0].step == "1 of 2"
    assert timeline.total_ms == 16_000


def test_a_relax_too_short_for_its_words_grows_just_enough() -> None:
    timeline = build_timeline(_relax_script(1_000), FixedLengths())
    relax = [c for c in timeline.clips if c.kind == "relax"]
    need = 500 + 150 + 1_000 + RELAX_QUIET_MS + 1_000
    assert relax[0].length_ms == need
    assert relax[1].length_ms == 500 + 150 + 1_000  # no lead-in, so no quiet is kept for one
    speech = [c for c in timeline.audible_clips() if c.text in ("release", "lead-in")]
    assert speech[1].start_ms - speech[0].end_ms == RELAX_QUIET_MS
    assert speech[1].end_ms == relax[0].end_ms


def test_the_fitter_and_the_timeline_agree_on_relax_lengths() -> None:
    for relax_ms in (0, 1_000, 3_000, 5_000, 60_000):
        script = _relax_script(relax_ms)
        timeline = build_timeline(script, FixedLengths())
        assert timeline.total_ms == events_length_ms(script.events, FixedLengths())
