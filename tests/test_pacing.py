"""The built-in session's pace with the voice users get by default (the natural voice): the
article's numbers all kept, time to move before every hold, quiet in every rest, and the
lengths a driver was promised.

These need the real voice's measured speech lengths; the plan-stage tests use estimates.
"""

from __future__ import annotations

import itertools

import pytest

from coach.plan.routine import Routine
from coach.plan.session import Session, build_session
from coach.plan.timeline import SpanClip, SpanKind, SpeechClip
from coach.preparation import full_session_phrases
from coach.sound.session_sounds import SessionSounds, open_sounds
from coach.speech.voices import NEURAL_VOICE, VOICE_ENV, best_voice
from support.timelines import cue_of

GUIDED_MS = 7 * 60_000 + 30_000
BRIEF_MS = 6 * 60_000 + 45_000
"""The brief session keeps every move, hold and relax of the guided one. With the article's
numbers, a move before each of its 26 reps and a quiet relax after each, it cannot be under
six minutes: even with no time at all to move and every chosen value at its least, it was
6:03 with the natural voice."""
SPEECH_SHARE = {False: 0.41, True: 0.30}
"""The most of the guided (False) and brief (True) session that speech may fill: the time
covered by phrase clips, as `coach show --json` gives them."""


@pytest.fixture(scope="module")
def sounds(rest_stop: Routine) -> SessionSounds:
    if best_voice() != NEURAL_VOICE:
        pytest.skip("the natural voice is not installed (the neural extra)")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(VOICE_ENV, raising=False)  # the default a user gets
        opened = open_sounds()
    assert opened.phrases.voice == NEURAL_VOICE
    for brief in (False, True):
        opened.synthesize(full_session_phrases(rest_stop, brief=brief), None)
    return opened


@pytest.fixture(scope="module", params=[False, True], ids=["guided", "brief"])
def brief(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture(scope="module")
def session(rest_stop: Routine, sounds: SessionSounds, *, brief: bool) -> Session:
    return build_session(rest_stop, sounds, brief=brief)


def spans_of(session: Session, kind: SpanKind, exercise_id: str | None = None) -> list[SpanClip]:
    """The session's spans of one kind (of one exercise, if given), in order."""
    return [
        clip
        for clip in session.timeline.clips
        if isinstance(clip, SpanClip)
        and clip.kind == kind
        and exercise_id in (None, clip.exercise_id)
    ]


def speech_of(session: Session) -> list[SpeechClip]:
    """The session's phrases, in order."""
    return [clip for clip in session.timeline.clips if isinstance(clip, SpeechClip)]


@pytest.mark.tts
def test_every_number_of_the_article_is_kept(rest_stop: Routine) -> None:
    plan = {e.id: (e.reps, e.sides, e.hold_ms, e.relax_ms, e.count) for e in rest_stop.exercises}
    sides = ("left", "right")
    assert plan["neck-release"][:2] == (3, sides)
    assert plan["overhead-stretch"][:3] == (4, (), 20_000)
    assert plan["shoulder-rolls"][0] == 4 and plan["shoulder-rolls"][4] == 3
    assert plan["tense-and-release"][:4] == (4, (), 5_000, 5_000)
    assert plan["side-bends"][:4] == (3, sides, 5_000, 5_000)


@pytest.mark.tts
def test_the_session_fits_its_length(session: Session, *, brief: bool) -> None:
    assert not session.fitted.changes  # the full session, every number kept
    assert session.timeline.total_ms <= (BRIEF_MS if brief else GUIDED_MS)


@pytest.mark.tts
def test_speech_leaves_room_for_quiet(session: Session, *, brief: bool) -> None:
    spoken = sum(clip.length_ms for clip in speech_of(session))
    assert spoken / session.timeline.total_ms <= SPEECH_SHARE[brief]


@pytest.mark.tts
def test_every_hold_starts_after_time_to_move(rest_stop: Routine, session: Session) -> None:
    """From the first word of each rep's cue to its hold, at least the routine's move; the
    hold starts as "Hold." ends (or, for the rolls, with their first count)."""
    moves = spans_of(session, "move")
    holds = spans_of(session, "hold")
    assert len(moves) == len(holds) == 24
    for move, hold in zip(moves, holds, strict=True):
        assert move.end_ms == hold.start_ms
        assert move.length_ms >= rest_stop.exercise(str(move.exercise_id)).move_ms
        said = [clip for clip in speech_of(session) if move.start_ms <= clip.start_ms < move.end_ms]
        assert said[0].start_ms == move.start_ms
        if not hold.counted:
            assert (said[-1].text, said[-1].end_ms) == ("Hold.", hold.start_ms)


@pytest.mark.tts
def test_every_relax_is_exact_and_every_rest_is_quiet(rest_stop: Routine, session: Session) -> None:
    audible = session.timeline.audible_clips()
    relaxes = spans_of(session, "relax")
    assert len(relaxes) == 24
    for relax in relaxes:
        exercise = rest_stop.exercise(str(relax.exercise_id))
        assert relax.length_ms == exercise.relax_ms, relax
        inside = [c for c in audible if relax.start_ms <= c.start_ms < relax.end_ms]
        assert cue_of(inside[0]) == "hold-end" and inside[0].start_ms == relax.start_ms
        quiet = relax.end_ms - max(c.end_ms for c in inside)
        if exercise.relax_ms >= 3_000:
            assert quiet >= 2_000, relax


@pytest.mark.tts
def test_only_long_holds_are_counted_down_and_each_has_a_word_to_feel(session: Session) -> None:
    speech = speech_of(session)
    counted_down = 0
    for hold in spans_of(session, "hold"):
        inside = [c.text for c in speech if hold.start_ms <= c.start_ms < hold.end_ms]
        if hold.counted:
            continue
        if hold.length_ms < 10_000:
            assert inside == [], hold
            continue
        counted_down += 1
        assert inside[-3:] == ["Three.", "Two.", "One."]
        assert not any(char.isdigit() for char in inside[0])
        assert "seconds" not in inside[0] and inside[0] not in ("Three.", "Two.", "One.")
    assert counted_down == 4  # the overhead stretch's


@pytest.mark.tts
@pytest.mark.parametrize("exercise_id", ["tense-and-release", "side-bends"])
def test_the_article_rhythm_of_hold_and_relax(session: Session, exercise_id: str) -> None:
    """Five seconds held, five relaxed, then the next rep's move."""
    found = spans_of(session, "hold", exercise_id)
    relaxes = spans_of(session, "relax", exercise_id)
    assert len(found) == (4 if exercise_id == "tense-and-release" else 6)
    for hold, relax in zip(found, relaxes, strict=True):
        assert hold.length_ms == 5_000 and relax.length_ms == 5_000
        assert relax.start_ms == hold.end_ms
    for first, second in itertools.pairwise(found):
        assert 5_000 + 3_000 <= second.start_ms - first.end_ms <= 5_000 + 7_000


@pytest.mark.tts
def test_the_five_minute_version_keeps_all_five_exercises(
    rest_stop: Routine, sounds: SessionSounds
) -> None:
    session = build_session(rest_stop, sounds, minutes=5)
    kept = [c.exercise_id for c in session.timeline.chapters if c.exercise_id]
    assert kept == [e.id for e in rest_stop.exercises]
    assert 5 * 60_000 - 15_000 <= session.timeline.total_ms <= 5 * 60_000
    said = [clip.text for clip in speech_of(session)]
    assert not any("whole routine" in text for text in said)
