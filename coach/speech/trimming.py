"""Trimming speech to its sound: where the words are, and a clip cut to them.

The phrase book trims every clip it keeps (`trim_silence`); Piper finds each sentence's
sound the same way (`loud_span`) before joining the sentences of a phrase.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coach.pcm import Samples
from coach.time import SAMPLE_RATE, ms_to_samples

__all__ = [
    "FADE_MS",
    "LEAD_MARGIN_MS",
    "TRAIL_MARGIN_MS",
    "TRIM_THRESHOLD",
    "TRIM_THRESHOLD_DBFS",
    "loud_span",
    "trim_silence",
]

TRIM_THRESHOLD_DBFS = -45.0
"""Edge samples quieter than this (relative to full scale) count as silence.

eSpeak's own padding is digital zero, and the words rise well above -45 dBFS within a
millisecond or two of their first non-zero sample, so this finds the words' true edges.
"""

TRIM_THRESHOLD = 10.0 ** (TRIM_THRESHOLD_DBFS / 20.0)
"""TRIM_THRESHOLD_DBFS as a fraction of full scale."""

LEAD_MARGIN_MS = 10
"""Kept before the first loud sample, so a soft onset ("f", "h", "s") is not cut."""

TRAIL_MARGIN_MS = 20
"""Kept after the last loud sample: word endings (released stops, fricatives) fade slower."""

FADE_MS = 5
"""Both ends of a trimmed clip fade in and out over this much (inside the margins, where
the sound is already below the threshold): Piper's silence is a faint hiss, not digital
zero, and a clip cut in it would start or end with a click once mastered."""


def trim_silence(samples: Samples, rate: int = SAMPLE_RATE) -> Samples:
    """`samples` without leading and trailing silence, keeping the edge margins.

    Silence is any run of samples below TRIM_THRESHOLD_DBFS at either end. The margins fade
    in and out over FADE_MS (never into a loud sample), so the clip ends on zero. An
    all-silent clip becomes empty. Always returns a new array, so a long engine buffer can
    be freed.
    """
    # int32 first: abs(-32768) does not fit in int16.
    span = loud_span(
        np.abs(samples.astype(np.int32)),
        32768.0 * TRIM_THRESHOLD,
        ms_to_samples(LEAD_MARGIN_MS, rate),
        ms_to_samples(TRAIL_MARGIN_MS, rate),
    )
    if span is None:
        return np.zeros(0, dtype=np.int16)
    start, end, first, last = span
    clip = samples[start:end].astype(np.float64)
    fade = ms_to_samples(FADE_MS, rate)
    lead, trail = min(fade, first - start), min(fade, end - 1 - last)
    if lead > 0:
        clip[:lead] *= np.linspace(0.0, 1.0, lead, endpoint=False)
    if trail > 0:
        clip[len(clip) - trail :] *= np.linspace(1.0, 0.0, trail + 1)[1:]
    return np.round(clip).astype(np.int16)


def loud_span(
    magnitude: Any, threshold: float, lead: int, trail: int
) -> tuple[int, int, int, int] | None:
    """Where the sound in `magnitude` (absolute sample values) is: (start, end, first,
    last), `first` and `last` being the first and last samples above `threshold` and
    start:end those widened by `lead` and `trail` samples (within the clip). None when
    nothing is above `threshold`."""
    loud = np.flatnonzero(magnitude > threshold)
    if loud.size == 0:
        return None
    first, last = int(loud[0]), int(loud[-1])
    return max(0, first - lead), min(len(magnitude), last + 1 + trail), first, last
