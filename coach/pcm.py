"""Mono 16-bit PCM: the audio format that speech, sound, rendering and live play share.

Samples are numpy int16 arrays at `coach.time.SAMPLE_RATE`; WAV bytes are how they are kept
on disk (the phrase cache, the chimes, a WAV render's test of itself).
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from coach.time import SAMPLE_RATE

Samples = npt.NDArray[np.int16]
"""A mono clip: one int16 value per sample at SAMPLE_RATE."""


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
    stream = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
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
