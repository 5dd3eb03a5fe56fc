"""Mono 16-bit PCM at one sample rate: the audio format every edge module shares.

Times in the core are integer milliseconds; this module is where they become samples.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 22_050
"""Samples per second of every clip, chime and rendered session."""

Samples = npt.NDArray[np.int16]
"""A mono clip: one int16 value per sample at SAMPLE_RATE."""


def ms_to_samples(ms: int, rate: int = SAMPLE_RATE) -> int:
    """The sample index at which a time of `ms` milliseconds falls (rounded to nearest)."""
    return (ms * rate + 500) // 1000


def samples_to_ms(count: int, rate: int = SAMPLE_RATE) -> int:
    """Milliseconds needed to hold `count` samples, rounded up so the clip always fits."""
    return -(-count * 1000 // rate)


def wav_bytes(samples: Samples, rate: int = SAMPLE_RATE) -> bytes:
    """A complete mono 16-bit WAV file holding `samples`."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())
    return buffer.getvalue()


def read_wav(source: Path | bytes) -> tuple[Samples, int]:
    """Read a 16-bit WAV (mono, or stereo mixed down) into samples and its sample rate.

    Raises wave.Error or EOFError for a file that is not such a WAV.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    with stream, wave.open(stream, "rb") as wav:
        if wav.getsampwidth() != 2:
            raise wave.Error(f"expected 16-bit samples, found {8 * wav.getsampwidth()}-bit")
        channels = wav.getnchannels()
        rate = wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    data = np.frombuffer(frames, dtype="<i2")
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).round().astype(np.int16)
    return data.astype(np.int16, copy=True), rate
