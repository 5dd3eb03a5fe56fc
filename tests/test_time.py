"""Time conversions: the doctests in coach/time.py, and the rules they must keep."""

from __future__ import annotations

import doctest

import pytest

import coach.time
from coach.time import SAMPLE_RATE, format_clock, ms_to_samples, samples_to_ms


def test_the_doctests_pass() -> None:
    result = doctest.testmod(coach.time)
    assert result.attempted >= 10
    assert result.failed == 0


@pytest.mark.parametrize("count", [0, 1, 21, 22, 23, 22_050, 22_051, 1_234_567])
def test_a_clip_always_fits_in_its_milliseconds(count: int) -> None:
    ms = samples_to_ms(count)
    assert ms_to_samples(ms) >= count
    assert ms == 0 or ms_to_samples(ms - 1) < count


@pytest.mark.parametrize("ms", [0, 1, 45, 1_000, 59_999, 3_600_000])
def test_milliseconds_to_samples_rounds_to_the_nearest(ms: int) -> None:
    assert ms_to_samples(ms) == round(ms * SAMPLE_RATE / 1000)


def test_clock_rounding() -> None:
    assert format_clock(59_999) == "0:59"
    assert format_clock(59_001, round_up=True) == "1:00"
    assert format_clock(645_469) == "10:45"


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (3_599_999, "59:59"),
        (3_600_000, "1:00:00"),
        (36_061_000, "10:01:01"),
        (509_469_000, "141:31:09"),
    ],
)
def test_an_hour_or_more_is_shown_in_hours(ms: int, text: str) -> None:
    assert format_clock(ms) == text
