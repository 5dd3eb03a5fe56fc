"""Mastering of one phrase: loudness gain and a look-ahead true-peak limiter, in numpy alone.

`master_clip` brings a clip to a loudness with its true peak under a ceiling, never by
clipping; `master_speech` is what every spoken phrase gets (a low-pass, `master_clip` at the
session's levels, and click-free edges), named by `MASTERING_ID` in the phrase cache.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import numpy.typing as npt

from coach.pcm import Samples
from coach.sound.loudness import (
    ABSOLUTE_GATE_LUFS,
    FULL_SCALE,
    FloatArray,
    amplitude_to_db,
    as_float,
    clip_loudness,
    fft_convolve,
    true_peak_envelope,
)
from coach.time import SAMPLE_RATE

ATTACK_MS = 5.0
"""Limiter look-ahead: the gain starts to fall this long before a peak."""

RELEASE_MS = 50.0
"""Limiter release: time constant of the exponential return of the gain reduction (in dB)."""

MAX_MAKEUP_DB = 8.0
"""Most gain `master_clip` adds beyond the first estimate to win back the loudness the
limiter takes. With 4 dB, most phrases of both voices stayed under the target (the natural
voice's true peaks stand 19 dB over its loudness, eSpeak's 18 dB, where the ceiling leaves
12), and the natural voice's session came out at -17.1 LUFS (brief: -17.2). With 8 dB and a
ceiling of -2.7 dBTP, sessions of both voices measured -15.9 to -17.0 LUFS and -1.7 dBTP at
most. A clip whose peaks would need more comes out under the target instead of being
squashed."""

_LIMITER_MARGIN_DB = 0.1
"""The limiter aims this far under the ceiling: the gain envelope is computed per sample
while true peaks fall between samples, so a little headroom absorbs the interaction."""


def _sliding_max(x: FloatArray, width: int) -> FloatArray:
    """max(x[i : i + width]) for every i where the window fits (x.size - width + 1 values).

    By doubling: after k rounds, entry i is the max of the 2**k samples from i, each round
    one np.maximum of two shifted views. Two overlapping power-of-two windows then cover
    any width. About log2(width) passes over the data: 7 for the limiter's 111 samples,
    1 ms for 7 s at 22,050 Hz where a (n, width) sliding-window view takes 9 ms.
    """
    if not 1 <= width <= x.size:
        raise ValueError(f"window of {width} samples does not fit in {x.size}")
    covered = 1
    maxima = x
    while 2 * covered <= width:
        maxima = np.maximum(maxima[:-covered], maxima[covered:])
        covered *= 2
    rest = width - covered  # 0 <= rest < covered: the two windows overlap or touch
    return np.maximum(maxima[: maxima.size - rest], maxima[rest:])


def limiter_gain_db(
    peaks: FloatArray, rate: int, ceiling: float, attack_ms: float = ATTACK_MS
) -> FloatArray:
    """Gain reduction in dB (>= 0) per sample that keeps `peaks` under `ceiling` (linear).

    Three steps, all vectorised (no per-sample Python loop):
      1. the reduction each sample needs on its own, from its peak and its neighbour's
         (a true peak between two samples depends on both);
      2. hold + exponential release: each need decays with time constant RELEASE_MS after
         its sample, and the envelope is the largest of these decays. In log space that is a
         running maximum, computed exactly with `np.maximum.accumulate`;
      3. look-ahead attack: a forward running maximum over `attack` samples, then a moving
         average over the same span, which turns each rise into a straight ramp in dB that
         ends at the peak. Each output is an average of values that are all >= the need at
         that sample, so no peak escapes.
    """
    both = np.maximum(peaks, np.concatenate(([0.0], peaks[:-1])))
    with np.errstate(divide="ignore"):
        need = np.maximum(0.0, 20.0 * np.log10(both / ceiling))
    if not np.any(need):
        return np.zeros_like(need)

    decay = 1.0 / (RELEASE_MS / 1000.0 * rate)  # natural-log decay per sample
    ramp = np.arange(need.size, dtype=np.float64) * decay
    with np.errstate(divide="ignore"):
        held = np.exp(np.maximum.accumulate(np.log(need) + ramp) - ramp)

    # Rounded down to even: the span the limiter has always used (110 samples at 22,050 Hz).
    span = max(2, round(attack_ms / 1000.0 * rate) // 2 * 2)
    # held >= 0, so zeros after the end stand in for "nothing more to look ahead at".
    ahead = _sliding_max(np.concatenate((held, np.zeros(span))), span + 1)  # [n, n + span]
    # Mean over [n - span, n]. Before the first sample, repeat the first look-ahead value
    # (not zero): a clip that starts loud must start already reduced.
    sums = np.cumsum(np.concatenate((np.full(span + 1, ahead[0]), ahead)))
    smoothed = (sums[span + 1 :] - sums[: held.size]) / (span + 1)
    return np.asarray(smoothed, dtype=np.float64)


def _limit(
    x: FloatArray, rate: int, ceiling_dbtp: float, envelope: FloatArray | None = None
) -> FloatArray:
    """`x` with its true peak brought under the ceiling.

    `envelope` is `true_peak_envelope(x)` when the caller already has it.
    """
    ceiling = 10.0 ** ((ceiling_dbtp - _LIMITER_MARGIN_DB) / 20.0)
    if envelope is None:
        envelope = true_peak_envelope(x)
    reduction = limiter_gain_db(envelope, rate, ceiling)
    if not np.any(reduction):
        return x
    return x * 10.0 ** (-reduction / 20.0)


def master_clip(
    samples: Samples,
    rate: int = SAMPLE_RATE,
    target_lufs: float = -16.0,
    ceiling_dbtp: float = -1.5,
) -> Samples:
    """One phrase clip gained to `target_lufs` with its true peak at most `ceiling_dbtp`.

    Loudness is measured with the same K-weighted meter as the whole track (gated; ungated
    for clips under 400 ms). The look-ahead limiter then pulls the peaks down with a smooth
    gain envelope (an ATTACK_MS ramp before each peak, RELEASE_MS release), never by
    clipping. Limiting lowers the loudness a little, so gain and limiting are repeated (at
    most eight rounds, secant steps) until the result is within 0.05 LU of the target, or
    until MAX_MAKEUP_DB of extra gain is spent (then the clip stays a little under the
    target rather than be squashed). Returns int16 samples of the same length. Digital
    silence, or a clip at or under the -70 LUFS gate, comes back unchanged.
    """
    x = as_float(samples)
    loudness = clip_loudness(x, rate)
    if not math.isfinite(loudness) or loudness <= ABSOLUTE_GATE_LUFS:
        return np.array(samples, dtype=np.int16, copy=True)

    first_gain = target_lufs - loudness
    gain_db = first_gain
    envelope = true_peak_envelope(x)
    previous: tuple[float, float] | None = None
    for _ in range(8):
        # The envelope is linear in the signal, so it is computed once and scaled.
        gain = 10.0 ** (gain_db / 20.0)
        out = _limit(x * gain, rate, ceiling_dbtp, envelope * gain)
        reached = clip_loudness(out, rate)
        error = target_lufs - reached
        if abs(error) <= 0.05:
            break
        # Loudness grows more slowly than gain once the limiter works, so step by the
        # measured slope (secant), bounded so a noisy estimate cannot overshoot wildly.
        step = 1.0
        if previous is not None and reached != previous[1]:
            step = min(4.0, max(1.0, (gain_db - previous[0]) / (reached - previous[1])))
        previous = (gain_db, reached)
        gain_db = min(gain_db + error * step, first_gain + MAX_MAKEUP_DB)
        if gain_db == previous[0]:
            break  # the cap is reached: the target would cost more limiting than allowed

    # The per-sample envelope keeps a margin under the ceiling; a second pass runs only if
    # the envelope's interaction with inter-sample peaks still left an overshoot.
    if amplitude_to_db(float(true_peak_envelope(out).max())) > ceiling_dbtp - 0.02:
        out = _limit(out, rate, ceiling_dbtp)
    return np.clip(np.round(out * FULL_SCALE), -32768, 32767).astype(np.int16)


SPEECH_LUFS = -14.5
"""Loudness each phrase is mastered to. The session's target is -16 LUFS integrated; the
quiet edges of phrases, short words and the softer chimes pull the whole track about
1.5 LU under its phrases (measured -15.8 to -16.7 LUFS across voices, rates and lengths)."""
SPEECH_CEILING_DBTP = -2.7
"""True-peak ceiling for each phrase. The session must stay at or under -1 dBTP after MP3
decoding, and the encoder adds up to about 0.8 dB of overshoot (up to 1.3 dB on phrases
limited hard, hence -2.7 rather than -2.5 since the make-up gain went up to 8 dB)."""
SPEECH_TOP_HZ = 8_000
"""Speech is low-passed here before mastering. eSpeak's clicks reach up to the Nyquist
frequency; the MP3 encoder cuts them off and their peaks then overshoot the ceiling by
up to 1.7 dB after decoding. Nothing a listener needs lies above 8 kHz."""
SPEECH_LOWPASS_ORDER = 8
"""Order of the Butterworth low-pass, applied forwards and backwards (zero phase)."""
FADE_MS = 3
MASTERING_ID = (
    f"mastered {SPEECH_LUFS} LUFS {SPEECH_CEILING_DBTP} dBTP lowpass {SPEECH_TOP_HZ} Hz "
    f"fade {FADE_MS} ms makeup {MAX_MAKEUP_DB:g} dB v4"
)
"""Names what `master_speech` does, in the cache key of mastered clips: change it (the
version at the end) whenever the output would change. v3: the low-pass and the meters in
numpy; the low-pass leaves silence rather than scipy's odd extension beyond the clip, which
changes samples within 2 ms of either end. v4: up to 8 dB of make-up gain, not 4, and a
ceiling of -2.7 dBTP, not -2.5."""

_LOWPASS_REACH = 256
"""Samples kept on each side of the low-pass impulse response (peak 0.72 at 22,050 Hz). It
is under 3e-8 a hundred samples out and at float noise (2e-17) past 256: all it leaves out
adds up to 5e-15, under 1e-9 of an int16 step for a full-scale input."""


@cache
def _lowpass_kernel(top_hz: float, rate: int) -> npt.NDArray[np.float64]:
    """Zero-phase low-pass at `top_hz` as a symmetric FIR of 2 * _LOWPASS_REACH + 1 taps.

    Its frequency response is |H|^2 of the order-SPEECH_LOWPASS_ORDER digital Butterworth
    low-pass (bilinear transform, pre-warped cut-off), which is what filtering forwards and
    backwards with that IIR filter applies (scipy's sosfiltfilt). The bilinear transform
    maps the analogue prototype's 1 / (1 + (f / fc)^(2N)) to the same formula in
    tan(pi f / rate) / tan(pi fc / rate), so the response is exact, not an approximation of
    the IIR filter. Read-only, shared between calls.
    """
    grid = 16 * _LOWPASS_REACH  # sampling the response here aliases nothing measurable
    frequency = np.arange(grid // 2 + 1) / grid  # cycles per sample
    # tan reaches ~1e16 at the Nyquist bin, whose 16th power overflows; capped at 1e3 the
    # gain there is 1e-48 instead of 0, which no output can show.
    ratio = np.minimum(np.tan(np.pi * frequency) / math.tan(math.pi * top_hz / rate), 1e3)
    power = 1.0 / (1.0 + ratio ** (2 * SPEECH_LOWPASS_ORDER))
    response = np.fft.irfft(power, grid)  # real and even: centred on sample 0, wrapped
    kernel = np.roll(response, _LOWPASS_REACH)[: 2 * _LOWPASS_REACH + 1]
    kernel.flags.writeable = False
    return kernel


def band_limit(samples: Samples, top_hz: float = SPEECH_TOP_HZ) -> Samples:
    """`samples` low-passed at `top_hz` with zero phase (no delay), same length, int16.

    See `_lowpass_kernel` for the response. Samples outside the clip count as silence: a
    trimmed phrase was cut out of the engine's silence (see trim_silence), so that is what
    really lay there. numpy only (FFT convolution).
    """
    kernel = _lowpass_kernel(top_hz, SAMPLE_RATE)
    padded = np.concatenate((samples.astype(np.float64), np.zeros(_LOWPASS_REACH)))
    # The kernel is causal with its centre at _LOWPASS_REACH: drop that delay.
    smooth = fft_convolve(padded, kernel)[_LOWPASS_REACH:]
    return np.clip(np.round(smooth), -32768, 32767).astype(np.int16)


def master_speech(samples: Samples) -> Samples:
    """A trimmed phrase band-limited, at the session's loudness, with no click at either end.

    Same length as `samples`. Uses numpy only: a cold render (every phrase to master) must
    not pay for importing scipy.
    """
    smooth = band_limit(samples)
    mastered = master_clip(smooth, SAMPLE_RATE, SPEECH_LUFS, SPEECH_CEILING_DBTP)
    return fade_edges(mastered, FADE_MS)


def fade_edges(samples: Samples, fade_ms: int) -> Samples:
    """Short raised-cosine fade in and out, so a clip that starts at full level doesn't click."""
    count = min(len(samples) // 2, SAMPLE_RATE * fade_ms // 1000)
    if count < 2:
        return samples
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, count))
    shaped = samples.astype(np.float64)
    shaped[:count] *= ramp
    shaped[-count:] *= ramp[::-1]
    return np.round(shaped).astype(np.int16)
