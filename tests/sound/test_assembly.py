"""Assembly: the timeline laid out as samples, a chunk at a time, the same whatever the chunks."""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
import pytest

from coach.pcm import Samples
from coach.plan.timeline import ChimeClip, Clip, SpanClip, SpanKind, SpeechClip, Timeline
from coach.sound.assembly import CHUNK_SAMPLES, assemble_chunks, session_samples
from coach.time import SAMPLE_RATE, ms_to_samples
from support.timelines import sound_of


def clip(
    start_ms: int,
    end_ms: int,
    kind: Literal["speech", "chime"] | SpanKind = "speech",
    name: str = "a",
) -> Clip:
    if kind == "chime":
        return ChimeClip(start_ms, end_ms, name)
    if kind == "speech":
        return SpeechClip(start_ms, end_ms, name)
    return SpanClip(start_ms, end_ms, kind)


def timeline(clips: list[Clip], total_ms: int) -> Timeline:
    return Timeline("t", tuple(clips), (), total_ms)


def tone(value: int, ms: int) -> Samples:
    return np.full(ms_to_samples(ms), value, dtype=np.int16)


SOUNDS = {"a": tone(1000, 300), "b": tone(2000, 250), "loud": tone(30_000, 200)}


def audio(item: Clip) -> Samples:
    return SOUNDS[sound_of(item) or ""]


def joined(chunks: list[Samples]) -> Samples:
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def test_every_clip_starts_on_its_sample_and_the_rest_is_silence() -> None:
    line = timeline([clip(100, 400), clip(1_000, 1_250, "chime", "b")], 2_000)
    out = joined(list(assemble_chunks(line, audio)))
    assert len(out) == session_samples(line) == ms_to_samples(2_000)
    first, second = ms_to_samples(100), ms_to_samples(1_000)
    assert np.all(out[:first] == 0)
    assert np.all(out[first : first + len(SOUNDS["a"])] == 1000)
    assert np.all(out[first + len(SOUNDS["a"]) : second] == 0)
    assert np.all(out[second : second + len(SOUNDS["b"])] == 2000)
    assert np.all(out[second + len(SOUNDS["b"]) :] == 0)


def test_holds_and_rests_make_no_sound() -> None:
    line = timeline([clip(0, 5_000, "hold"), clip(5_000, 6_000, "rest")], 6_000)
    out = joined(list(assemble_chunks(line, audio)))
    assert len(out) == ms_to_samples(6_000)
    assert not np.any(out)


@pytest.mark.parametrize("chunk", [1, 7, 1_000, 6_615, CHUNK_SAMPLES])
def test_chunk_boundaries_change_nothing(chunk: int) -> None:
    # Clips that straddle a boundary, start on one, and end on one.
    boundary_ms = 300  # 6,615 samples: a chunk boundary for chunk=6,615
    clips = [clip(250, 550), clip(boundary_ms, 550, "chime", "b"), clip(900, 1_200)]
    line = timeline(clips, 1_500)
    reference = joined(list(assemble_chunks(line, audio, chunk_samples=10**9)))
    chunks = list(assemble_chunks(line, audio, chunk_samples=chunk))
    assert all(len(part) == chunk for part in chunks[:-1])
    assert 0 < len(chunks[-1]) <= chunk
    np.testing.assert_array_equal(joined(chunks), reference)


@pytest.mark.parametrize("start_ms", [0, 100, 250, 260, 300, 549, 550, 1_000, 1_499, 1_500])
@pytest.mark.parametrize("chunk", [7, 1_000, CHUNK_SAMPLES])
def test_starting_part_way_gives_the_same_samples_from_there(start_ms: int, chunk: int) -> None:
    # Live play resumes and jumps by assembling from a sample: inside a clip, on its first
    # sample, in the silence, where two clips overlap, at the very end.
    clips = [clip(250, 550), clip(300, 550, "chime", "b"), clip(900, 1_200)]
    line = timeline(clips, 1_500)
    whole = joined(list(assemble_chunks(line, audio)))
    start = ms_to_samples(start_ms) + (1 if start_ms == 260 else 0)
    chunks = list(assemble_chunks(line, audio, chunk_samples=chunk, start=start))
    assert all(len(part) == chunk for part in chunks[:-1])
    np.testing.assert_array_equal(joined(chunks), whole[start:])
    assert whole[start:].any() == (start_ms < 1_200)  # the case holds sound where it should


def test_touching_clips_add_and_clip_to_int16() -> None:
    line = timeline([clip(0, 200, name="loud"), clip(100, 300, "chime", "loud")], 400)
    out = joined(list(assemble_chunks(line, audio)))
    overlap = slice(ms_to_samples(100), ms_to_samples(200))
    assert np.all(out[overlap] == 32767)  # 60,000 clipped, not wrapped round
    assert out[ms_to_samples(50)] == 30_000


def test_a_clip_running_past_the_end_is_cut_at_the_end() -> None:
    line = timeline([clip(900, 1_200)], 1_000)
    out = joined(list(assemble_chunks(line, audio)))
    assert len(out) == ms_to_samples(1_000)
    assert np.all(out[ms_to_samples(900) :] == 1000)


def test_chunks_are_ten_seconds() -> None:
    assert CHUNK_SAMPLES == 10 * SAMPLE_RATE
    line = timeline([], 25_000)
    sizes = [len(part) for part in assemble_chunks(line, audio)]
    assert sizes == [CHUNK_SAMPLES, CHUNK_SAMPLES, ms_to_samples(25_000) - 2 * CHUNK_SAMPLES]


@pytest.mark.parametrize("chunk", [7, 1_000, CHUNK_SAMPLES])
def test_parts_join_up_to_the_whole(chunk: int) -> None:
    clips = [clip(250, 550), clip(300, 550, "chime", "b"), clip(900, 1_200), clip(1_400, 1_700)]
    line = timeline(clips, 1_800)
    whole = joined(list(assemble_chunks(line, audio)))
    cuts = [0, ms_to_samples(300), ms_to_samples(1_000), ms_to_samples(1_450), len(whole)]
    parts = [
        joined(list(assemble_chunks(line, audio, chunk, start=low, end=high)))
        for low, high in itertools.pairwise(cuts)
    ]
    assert [len(part) for part in parts] == [b - a for a, b in itertools.pairwise(cuts)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_each_clip_is_asked_for_in_time_order_when_its_chunk_is_made() -> None:
    """So a source still mastering later phrases is waited for only when they are due."""
    line = timeline(
        [clip(100, 400), clip(1_500, 1_750, "chime", "b"), clip(3_200, 3_500, name="a")], 4_000
    )
    asked: list[tuple[str, int]] = []
    chunks_made = 0

    def recording(item: Clip) -> Samples:
        asked.append((sound_of(item) or "", chunks_made))
        return audio(item)

    for _ in assemble_chunks(line, recording, chunk_samples=ms_to_samples(1_000)):
        chunks_made += 1
    # Chunk 0 is [0, 1 s), chunk 1 [1 s, 2 s), chunk 3 [3 s, 4 s): no clip before its chunk.
    assert asked == [("a", 0), ("b", 1), ("a", 3)]
