"""The session stream: the render's samples exactly, cut and joined with fades, on the device's
clock.

Every test reads the stream the way a device does, a period at a time, and holds what came out
against `assemble_chunks` of the same timeline (what the renderer writes), sample for sample.
"""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np
import pytest

from coach.live.stream import FADE_MS, LEAD_IN_MS, SessionStream
from coach.pcm import Samples
from coach.plan.session import build_session
from coach.plan.timeline import Timeline
from coach.routines import load_routine
from coach.sound.assembly import AudioSource, assemble_chunks
from coach.time import SAMPLE_RATE, ms_to_samples
from support.lengths import EstimatedLengths
from support.paths import EXAMPLE, LONG
from support.sounds import ramp_audio

PERIOD = 220
FADE = ms_to_samples(FADE_MS)
LEAD_IN = ms_to_samples(LEAD_IN_MS)


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return build_session(load_routine(str(EXAMPLE)), EstimatedLengths()).timeline


@pytest.fixture(scope="module")
def audio() -> AudioSource:
    return ramp_audio(EstimatedLengths())


@pytest.fixture(scope="module")
def whole(timeline: Timeline, audio: AudioSource) -> Samples:
    """The session as the renderer assembles it."""
    return np.concatenate(list(assemble_chunks(timeline, audio)))


def read(stream: SessionStream, frames: int) -> Samples:
    """`frames` frames read a period at a time, as a device would (less if the stream ends)."""
    pieces = []
    while frames > 0:
        piece = stream.read(min(PERIOD, frames))
        pieces.append(piece)
        frames -= len(piece)
        if len(piece) < PERIOD and frames > 0:
            break
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)


def read_to_end(stream: SessionStream) -> Samples:
    pieces = []
    while len(piece := stream.read(PERIOD)) == PERIOD:
        pieces.append(piece)
    pieces.append(piece)
    return np.concatenate(pieces)


def test_held_until_released_then_the_lead_in_then_every_sample(
    timeline: Timeline, audio: AudioSource, whole: Samples
) -> None:
    stream = SessionStream(timeline, audio)
    before = stream.state
    assert before == "held"
    held = read(stream, 2 * SAMPLE_RATE)  # the device runs on silence while nobody is ready
    assert len(held) == 2 * SAMPLE_RATE and not held.any()
    assert stream.heard(0) == 0
    stream.release()
    out = read_to_end(stream)
    # Warmed up for longer than the lead-in: the session starts at once.
    assert np.array_equal(out, whole)
    assert stream.state == "ended"
    assert len(stream.read(PERIOD)) == 0
    assert stream.device_frames == 2 * SAMPLE_RATE + len(whole)


def test_a_cold_start_plays_the_lead_in_first(
    timeline: Timeline, audio: AudioSource, whole: Samples
) -> None:
    stream = SessionStream(timeline, audio)
    stream.release()
    out = read_to_end(stream)
    assert not out[:LEAD_IN].any()
    assert np.array_equal(out[LEAD_IN:], whole)


def test_heard_follows_the_device_frames_minus_latency(
    timeline: Timeline, audio: AudioSource
) -> None:
    stream = SessionStream(timeline, audio, lead_in_ms=0)
    stream.release()
    latency = 661
    assert stream.heard(latency) == 0
    read(stream, 10 * PERIOD)
    assert stream.heard(0) == 10 * PERIOD
    assert stream.heard(latency) == 10 * PERIOD - latency
    read(stream, SAMPLE_RATE * 5)
    assert stream.heard(latency) == 10 * PERIOD + SAMPLE_RATE * 5 - latency


def test_pause_fades_then_silence_and_says_where_it_stopped(
    timeline: Timeline, audio: AudioSource, whole: Samples
) -> None:
    stream = SessionStream(timeline, audio, lead_in_ms=0)
    stream.release()
    said = next(c for c in timeline.clips if c.kind == "speech" and c.length_ms > 1000)
    at = ms_to_samples(said.start_ms + 500)
    before = read(stream, at)
    stopped = stream.pause()
    assert stopped == at
    after = read(stream, SAMPLE_RATE)
    fade = after[:FADE].astype(float)
    expected = whole[at : at + FADE].astype(float)
    assert np.all(np.abs(fade) <= np.abs(expected))  # never louder than the sound it fades
    assert abs(fade[0]) > 0.8 * abs(expected[0]) and abs(fade[-1]) < 0.25 * abs(expected[-1])
    assert not after[FADE:].any()  # then silence, for as long as it is paused
    assert stream.state == "paused"
    assert stream.heard(0) == at  # time stands still where the sound stopped
    assert np.array_equal(before, whole[:at])
    assert stream.pause() == at  # pausing again changes nothing


def test_play_from_a_pause_goes_on_at_that_sample(
    timeline: Timeline, audio: AudioSource, whole: Samples
) -> None:
    stream = SessionStream(timeline, audio, lead_in_ms=0)
    stream.release()
    read(stream, SAMPLE_RATE)
    stream.pause()
    read(stream, SAMPLE_RATE)
    target = ms_to_samples(20_000) + 3  # any sample, not only a millisecond
    stream.play_from(target)
    out = read_to_end(stream)
    assert np.array_equal(out, whole[target:])


def test_a_jump_while_playing_fades_the_old_place_then_plays_the_new(
    timeline: Timeline, audio: AudioSource, whole: Samples
) -> None:
    stream = SessionStream(timeline, audio, lead_in_ms=0)
    stream.release()
    said = next(c for c in timeline.clips if c.kind == "speech" and c.length_ms > 1000)
    at = ms_to_samples(said.start_ms + 300)
    read(stream, at)
    target = ms_to_samples(timeline.chapters[1].start_ms)
    stream.play_from(target)
    out = read_to_end(stream)
    assert np.all(np.abs(out[:FADE]) <= np.abs(whole[at : at + FADE]))
    assert np.abs(out[FADE - 1]) < 0.25 * np.abs(whole[at + FADE - 1])
    assert np.array_equal(out[FADE:], whole[target:])
    assert stream.device_frames == at + FADE + len(whole) - target


def test_a_jump_back_to_the_start(timeline: Timeline, audio: AudioSource, whole: Samples) -> None:
    stream = SessionStream(timeline, audio, lead_in_ms=0)
    stream.release()
    read(stream, 3 * SAMPLE_RATE)
    stream.play_from(0)
    out = read_to_end(stream)
    assert np.array_equal(out[FADE:], whole)


def test_stop_fades_and_ends_within_the_fade(timeline: Timeline, audio: AudioSource) -> None:
    stream = SessionStream(timeline, audio, lead_in_ms=0)
    stream.release()
    read(stream, SAMPLE_RATE)
    stream.stop()
    out = stream.read(PERIOD)
    assert len(out) == FADE  # a short read: the output drains and stops
    assert stream.state == "ended"
    assert len(stream.read(PERIOD)) == 0


def test_stop_while_paused_or_held_ends_at_once(timeline: Timeline, audio: AudioSource) -> None:
    for pause in (True, False):
        stream = SessionStream(timeline, audio)
        if pause:
            stream.release()
            read(stream, SAMPLE_RATE)
            stream.pause()
            read(stream, PERIOD)
        stream.stop()
        assert len(stream.read(PERIOD)) == 0
        assert stream.state == "ended"


def test_pause_in_the_lead_in_and_a_jump_to_the_end(timeline: Timeline, audio: AudioSource) -> None:
    stream = SessionStream(timeline, audio)
    stream.release()
    read(stream, PERIOD)
    assert stream.pause() == 0  # nothing was sounding yet
    assert not read(stream, SAMPLE_RATE).any()
    stream.play_from(stream.total)
    assert len(stream.read(PERIOD)) == 0
    assert stream.state == "ended"


def test_reads_from_another_thread_while_the_player_steers(
    timeline: Timeline, audio: AudioSource, whole: Samples
) -> None:
    """A device thread reads all along while the player's thread pauses and jumps: every read
    has its full length, and after the last jump the samples are the render's."""
    stream = SessionStream(timeline, audio, lead_in_ms=0)
    stream.release()
    out: list[Samples] = []
    done = threading.Event()

    def device() -> None:
        while len(piece := stream.read(PERIOD)) == PERIOD:
            out.append(piece)
        out.append(piece)
        done.set()

    thread = threading.Thread(target=device)
    thread.start()
    for target_ms in (30_000, 10_000, 50_000):
        stream.pause()
        stream.play_from(ms_to_samples(target_ms))
    assert done.wait(10)
    thread.join()
    assert all(len(piece) == PERIOD for piece in out[:-1])
    joined = np.concatenate(out)
    tail = whole[ms_to_samples(50_000) :]
    assert np.array_equal(joined[-len(tail) :], tail)


def test_memory_stays_flat_however_long_the_session() -> None:
    """The hour-long routine, streamed to its end: only a chunk or two exists at a time."""
    lengths = EstimatedLengths()
    timeline = build_session(load_routine(str(LONG)), lengths).timeline
    assert timeline.total_ms > 45 * 60_000
    clip_audio = ramp_audio(lengths)
    for clip in timeline.audible_clips():  # made before play, as the phrase book's are
        clip_audio(clip)
    stream = SessionStream(timeline, clip_audio)
    stream.release()
    tracemalloc.start()
    try:
        frames = 0
        while len(piece := stream.read(4410)) == 4410:
            frames += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    session_bytes = 2 * stream.total
    assert frames > 0.99 * stream.total
    assert peak < 4_000_000, f"peak {peak / 1e6:.1f} MB for a {session_bytes / 1e6:.0f} MB session"
