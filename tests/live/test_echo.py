"""Echo cancellation, measured: the coach's own sound through a cab's echo path (a delay the
clocks do not know of, reflections, bass loss) is taken out of the microphone, the lag is
found by cross-correlation, and a voice over the coach's passes through.

The "speech" here is deterministic noise shaped like speech (bursts of a few hundred ms with
pauses between, most of the power low), so the tests need no voice and run in a second.
"""

from __future__ import annotations

import numpy as np

from coach.live.echo import BLOCK, PRE_DELAY, EchoCanceller
from coach.time import SAMPLE_RATE
from support.listening import cab_path, erle_db, to_samples

DELAY_S = 0.09
"""Buffering the clocks do not know of: the canceller is told the lag is 0."""

DIRECT = round(DELAY_S * SAMPLE_RATE) + round(0.003 * SAMPLE_RATE)
"""Where the echo path's direct sound lands (room_echo puts it 3 ms in)."""


def talk(seconds: float, seed: int) -> np.ndarray:
    """Bursts of low-passed noise, 0.2 to 0.6 s long, with pauses of 0.1 to 0.3 s."""
    rng = np.random.default_rng(seed)
    out = np.zeros(round(seconds * SAMPLE_RATE))
    at = 0
    while at < len(out):
        length = round(rng.uniform(0.2, 0.6) * SAMPLE_RATE)
        burst = np.cumsum(rng.standard_normal(length + 64))  # brownish: speech-like tilt
        burst = burst[64:] - np.convolve(burst, np.ones(65) / 65, mode="same")[64:]
        burst *= np.hanning(length) * 3000 / (np.std(burst) + 1e-9)
        out[at : at + length] = burst[: len(out) - at]
        at += length + round(rng.uniform(0.1, 0.3) * SAMPLE_RATE)
    return out


def run(canceller: EchoCanceller, played: np.ndarray, mic: np.ndarray, hint: int = 0) -> np.ndarray:
    """Both streams through the canceller in 50 ms blocks, as live play feeds it."""
    block = SAMPLE_RATE // 20
    out = []
    played_int, mic_int = to_samples(played), to_samples(mic)
    for start in range(0, len(mic), block):
        canceller.played(played_int[start : start + block])
        out.append(canceller.cancel(mic_int[start : start + block], hint))
    return np.concatenate(out).astype(np.float64)


def test_the_lag_is_found_and_the_echo_taken_out() -> None:
    played = talk(12.0, seed=1)
    echo = cab_path(played, DELAY_S, gain=0.7)
    canceller = EchoCanceller()
    cleaned = run(canceller, played, echo)
    assert canceller.lag is not None and abs(canceller.lag - DIRECT) <= 2
    assert len(cleaned) > len(echo) - BLOCK
    half = len(echo) // 2
    # Learned within the first half; after that, what is left lies far below the echo.
    assert erle_db(echo[half:], cleaned[half : len(echo)]) > 30.0


def test_a_voice_over_the_coachs_passes_through() -> None:
    played = talk(14.0, seed=2)
    echo = cab_path(played, DELAY_S, gain=0.7)
    voice = np.zeros_like(echo)
    voice[round(8 * SAMPLE_RATE) : round(12 * SAMPLE_RATE)] = talk(4.0, seed=3)
    cleaned = run(EchoCanceller(), played, echo + voice)
    span = slice(round(8 * SAMPLE_RATE), round(12 * SAMPLE_RATE))
    # The voice comes out nearly as it went in (within 1 dB), with the coach's echo gone.
    assert erle_db(voice[span], cleaned[span] - voice[span]) > 15.0
    after = slice(round(12.5 * SAMPLE_RATE), len(cleaned))
    assert erle_db(echo[after], cleaned[after]) > 25.0  # the voice did not spoil the filter


def test_with_nothing_played_the_microphone_is_left_alone() -> None:
    mic = to_samples(talk(3.0, seed=4))
    canceller = EchoCanceller()
    cleaned = run(canceller, np.zeros(len(mic)), mic.astype(np.float64))
    assert canceller.lag is None
    assert np.array_equal(cleaned, mic[: len(cleaned)])


def test_the_clocks_guess_is_used_until_the_lag_is_measured() -> None:
    played = talk(1.4, seed=5)  # too short to measure
    echo = cab_path(played, DELAY_S)
    left = {}
    for hint in (DIRECT - PRE_DELAY // 2, DIRECT + SAMPLE_RATE // 2):
        canceller = EchoCanceller()
        cleaned = run(canceller, played, echo, hint=hint)
        assert canceller.lag is None
        left[hint] = erle_db(echo[SAMPLE_RATE // 2 : len(cleaned)], cleaned[SAMPLE_RATE // 2 :])
    right, wrong = left.values()
    assert right > 3.0 and abs(wrong) < 0.5  # a guess half a second out cancels nothing
