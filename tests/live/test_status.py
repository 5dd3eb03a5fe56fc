"""The status line's content: the session's sections named as the MP3's chapters, where you
are in the session, and a line that fits the terminal however narrow."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coach.live.status import SESSION_COMPLETE, SessionMap, format_status
from coach.live.types import Status
from coach.plan.routine import Routine
from coach.plan.session import build_session
from coach.plan.timeline import Clip, SpeechClip, Timeline
from coach.routines import load_routine
from coach.width import display_width
from support.lengths import EstimatedLengths
from support.paths import EXAMPLE
from support.timelines import cue_of, text_of, without_closing_chapter

LONG_TITLE = "Upper-body tense and release"
"""A long exercise title, as real routines have (the terminal's width was a problem with it)."""


@pytest.fixture(scope="module")
def routine() -> Routine:
    return load_routine(str(EXAMPLE))


@pytest.fixture(scope="module")
def timeline(routine: Routine) -> Timeline:
    return build_session(routine, EstimatedLengths()).timeline


def first_clip(timeline: Timeline, text: str) -> Clip:
    return next(clip for clip in timeline.clips if text_of(clip) == text)


def test_sections_are_the_chapters(routine: Routine, timeline: Timeline) -> None:
    places = SessionMap(timeline, len(routine.closing))
    opening, neck, rolls, closing = timeline.chapters
    assert [(s.title, s.start_ms, s.exercise, s.closing) for s in places.sections] == [
        (opening.title, opening.start_ms, None, False),
        ("Neck tilt", neck.start_ms, 1, False),
        ("Shoulder rolls", rolls.start_ms, 2, False),
        (closing.title, closing.start_ms, None, True),
    ]
    assert closing.start_ms <= first_clip(timeline, routine.closing[0]).start_ms
    assert places.exercises == 2


def test_closing_words_without_a_chapter_are_a_section_still(
    routine: Routine, timeline: Timeline
) -> None:
    merged = without_closing_chapter(timeline)
    places = SessionMap(merged, len(routine.closing))
    assert [(s.title, s.exercise, s.closing) for s in places.sections][2:] == [
        ("Shoulder rolls", 2, False),
        ("Shoulder rolls", 2, True),
    ]
    assert places.sections[-1].start_ms == first_clip(merged, routine.closing[0]).start_ms
    status = places.status_at(places.sections[-1].start_ms + 100)
    assert (status.chapter, status.exercise, status.step) == ("Shoulder rolls", 2, "closing")
    # Not told how many closing lines there are: the closing is the final chime.
    chime = next(c for c in reversed(merged.clips) if cue_of(c) == "session-end")
    assert SessionMap(merged).sections[-1].start_ms == chime.start_ms


def test_a_timeline_without_the_final_chime_has_no_closing_section() -> None:
    clips: tuple[Clip, ...] = (SpeechClip(0, 1000, "Hello."),)
    timeline = Timeline("T", clips, (), 1000)
    places = SessionMap(timeline, 1)
    assert places.sections == ()
    assert places.status_at(500).chapter == "T"


def test_status_at_the_start_in_a_hold_and_in_the_closing(
    routine: Routine, timeline: Timeline
) -> None:
    places = SessionMap(timeline, len(routine.closing))
    opening = timeline.chapters[0].title
    assert places.status_at(0) == Status(opening, None, 2, "", None, timeline.total_ms)
    hold = next(c for c in timeline.clips if c.kind == "hold")
    inside = places.status_at(hold.start_ms + 2_500, paused=True)
    assert (inside.chapter, inside.exercise, inside.exercises) == ("Neck tilt", 1, 2)
    assert inside.step == "left side, 1 of 2"
    assert inside.hold_left_ms == hold.length_ms - 2_500
    assert inside.session_left_ms == timeline.total_ms - hold.start_ms - 2_500
    assert inside.paused
    assert places.status_at(hold.end_ms).hold_left_ms is None
    closing = places.status_at(first_clip(timeline, routine.closing[0]).start_ms + 100)
    assert (closing.chapter, closing.exercise, closing.step, closing.hold_left_ms) == (
        timeline.chapters[-1].title,
        None,
        "",
        None,
    )
    assert places.status_at(timeline.total_ms).session_left_ms == 0


def test_format_status_in_full() -> None:
    assert (
        format_status(Status("Overhead stretch", 2, 5, "2 of 4", 12_000, 400_000))
        == "Overhead stretch  |  exercise 2 of 5  |  2 of 4  |  hold 12 s  |  6:40 left"
    )
    assert "hold 12 s" in format_status(Status("A", 1, 1, "", 11_001, 1_000))  # rounds up
    assert "hold 11 s" in format_status(Status("A", 1, 1, "", 11_000, 1_000))
    assert format_status(Status("Before you start", None, 5, "", None, 65_000)) == (
        "Before you start  |  1:05 left"
    )
    paused = format_status(Status("Neck tilt", 1, 2, "", None, 65_000, paused=True))
    assert (
        paused
        == "PAUSED: space to go on, q to quit  |  Neck tilt  |  exercise 1 of 2  |  1:05 left"
    )
    assert SESSION_COMPLETE == "Session complete. Well done."


LONG = Status(LONG_TITLE, 4, 5, "right side, 3 of 4", 5_000, 400_000)


@pytest.mark.parametrize(
    ("width", "paused", "expected"),
    [
        (
            79,
            False,
            "Upper-body tense and release | exercise 4 of 5 | right side, 3 of 4 | hold 5 s",
        ),
        (49, False, "Upper-body tense and release | hold 5 s"),
        (79, True, "PAUSED: space to go on, q to quit | Upper-body tense and release | hold 5 s"),
        (49, True, "PAUSED: space to go on | Upper-body t\u2026 | hold 5 s"),
        (39, True, "PAUSED | Upper-body tense a\u2026 | hold 5 s"),
        (29, True, "PAUSED | Upper-bo\u2026 | hold 5 s"),
    ],
)
def test_a_long_status_gives_up_the_least_needed_parts_first(
    width: int, *, paused: bool, expected: str
) -> None:
    # An 80- and a 50-column terminal leave 79 and 49 (the last column is never written).
    assert format_status(replace(LONG, paused=paused), width) == expected
    assert len(expected) <= width


def test_every_status_of_a_session_fits_every_width(routine: Routine, timeline: Timeline) -> None:
    places = SessionMap(timeline, len(routine.closing))
    for position in range(0, timeline.total_ms + 1, 250):
        for paused in (False, True):
            plain = places.status_at(position, paused=paused)
            for status in (plain, replace(plain, chapter=LONG_TITLE)):
                for width in (12, 20, 30, 40, 49, 50, 79, 80, 120):
                    text = format_status(status, width)
                    assert len(text) <= width, (width, text)
                    if width >= 40 and status.hold_left_ms is not None:
                        assert "hold " in text, (width, text)
                    if paused:
                        assert text.startswith("PAUSED"), (width, text)
                    if width >= 79 and not paused:
                        assert status.chapter in text


@pytest.mark.parametrize(
    "title",
    [
        "\u6c34" * 40,
        "\U0001f646" * 30,
        "Ne\u0301ck re\u0301le\u0301ase" * 3,
        "".join(chr(ord(char) + 0xFEE0) for char in "Wide-forms") * 4,
    ],
    ids=["CJK", "emoji", "combining accents", "fullwidth"],
)
def test_a_status_fits_its_width_in_columns_not_characters(title: str) -> None:
    """A CJK character takes two columns and an accent none: a line counted in characters
    wrapped on the terminal and left stale rows behind."""
    status = Status(title, 2, 5, "2 of 4", 12_000, 400_000)
    for width in (12, 20, 30, 40, 49, 79, 120):
        text = format_status(status, width)
        assert display_width(text) <= width, (width, text)
        assert "hold 12 s" in text or width < 20, (width, text)
    assert format_status(status, 200).startswith(title)
