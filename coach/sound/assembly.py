"""Assemble a timeline into PCM, a chunk at a time.

Memory stays flat however long the session: only one chunk of output exists at once, and
each clip is read from the phrase book's memory, not copied into a whole-session buffer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from coach.pcm import Samples
from coach.plan.timeline import Clip, Timeline
from coach.time import SAMPLE_RATE, ms_to_samples

AudioSource = Callable[[Clip], Samples]
"""The samples of an audible clip (`SessionSounds.audio`)."""

CHUNK_SAMPLES = SAMPLE_RATE * 10
"""Ten seconds of audio per chunk: big enough to be fast, small enough to stay flat."""


def session_samples(timeline: Timeline) -> int:
    """Number of samples of the whole session."""
    return ms_to_samples(timeline.total_ms)


def assemble_chunks(
    timeline: Timeline,
    audio: AudioSource,
    chunk_samples: int = CHUNK_SAMPLES,
    *,
    start: int = 0,
    end: int | None = None,
) -> Iterator[Samples]:
    """Yield the session's samples in order, `chunk_samples` at a time (the last may be short).

    `audio(clip)` gives the samples of an audible clip; it is asked for each clip in time
    order, only when the chunk where the clip starts is made, so a source that is still
    making later clips (`SessionSounds.mastering_ahead`) is waited for no earlier than
    needed. Each clip starts at the sample where its start_ms falls; everything else is
    digital silence, so holds and rests are exact. Where two clips touch, their samples add
    (with clipping to int16). `start` and `end` (sample indices) give just that part of the
    session, the same samples as the whole gives there: consecutive parts join up to the
    whole.
    """
    total = session_samples(timeline) if end is None else min(end, session_samples(timeline))
    waiting = sorted(
        (
            (ms_to_samples(clip.start_ms), clip)
            for clip in timeline.audible_clips()
            if ms_to_samples(clip.start_ms) < total and ms_to_samples(clip.end_ms) > start
        ),
        key=lambda item: item[0],
    )
    next_clip = 0
    active: list[tuple[int, int, Samples]] = []
    for chunk_start in range(start, total, chunk_samples):
        chunk_end = min(chunk_start + chunk_samples, total)
        while next_clip < len(waiting) and waiting[next_clip][0] < chunk_end:
            at, clip = waiting[next_clip]
            samples = audio(clip)
            active.append((at, at + len(samples), samples))
            next_clip += 1
        active = [item for item in active if item[1] > chunk_start]
        if not active:
            yield np.zeros(chunk_end - chunk_start, dtype=np.int16)
            continue
        mix = np.zeros(chunk_end - chunk_start, dtype=np.int32)
        for clip_start, clip_end, samples in active:
            low = max(clip_start, chunk_start)
            high = min(clip_end, chunk_end)
            if low < high:
                mix[low - chunk_start : high - chunk_start] += samples[
                    low - clip_start : high - clip_start
                ]
        yield np.clip(mix, -32768, 32767).astype(np.int16)
