"""MP3 encoding: size, determinism, and exact sample positions after decoding."""

from __future__ import annotations

import importlib
import io
from pathlib import Path
from typing import Any

import miniaudio
import numpy as np
import pytest
from scipy.signal import butter, lfilter

from coach.pcm import Samples
from coach.render.mp3 import (
    DECODER_OFFSET_SAMPLES,
    ENCODER_DELAY_SAMPLES,
    FRAME_SAMPLES_MPEG2,
    Mp3Encoder,
)
from coach.time import SAMPLE_RATE

RATE = SAMPLE_RATE
mutagen_mp3: Any = importlib.import_module("mutagen.mp3")  # mutagen's own hints are partial
id3: Any = importlib.import_module("mutagen.id3")

UNPATCHED_OFFSET_SAMPLES = DECODER_OFFSET_SAMPLES + FRAME_SAMPLES_MPEG2
"""Where input sample 0 lands when the placeholder header was written but never replaced:
the placeholder plays as one frame of silence (at 8-24 kHz, so 22,050 Hz: 1681 samples)."""


def programme(seconds: float, seed: int = 0) -> Samples:
    """Band-limited noise in bursts with pauses: broadband enough to cross-correlate sharply,
    with silences like a session's."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    b, a = butter(4, 6000 / (RATE / 2))
    noise = lfilter(b, a, rng.standard_normal(n)) * 4000
    gate = np.repeat(rng.random(n // 2205 + 1) > 0.3, 2205)[:n]
    return np.asarray(np.round(noise * gate), dtype=np.int16)


def encode(samples: Samples, chunk: int = 4096, **settings: int) -> tuple[bytes, bytes]:
    """(file with the patched info frame, bare stream) for `samples`."""
    encoder = Mp3Encoder(**settings)
    out = io.BytesIO()
    out.write(encoder.header())
    for i in range(0, samples.size, chunk):
        out.write(encoder.encode(samples[i : i + chunk]))
    out.write(encoder.flush())
    stream = out.getvalue()[len(encoder.header()) :]
    out.seek(0)
    out.write(encoder.header())
    return out.getvalue(), stream


def decode(data: bytes) -> Samples:
    decoded = miniaudio.decode(
        data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=RATE
    )
    assert decoded.sample_rate == RATE and decoded.nchannels == 1
    return np.asarray(decoded.samples, dtype=np.int16)


def lag(decoded: Samples, original: Samples) -> int:
    """Offset of `original` inside `decoded`, by cross-correlation (FFT)."""
    size = decoded.size + original.size
    spectrum = np.fft.rfft(decoded.astype(np.float64), size) * np.conj(
        np.fft.rfft(original.astype(np.float64), size)
    )
    correlation = np.fft.irfft(spectrum, size)
    best = int(np.argmax(correlation))
    return best if best < decoded.size else best - size


def test_a_minute_is_360_kb_and_five_minutes_fit_in_2_5_mb() -> None:
    data, _ = encode(programme(60.0))
    assert len(data) == pytest.approx(48_000 / 8 * 60, rel=0.01)
    assert 5 * len(data) < 2_500_000


def test_same_input_gives_the_same_bytes_whatever_the_chunking() -> None:
    samples = programme(8.0, seed=1)
    first, _ = encode(samples, chunk=4096)
    assert encode(samples, chunk=4096)[0] == first
    assert encode(samples, chunk=1000)[0] == first
    assert encode(samples, chunk=samples.size)[0] == first


@pytest.mark.parametrize("seconds", [0.05, 1.0, 7.3])
def test_decoded_audio_lines_up_exactly_with_the_info_frame(seconds: float) -> None:
    samples = programme(seconds, seed=2)
    data, _ = encode(samples)
    decoded = decode(data)
    assert decoded.size == samples.size
    assert lag(decoded, samples) == 0
    assert mutagen_mp3.MP3(io.BytesIO(data)).info.length == pytest.approx(samples.size / RATE)


@pytest.mark.parametrize("length", [576 * 20, 576 * 20 + 1, 30_001, 44_100])
def test_the_bare_stream_is_late_by_the_decoder_offset(length: int) -> None:
    samples = programme(length / RATE, seed=3)
    _, stream = encode(samples)
    decoded = decode(stream)
    assert lag(decoded, samples) == DECODER_OFFSET_SAMPLES == 1105
    padding = decoded.size - DECODER_OFFSET_SAMPLES - samples.size
    assert 0 <= padding < 2 * 576  # the end is padded to whole frames, plus LAME's flush


def test_the_encoder_delay_constant_matches_a_click() -> None:
    # A click is an unambiguous marker: its peak must come out exactly 1105 samples late.
    samples = np.zeros(2 * RATE, dtype=np.int16)
    samples[10_000] = 20_000
    _, stream = encode(samples, quality=2)
    decoded = decode(stream).astype(np.int32)
    assert int(np.argmax(np.abs(decoded))) == 10_000 + ENCODER_DELAY_SAMPLES + 529


def test_an_unpatched_placeholder_plays_as_one_silent_frame() -> None:
    samples = programme(3.0, seed=4)
    encoder = Mp3Encoder()
    data = encoder.header() + b"".join(
        encoder.encode(samples[i : i + 5000]) for i in range(0, samples.size, 5000)
    )
    data += encoder.flush()
    assert lag(decode(data), samples) == UNPATCHED_OFFSET_SAMPLES


def test_info_frame_survives_an_id3_tag_in_front(tmp_path: Path) -> None:
    samples = programme(2.0, seed=5)
    path = tmp_path / "tagged.mp3"
    path.write_bytes(encode(samples)[0])
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=3, text="x"))
    tags.save(path)
    decoded = decode(path.read_bytes())
    assert decoded.size == samples.size
    assert lag(decoded, samples) == 0


def test_encoder_rejects_bad_input_and_reuse() -> None:
    encoder = Mp3Encoder()
    with pytest.raises(ValueError, match="int16"):
        encoder.encode(np.zeros(10, dtype=np.float32))
    assert encoder.encode(np.zeros(0, dtype=np.int16)) == b""
    encoder.flush()
    with pytest.raises(RuntimeError):
        encoder.encode(np.zeros(10, dtype=np.int16))
    with pytest.raises(ValueError, match="bit rate"):
        Mp3Encoder(bitrate_kbps=50)
    with pytest.raises(ValueError, match="sample rate"):
        Mp3Encoder(rate=22_000)


def test_info_frame_fields() -> None:
    samples = programme(2.5, seed=6)
    encoder = Mp3Encoder()
    stream = encoder.encode(samples) + encoder.flush()
    frame = encoder.header()
    assert len(frame) == 156  # one 48 kbit/s frame at 22,050 Hz, like the rest
    assert frame[:4] == stream[:2] + bytes((stream[2] & 0xFD,)) + stream[3:4]  # same kind
    assert frame[13:17] == b"Info"
    frames, size = int.from_bytes(frame[21:25], "big"), int.from_bytes(frame[25:29], "big")
    assert size == len(frame) + len(stream)
    assert frames * 576 == ENCODER_DELAY_SAMPLES + samples.size + encoder.padding_samples
    assert frame[29:33] == b"LAME"
    delay_padding = int.from_bytes(frame[29 + 21 : 29 + 24], "big")
    assert delay_padding >> 12 == ENCODER_DELAY_SAMPLES
    assert delay_padding & 0xFFF == encoder.padding_samples
    # The LAME tag CRC (CRC-16/ARC) covers the frame up to the CRC field.
    assert crc16_arc(b"123456789") == 0xBB3D  # the catalogue check value
    assert int.from_bytes(frame[29 + 34 : 29 + 36], "big") == crc16_arc(frame[: 29 + 34])


def crc16_arc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc
