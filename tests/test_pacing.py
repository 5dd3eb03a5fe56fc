"""The built-in session's pace with the voice users get by default (the natural voice):
the article's numbers all kept, and the lengths a driver was promised.

These need the real voice's measured speech lengths; the plan-stage tests use estimates.
"""

from __future__ import annotations

import itertools

import pytest

from coach.commands import full_session_phrases
from coach.plan.routine import Routine
from coach.plan.session import Session, build_session
from coach.plan.timeline import Clip
from coach.sound.session_sounds import SessionSounds, open_sounds
from coach.speech import NEURAL_VOICE, VOICE_ENV, best_voice

GUIDED_MS = 7 * 60_000 + 30_000
BRIEF_MS = 6 * 60_000
BETWEEN_HOLDS_MS = 10_000
"""On later reps of tense and release and of side bends: from the end of one hold to the
start of the next, at most this, and never less than the routine's 5-second relax."""


@pytest.fixture(scope="module")
def sounds(rest_stop: Routine) -> SessionSounds:
    if best_voice() != NEURAL_VOICE:
        pytest.skip("the natural voice is not installed (the neural extra)")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(VOICE_ENV, raising=False)  # the default a user gets
        opened = open_sounds()
    assert opened.phrases.voice == NEURAL_VOICE
    for brief in (False, True):
        opened.prepare(full_session_phrases(rest_stop, brief), None)
    return opened


def holds(session: Session, exercise_id: str) -> list[Clip]:
    return [
        clip
        for clip in session.timeline.clips
        if clip.kind == "hold" and clip.exercise_id == exercise_id
    ]


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
@pytest.mark.parametrize(("brief", "limit_ms"), [(False, GUIDED_MS), (True, BRIEF_MS)])
def test_the_session_fits_its_length(
    rest_stop: Routine, sounds: SessionSounds, brief: bool, limit_ms: int
) -> None:
    session = build_session(rest_stop, sounds, brief=brief)
    assert not session.fitted.changes  # the full session, every number kept
    assert session.timeline.total_ms <= limit_ms


@pytest.mark.tts
@pytest.mark.parametrize("brief", [False, True])
@pytest.mark.parametrize("exercise_id", ["tense-and-release", "side-bends"])
def test_later_reps_follow_each_other_closely(
    rest_stop: Routine, sounds: SessionSounds, brief: bool, exercise_id: str
) -> None:
    session = build_session(rest_stop, sounds, brief=brief)
    found = holds(session, exercise_id)
    assert len(found) == (4 if exercise_id == "tense-and-release" else 6)
    for first, second in itertools.pairwise(found):
        between = second.start_ms - first.end_ms
        assert 5_000 <= between <= BETWEEN_HOLDS_MS, (first, second)


@pytest.mark.tts
def test_the_five_minute_version_keeps_all_five_exercises(
    rest_stop: Routine, sounds: SessionSounds
) -> None:
    session = build_session(rest_stop, sounds, minutes=5)
    kept = [c.exercise_id for c in session.timeline.chapters if c.exercise_id]
    assert kept == [e.id for e in rest_stop.exercises]
    assert 5 * 60_000 - 15_000 <= session.timeline.total_ms <= 5 * 60_000
