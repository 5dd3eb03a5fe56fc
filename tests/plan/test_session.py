"""A session: the routine compiled, fitted when minutes are asked for, and placed in time."""

from __future__ import annotations

import pytest

from coach.errors import CoachError
from coach.plan.fit import FULL_SESSION, fit_session, full_session
from coach.plan.routine import Routine
from coach.plan.session import build_session
from coach.plan.timeline import build_timeline
from coach.time import format_length, minutes_to_ms
from support.lengths import EstimatedLengths


def test_the_full_session_when_no_length_is_asked(
    rest_stop: Routine, lengths: EstimatedLengths
) -> None:
    session = build_session(rest_stop, lengths)
    full = full_session(rest_stop, lengths)
    assert session.fitted == full
    assert session.timeline == build_timeline(full.script, lengths)
    assert session.timeline.total_ms == full.length_ms
    assert session.minutes is None
    assert session.describe_fit() == FULL_SESSION


def test_minutes_fit_the_session_and_say_what_changed(
    rest_stop: Routine, lengths: EstimatedLengths
) -> None:
    session = build_session(rest_stop, lengths, minutes=5)
    fitted = fit_session(rest_stop, minutes_to_ms(5), lengths)
    assert session.fitted == fitted
    assert session.timeline.total_ms == fitted.length_ms <= 300_000
    assert session.describe_fit() == f"fitted to 5 minutes: {fitted.summary()}"
    assert fitted.changes


def test_more_minutes_than_the_full_length_is_the_full_session(
    rest_stop: Routine, lengths: EstimatedLengths
) -> None:
    full = full_session(rest_stop, lengths)
    session = build_session(rest_stop, lengths, minutes=600)
    assert session.timeline.total_ms == full.length_ms
    assert session.describe_fit() == (
        f"{FULL_SESSION}: 600 minutes is not shorter than the full "
        f"{format_length(full.length_ms)}, which is the longest version"
    )


def test_brief_is_passed_to_the_compiler(rest_stop: Routine, lengths: EstimatedLengths) -> None:
    brief = build_session(rest_stop, lengths, brief=True)
    guided = build_session(rest_stop, lengths)
    assert brief.fitted.options.brief
    assert brief.timeline.total_ms < guided.timeline.total_ms


def test_too_few_minutes_is_a_clear_error(rest_stop: Routine, lengths: EstimatedLengths) -> None:
    with pytest.raises(CoachError, match="shortest version"):
        build_session(rest_stop, lengths, minutes=0.5)


def test_one_minute_is_said_as_one_minute(rest_stop: Routine, lengths: EstimatedLengths) -> None:
    fitted = fit_session(rest_stop, minutes_to_ms(2), lengths)
    assert fitted.describe(2).startswith("fitted to 2 minutes: ")
    assert fitted.describe(1).startswith("fitted to 1 minute: ")
    full = full_session(rest_stop, lengths)
    assert full.describe(1).startswith("full session: 1 minute is not shorter")


def test_the_brief_version_says_it_is_brief(rest_stop: Routine, lengths: EstimatedLengths) -> None:
    """`coach show --brief` headed its listing "(full session)", as for the full one."""
    brief = build_session(rest_stop, lengths, brief=True)
    assert brief.describe_fit() == f"brief version, {FULL_SESSION}"
    fitted = build_session(rest_stop, lengths, minutes=5, brief=True)
    assert fitted.describe_fit().startswith("brief version, fitted to 5 minutes: ")
