"""Sound for testing the listener: spoken commands, road noise, mixing at a signal-to-noise
ratio, and an echo path from the speakers to the microphone. Used by tests/live/ and by
scripts/bench_listen.py.

Everything is deterministic: the noise comes from a seeded generator, the voices from the
coach's own engines (which give the same samples for the same phrase).
"""

from __future__ import annotations

import numpy as np

from coach.pcm import Samples
from coach.time import SAMPLE_RATE


def road_noise(seconds: float, seed: int = 0) -> np.ndarray:
    """An idling engine in a parked cab, as float samples of unit RMS: brown noise (a random
    walk, leaky so it does not wander off) with a low rumble at the engine's firing rate
    (about 27 Hz, its harmonics fading) that swells and fades a little."""
    count = round(seconds * SAMPLE_RATE)
    rng = np.random.default_rng(seed)
    from scipy.signal import lfilter

    white = rng.standard_normal(count)
    leak = 1.0 - 20.0 / SAMPLE_RATE  # a pole at about 3 Hz: the walk stays centred
    brown = lfilter([1.0], [1.0, -leak], white)
    brown /= np.sqrt(np.mean(brown**2))
    t = np.arange(count) / SAMPLE_RATE
    firing = 27.0 + 0.3 * np.sin(2 * np.pi * 0.11 * t)
    phase = 2 * np.pi * np.cumsum(firing) / SAMPLE_RATE
    rumble = sum(np.sin(k * phase) / k for k in (1, 2, 3, 4))
    rumble *= 1.0 + 0.2 * np.sin(2 * np.pi * 0.7 * t)
    rumble /= np.sqrt(np.mean(rumble**2))
    noise = brown + 0.7 * rumble
    return np.asarray(noise / np.sqrt(np.mean(noise**2)))


def active_rms(samples: np.ndarray) -> float:
    """RMS of the 10 ms frames that are within 30 dB of the loudest: speech, not its pauses."""
    frame = SAMPLE_RATE // 100
    usable = len(samples) // frame * frame
    powers = (samples[:usable].astype(np.float64).reshape(-1, frame) ** 2).mean(axis=1)
    if not len(powers) or powers.max() <= 0:
        return 0.0
    return float(np.sqrt(powers[powers >= powers.max() * 1e-3].mean()))


def at_snr(noise: np.ndarray, speech: np.ndarray, snr_db: float) -> np.ndarray:
    """`noise` scaled so that `speech` (its active part) stands `snr_db` above it."""
    rms = np.sqrt(np.mean(noise.astype(np.float64) ** 2))
    return np.asarray(noise * (active_rms(speech) / rms / 10 ** (snr_db / 20)))


def room_echo(played: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """What a microphone in a cab hears of `played`: a direct path 3 ms away, reflections over
    the next 60 ms, a little bass lost in small speakers (a one-pole high-pass at ~150 Hz)."""
    taps = np.zeros(round(0.07 * SAMPLE_RATE))
    rng = np.random.default_rng(7)
    direct = round(0.003 * SAMPLE_RATE)
    taps[direct] = 1.0
    tail = np.arange(direct + 1, len(taps))
    decay = np.exp(-(tail - direct) / (0.02 * SAMPLE_RATE))
    taps[tail] = 0.25 * rng.standard_normal(len(tail)) * decay
    from scipy.signal import fftconvolve, lfilter

    out = fftconvolve(played.astype(np.float64), taps)[: len(played)]
    pole = np.exp(-2 * np.pi * 150 / SAMPLE_RATE)
    high = lfilter([pole, -pole], [1.0, -pole], out)
    return np.asarray(high * gain)


def cab_path(played: np.ndarray, delay_s: float, gain: float = 1.0) -> np.ndarray:
    """`room_echo` of `played`, heard `delay_s` later still: a sound system's buffering that
    the player's clocks do not know of."""
    delay = round(delay_s * SAMPLE_RATE)
    echo = room_echo(played, gain)
    return np.concatenate([np.zeros(delay), echo])[: len(played)]


def erle_db(echo: np.ndarray, residual: np.ndarray) -> float:
    """Echo return loss enhancement: how far below the echo what is left of it lies, in dB."""
    left = float(np.mean(residual.astype(np.float64) ** 2))
    return 10 * float(np.log10(float(np.mean(echo.astype(np.float64) ** 2)) / max(left, 1e-12)))


def to_samples(mix: np.ndarray) -> Samples:
    """Float samples to int16, clipped."""
    return np.clip(np.round(mix), -32768, 32767).astype(np.int16)
