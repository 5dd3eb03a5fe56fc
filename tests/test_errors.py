"""User-facing errors: a message that quotes what the user wrote is still safe to print."""

from __future__ import annotations

import doctest

import coach.errors
from coach.errors import CoachError, is_control


def test_the_doctests_pass() -> None:
    result = doctest.testmod(coach.errors)
    assert result.attempted >= 4
    assert result.failed == 0


def test_a_message_cannot_steer_the_terminal() -> None:
    """A file name or field quoted in a message once could clear the screen."""
    error = CoachError("field '\x1b[2J\x1b]0;title\x07' in 'a\x00b.toml'\nsecond line")
    assert str(error) == (
        "field '\\u001b[2J\\u001b]0;title\\u0007' in 'a\\u0000b.toml' second line"
    )
    assert not any(is_control(char) for char in str(error))
    assert "\n" not in str(error)


def test_ordinary_text_is_left_alone() -> None:
    text = "Café, 5 s\tholds — «left» and right, 頸のストレッチ, \u00a0."
    assert str(CoachError(text)) == text
