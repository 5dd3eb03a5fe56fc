"""The shorthand a routine may hold is spelled out before an engine reads it, one rule at a
time, and text without shorthand passes unchanged."""

from __future__ import annotations

import pytest

from coach.speech.wording import spoken_text


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Do 5-10 reps.", "Do 5 to 10 reps."),
        ("Do 5 - 10 reps.", "Do 5 to 10 reps."),
        ("Do 5\u201310 reps.", "Do 5 to 10 reps."),  # an en dash, as word processors write it
    ],
)
def test_a_range_is_read_as_from_to(written: str, said: str) -> None:
    assert spoken_text(written) == said


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Hold 20s.", "Hold 20 seconds."),
        ("Hold 30 sec.", "Hold 30 seconds."),
        ("Hold 30 secs.", "Hold 30 seconds."),
        ("Hold 1s.", "Hold 1 second."),
        ("Hold 1.5 seconds.", "Hold 1.5 seconds."),
        ("Rest 2 min.", "Rest 2 minutes."),
        ("Rest 1 min.", "Rest 1 minute."),
        ("Rest 5mins.", "Rest 5 minutes."),
        ("Hold 20 S.", "Hold 20 seconds."),
    ],
)
def test_a_unit_is_spelled_out_in_the_number_it_counts(written: str, said: str) -> None:
    assert spoken_text(written) == said


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Repeat 3x.", "Repeat 3 times."),
        ("Repeat 3x on each side.", "Repeat 3 times on each side."),
        ("Repeat 3\u00d7.", "Repeat 3 times."),
        ("Repeat 3X", "Repeat 3 times"),
    ],
)
def test_times_after_a_number(written: str, said: str) -> None:
    assert spoken_text(written) == said


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Shoulder rolls x5.", "Shoulder rolls 5 times."),
        ("Shoulder rolls x 5.", "Shoulder rolls 5 times."),
        ("Shoulder rolls \u00d75.", "Shoulder rolls 5 times."),
    ],
)
def test_times_before_a_number(written: str, said: str) -> None:
    assert spoken_text(written) == said


@pytest.mark.parametrize(
    "text",
    [
        "Exercise 1 of 5.",
        "Hold for 1.5 minutes.",
        "Relax your jaw, and breathe out slowly.",
        "Box 3 is the last one.",  # an x inside a word is not "times"
        "Draw an x3y shape.",
        "Seconds count: 20 seconds.",
        "The 3xl shirt.",  # a size, not a count
        "A well-known stretch.",
        "",
    ],
)
def test_text_without_shorthand_is_unchanged(text: str) -> None:
    assert spoken_text(text) == text
