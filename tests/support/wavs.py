"""`wav_bytes`: a whole WAV file in memory, made with the product's header and sample format."""

from __future__ import annotations

from coach.pcm import Samples, sample_bytes, wav_header
from coach.time import SAMPLE_RATE


def wav_bytes(samples: Samples, rate: int = SAMPLE_RATE) -> bytes:
    """A complete mono 16-bit WAV file holding `samples`."""
    return wav_header(len(samples), rate) + sample_bytes(samples)
