"""The mark a render puts on a session's files: the same session always has the same
identity, any change to what it sounds like gives another, and the version is named."""

from __future__ import annotations

import pytest

from coach.plan.routine import Routine
from coach.plan.session import Session
from coach.preparation import SessionRequest, prepare_session
from coach.render import session_mark, version_name
from coach.sound.session_sounds import SessionSounds, open_sounds
from coach.speech.voices import DEFAULT_VOICE

pytestmark = pytest.mark.tts


@pytest.fixture(scope="module")
def sounds() -> SessionSounds:
    return open_sounds(DEFAULT_VOICE)


def test_the_same_session_has_the_same_identity(rest_stop: Routine, sounds: SessionSounds) -> None:
    first = session_mark(_built(rest_stop, sounds), sounds)
    again = session_mark(_built(rest_stop, sounds), sounds)
    assert first == again
    assert len(first.session_id) == 64
    assert first.version == "full"


def test_each_change_to_the_session_gives_another_identity(
    rest_stop: Routine, sounds: SessionSounds
) -> None:
    other_rate = open_sounds(DEFAULT_VOICE, 170)
    marks = {}
    for name, lengths, minutes, brief in (
        ("full", sounds, None, False),
        ("brief", sounds, None, True),
        ("5 minutes", sounds, 5.0, False),
        ("3 minutes, brief", sounds, 3.0, True),
        ("full at another rate", other_rate, None, False),
    ):
        session = _built(rest_stop, lengths, minutes, brief=brief)
        marks[name] = session_mark(session, lengths)
        assert marks[name].version == version_name(session)
    assert len({mark.session_id for mark in marks.values()}) == len(marks)
    assert [mark.version for mark in marks.values()] == [
        "full",
        "brief",
        "5 minutes",
        "3 minutes, brief",
        "full",
    ]


def test_a_length_beyond_the_full_session_is_the_full_version(
    rest_stop: Routine, sounds: SessionSounds
) -> None:
    session = _built(rest_stop, sounds, 60.0)
    assert version_name(session) == "full"
    assert session_mark(session, sounds) == session_mark(_built(rest_stop, sounds), sounds)


def _built(
    routine: Routine, sounds: SessionSounds, minutes: float | None = None, *, brief: bool = False
) -> Session:
    """The session as `coach render` builds it, its phrases made first."""
    request = SessionRequest(minutes=minutes, brief=brief)
    return prepare_session(request, progress=None, sounds=sounds, routine=routine).session
