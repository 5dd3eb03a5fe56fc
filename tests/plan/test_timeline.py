"""The timeline: absolute times, exact holds, words inside holds, chapters."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from coach.plan.compiler import CompileOptions, compile_routine
from coach.plan.lengths import events_length_ms
from coach.plan.routine import Routine
from coach.plan.script import Chapter, Cue, Hold, HoldWord, Move, Relax, Rest, Say, Script, Step
from coach.plan.timeline import Clip, SpanClip, build_timeline
from coach.time import format_clock
from support.lengths import EstimatedLengths
from support.timelines import cue_of, sound_of, text_of


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
    assert [(text_of(c), c.start_ms, c.end_ms) for c in inside] == [
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
    assert [text_of(c) for c in inside] == ["a", "b"]
    assert timeline.clips[-1].start_ms == 2_500


@pytest.mark.parametrize("brief", [False, True])
def test_rest_stop_holds_exact_and_length_consistent(rest_stop: Routine, *, brief: bool) -> None:
    lengths = EstimatedLengths()
    script = compile_routine(rest_stop, CompileOptions(brief=brief))
    timeline = build_timeline(script, lengths)
    assert timeline.total_ms == events_length_ms(script.events, lengths)
    hold_events = [e for e in script.events if isinstance(e, Hold)]
    hold_clips = [c for c in timeline.clips if isinstance(c, SpanClip) and c.kind == "hold"]
    assert [c.length_ms for c in hold_clips] == [e.ms for e in hold_events]
    clips = list(timeline.clips)
    for hold in hold_clips:
        before = _last_outside(clips, hold, before=True)
        after = _last_outside(clips, hold, before=False)
        if hold.counted:  # the first count starts it
            first = next(c for c in clips if c.kind == "speech" and c.start_ms >= hold.start_ms)
            assert (first.start_ms, text_of(first)) == (hold.start_ms, "One.")
        else:  # "Hold." ends as it starts
            assert (before.end_ms, text_of(before)) == (hold.start_ms, "Hold.")
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
        assert (first_clip.kind, cue_of(first_clip)) == ("chime", "exercise")


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


def _rep_script(move_ms: int, relax_ms: int, *, quiet_ms: int = 2_000) -> Script:
    """Two reps: each a move (a cue, then "Hold."), a 3-second hold and a relax."""
    release = (Cue("hold-end"), Rest(150), Say("release"))
    return Script(
        "t",
        (
            Step("1 of 2"),
            Move(move_ms, (Say("cue one"),), (Say("Hold."),), 300),
            Hold(3_000),
            Relax(relax_ms, release, quiet_ms),
            Step("2 of 2"),
            Move(move_ms, (Say("cue two"),), (Say("Hold."),), 300),
            Hold(3_000),
            Relax(relax_ms, release, quiet_ms),
        ),
    )


def _spans(timeline_clips: tuple[Clip, ...], kind: str) -> list[tuple[int, int]]:
    return [(c.start_ms, c.end_ms) for c in timeline_clips if c.kind == kind]


def test_a_move_is_exact_when_its_words_fit_and_ends_in_hold() -> None:
    # cue 1,000 + settle 300 + "Hold." 1,000 fit in 4 s: 1.7 s to get into position.
    timeline = build_timeline(_rep_script(4_000, 5_000), FixedLengths())
    assert _spans(timeline.clips, "move") == [(0, 4_000), (12_000, 16_000)]
    assert _spans(timeline.clips, "hold") == [(4_000, 7_000), (16_000, 19_000)]
    said = [(sound_of(c), c.start_ms, c.end_ms, c.step) for c in timeline.audible_clips()]
    assert said[:2] == [("cue one", 0, 1_000, "1 of 2"), ("Hold.", 3_000, 4_000, "1 of 2")]
    assert said[4:6] == [("cue two", 12_000, 13_000, "2 of 2"), ("Hold.", 15_000, 16_000, "2 of 2")]
    move = next(c for c in timeline.clips if c.kind == "move")
    assert move.step == "1 of 2"


def test_a_move_too_short_for_its_words_grows_just_enough() -> None:
    timeline = build_timeline(_rep_script(1_000, 5_000), FixedLengths())
    moves = [c for c in timeline.clips if c.kind == "move"]
    assert [c.length_ms for c in moves] == [1_000 + 300 + 1_000] * 2
    hold = next(c for c in timeline.clips if c.kind == "hold")
    assert hold.start_ms == moves[0].end_ms


def test_a_relax_is_exact_and_quiet_after_its_release() -> None:
    timeline = build_timeline(_rep_script(4_000, 5_000), FixedLengths())
    assert _spans(timeline.clips, "relax") == [(7_000, 12_000), (19_000, 24_000)]
    said = [(sound_of(c), c.start_ms, c.end_ms) for c in timeline.audible_clips()]
    assert said[2:4] == [("hold-end", 7_000, 7_500), ("release", 7_650, 8_650)]
    # Nothing more is said until the next move: 3.35 s of quiet.
    assert said[4][1] == 12_000
    assert timeline.total_ms == 24_000


def test_a_relax_too_short_for_its_words_and_quiet_grows_just_enough() -> None:
    timeline = build_timeline(_rep_script(4_000, 3_000), FixedLengths())
    relax = [c for c in timeline.clips if c.kind == "relax"]
    assert [c.length_ms for c in relax] == [500 + 150 + 1_000 + 2_000] * 2
    release = [c for c in timeline.audible_clips() if text_of(c) == "release"]
    nxt = [c for c in timeline.audible_clips() if text_of(c) == "cue two"]
    assert nxt[0].start_ms - release[0].end_ms == 2_000


def test_the_fitter_and_the_timeline_agree_on_move_and_relax_lengths() -> None:
    for move_ms, relax_ms in itertools.product((0, 1_000, 2_300, 8_000), (0, 1_000, 3_000, 60_000)):
        script = _rep_script(move_ms, relax_ms)
        timeline = build_timeline(script, FixedLengths())
        assert timeline.total_ms == events_length_ms(script.events, FixedLengths())


@pytest.mark.parametrize("brief", [False, True])
def test_rest_stop_moves_and_relaxes_keep_their_promises(
    rest_stop: Routine, *, brief: bool
) -> None:
    """Every hold starts no sooner than the routine's move after its cue begins, every relax
    lasts at least the routine's, and a rest of 3 s or more keeps 2 s with no sound."""
    timeline = build_timeline(
        compile_routine(rest_stop, CompileOptions(brief=brief)), EstimatedLengths()
    )
    clips = list(timeline.clips)
    for move in (c for c in clips if c.kind == "move"):
        exercise = rest_stop.exercise(str(move.exercise_id))
        assert move.length_ms >= exercise.move_ms
        hold = next(c for c in clips if c.kind == "hold" and c.start_ms == move.end_ms)
        assert hold.exercise_id == move.exercise_id
    for relax in (c for c in clips if c.kind == "relax"):
        exercise = rest_stop.exercise(str(relax.exercise_id))
        assert relax.length_ms >= exercise.relax_ms
        sounds = [
            c for c in timeline.audible_clips() if relax.start_ms <= c.start_ms < relax.end_ms
        ]
        quiet = relax.end_ms - max(c.end_ms for c in sounds)
        if exercise.relax_ms >= 3_000:
            assert quiet >= 2_000, relax
