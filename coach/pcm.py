"""Mono 16-bit PCM: the audio format that speech, sound, rendering and live play share.

Samples are numpy int16 arrays at `coach.time.SAMPLE_RATE`; WAV bytes are how they are kept
on disk (the phrase cache, the chimes, a WAV render's test of itself).
"""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from coach.time import SAMPLE_RATE

Samples = npt.NDArray[np.int16]
"""A mono clip: one int16 value per sample at SAMPLE_RATE."""


WAV_HEADER_BYTES = 44
"""A WAV header as `wav_header` writes it: RIFF, a 16-byte `fmt ` chunk, the `data` header."""


def wav_header(count: int, rate: int = SAMPLE_RATE, trailing: int = 0) -> bytes:
    """The header of a mono 16-bit PCM WAV file whose data chunk holds `count` samples,
    followed by `trailing` bytes of further chunks (counted in the RIFF size)."""
    data = 2 * count
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    riff = 4 + 8 + len(fmt) + 8 + data + trailing
    return b"".join(
        [
            b"RIFF",
            struct.pack("<I", riff),
            b"WAVE",
            b"fmt ",
            struct.pack("<I", len(fmt)),
            fmt,
            b"data",
            struct.pack("<I", data),
        ]
    )


def sample_bytes(samples: Samples) -> bytes:
    """`samples` as a WAV file's data holds them: 16-bit little-endian."""
    return np.ascontiguousarray(samples, dtype="<i2").tobytes()


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
