"""Time: integer milliseconds everywhere, and every conversion to what people and devices see.

The plan, the script and the timeline count in whole milliseconds. This module is the one
place where they become samples (for audio), clock text (for people), or minutes and
seconds (for what users type and read). It imports nothing but the standard library, so
every stage can use it.

>>> ms_to_samples(1_000)
22050
>>> format_clock(125_400)
'2:05'
"""

from __future__ import annotations

import math

SAMPLE_RATE = 22_050
"""Samples per second of every clip, chime and rendered session."""


def ms_to_samples(ms: int, rate: int = SAMPLE_RATE) -> int:
    """The sample index at which a time of `ms` milliseconds falls (rounded to nearest).

    >>> ms_to_samples(1), ms_to_samples(500), ms_to_samples(1_000, 8_000)
    (22, 11025, 8000)
    """
    return (ms * rate + 500) // 1000


def samples_to_ms(count: int, rate: int = SAMPLE_RATE) -> int:
    """Milliseconds needed to hold `count` samples, rounded up so the clip always fits.

    >>> samples_to_ms(22_050), samples_to_ms(22_051), samples_to_ms(0)
    (1000, 1001, 0)
    """
    return -(-count * 1000 // rate)


def format_clock(ms: int, *, round_up: bool = False, width: int = 1, hours: bool = False) -> str:
    """Milliseconds as m:ss, or as h:mm:ss from one hour on (or always, with `hours`, so
    that the lines of one listing line up): rounded down to the second, or up with
    `round_up` (for a minimum that must be met); the first number zero-padded to `width`
    digits.

    >>> format_clock(125_400), format_clock(125_400, round_up=True), format_clock(5_000, width=2)
    ('2:05', '2:06', '00:05')
    >>> format_clock(3_599_999), format_clock(3_600_000), format_clock(509_469_000)
    ('59:59', '1:00:00', '141:31:09')
    >>> format_clock(5_000, hours=True), format_clock(5_000, width=2, hours=True)
    ('0:00:05', '00:00:05')
    """
    seconds = -(-ms // 1000) if round_up else ms // 1000
    whole_hours, seconds_in_hour = divmod(seconds, 3600)
    if whole_hours or hours:
        minutes, rest = divmod(seconds_in_hour, 60)
        return f"{whole_hours:0{width}d}:{minutes:02d}:{rest:02d}"
    return f"{seconds // 60:0{width}d}:{seconds % 60:02d}"


def format_length(ms: int) -> str:
    """How long a session is, for people: m:ss (h:mm:ss from an hour on) rounded up to the
    second, everywhere a length is shown, so a session asked to be at most 5 minutes never
    reads 5:01 and the shortest version reads the same in every message.

    >>> format_length(645_469), format_length(300_000), format_length(92_400)
    ('10:46', '5:00', '1:33')
    """
    return format_clock(ms, round_up=True)


def seconds_left(ms: int) -> int:
    """Whole seconds still to go, as a countdown shows them (rounded up).

    >>> seconds_left(12_000), seconds_left(11_001), seconds_left(0)
    (12, 12, 0)
    """
    return -(-ms // 1000)


def seconds_text(ms: int, places: int = 3) -> str:
    """A length in seconds for people, rounded to `places` decimals, shown only where needed.

    >>> seconds_text(10_000), seconds_text(2_500), seconds_text(6_384, places=1)
    ('10 s', '2.5 s', '6.4 s')
    """
    return f"{round(ms / 1000, places):g} s"


def seconds_to_ms(seconds: float) -> int:
    """Seconds (whole or decimal, as a routine file gives them) in whole milliseconds.

    >>> seconds_to_ms(20), seconds_to_ms(1.5), seconds_to_ms(0.0004)
    (20000, 1500, 0)
    """
    return round(seconds * 1000)


def minutes_to_ms(minutes: float) -> int:
    """A user's --minutes as whole milliseconds (any finite number, however large).

    >>> minutes_to_ms(5), minutes_to_ms(1.55), minutes_to_ms(1e305) == int(1e305) * 60_000
    (300000, 93000, True)
    """
    ms = minutes * 60_000
    return round(ms) if math.isfinite(ms) else int(minutes) * 60_000


def minutes_at_least(ms: int) -> float:
    """The fewest minutes to ask for to get a session of `ms`: its length as shown (rounded
    up to the second, see `format_length`), in minutes rounded up to the hundredth.

    >>> minutes_at_least(92_400), minutes_at_least(90_000), minutes_at_least(90_001)
    (1.55, 1.5, 1.52)
    """
    return math.ceil(math.ceil(ms / 1000) * 100 / 60) / 100


def minutes_text(minutes: float) -> str:
    """A number of minutes for a sentence.

    >>> minutes_text(1), minutes_text(5), minutes_text(1.5), minutes_text(0.5)
    ('1 minute', '5 minutes', '1.5 minutes', '0.5 minutes')
    """
    return "1 minute" if minutes == 1 else f"{minutes:g} minutes"
