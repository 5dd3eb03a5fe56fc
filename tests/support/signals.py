"""Test signals that behave like speech, for the loudness and mastering tests."""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter

from coach.pcm import Samples
from coach.time import SAMPLE_RATE

RATE = SAMPLE_RATE


def speech_like(duration_s: float, seed: int) -> Samples:
    """A voiced-speech stand-in: a glottal pulse train at a wandering pitch through three
    formant resonators, cut into syllables. Like eSpeak output it has a high peak-to-
    loudness ratio (sharp pulses, gaps between syllables)."""
    rng = np.random.default_rng(seed)
    n = round(duration_s * RATE)
    pitch = 110 + 25 * np.sin(2 * np.pi * 0.7 * np.arange(n) / RATE + rng.uniform(0, 6))
    phase = np.cumsum(pitch / RATE)
    pulses = (np.diff(np.floor(phase), prepend=0.0) > 0).astype(np.float64)
    voiced = pulses + 0.02 * rng.standard_normal(n)
    for freq, bandwidth in ((700.0, 90.0), (1200.0, 110.0), (2600.0, 160.0)):
        r = math.exp(-math.pi * bandwidth / RATE)
        theta = 2 * math.pi * freq / RATE
        voiced = lfilter([1 - r], [1, -2 * r * math.cos(theta), r * r], voiced)
    syllable = np.zeros(n)
    start = 0
    while start < n:
        length = int(rng.uniform(0.12, 0.3) * RATE)
        end = min(n, start + length)
        syllable[start:end] = np.hanning(end - start) * rng.uniform(0.7, 1.0)
        start = end + int(rng.uniform(0.02, 0.12) * RATE)
    x = voiced * syllable
    x *= 0.5 / np.max(np.abs(x))
    return np.round(x * 32767).astype(np.int16)
