"""The shared PCM format: WAV bytes that round-trip exactly, stereo mixed down, others refused."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from coach.pcm import read_wav
from coach.time import SAMPLE_RATE
from support.wavs import wav_bytes


def test_wav_bytes_round_trip_every_sample() -> None:
    samples = np.array([0, 1, -1, 32767, -32768, 12345], dtype=np.int16)
    data = wav_bytes(samples)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert len(data) == 44 + 2 * len(samples)
    read, rate = read_wav(data)
    assert rate == SAMPLE_RATE
    np.testing.assert_array_equal(read, samples)
    assert read.dtype == np.int16


def test_read_wav_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    path.write_bytes(wav_bytes(np.arange(100, dtype=np.int16), 16_000))
    read, rate = read_wav(path)
    assert rate == 16_000
    np.testing.assert_array_equal(read, np.arange(100))


def test_the_same_samples_give_the_same_bytes() -> None:
    samples = np.arange(-500, 500, dtype=np.int16)
    assert wav_bytes(samples) == wav_bytes(samples.copy())


def _wav(channels: int, width: int, frames: bytes) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(frames)
    return buffer.getvalue()


def test_stereo_is_mixed_down_to_mono() -> None:
    left_right = np.array([100, 300, -50, -150, 7, 8], dtype="<i2").tobytes()
    read, _ = read_wav(_wav(2, 2, left_right))
    np.testing.assert_array_equal(read, [200, -100, 8])


def test_8_bit_audio_is_refused() -> None:
    with pytest.raises(wave.Error, match="16-bit"):
        read_wav(_wav(1, 1, bytes(10)))


def test_garbage_is_refused() -> None:
    with pytest.raises((wave.Error, EOFError)):
        read_wav(b"RIFF but not really a wave file")
