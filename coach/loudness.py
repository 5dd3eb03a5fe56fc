"""Loudness (ITU-R BS.1770-4), true peak, and per-phrase mastering for mono PCM.

Everything that may see a whole session works on chunks: `LoudnessMeter` and `TruePeakMeter`
keep only filter state and one number per 100 ms (about 1 MB for 60 minutes), and work
through any chunk in pieces of 65,536 samples, so memory does not grow with the chunk size.
`master_clip` works on one short phrase held in memory.

Full scale is the int16 range: a sample of 32768 (or a float of 1.0) is 0 dBFS, so the
meters read LUFS and dBTP the way other meters do for the same 16-bit audio.

Mastering (`master_clip`, `clip_loudness`, `true_peak_envelope`, `limiter_gain_db`) and
`TruePeakMeter` use numpy only: importing scipy.signal costs about 0.45 s and 70 MB of
memory, more than mastering every phrase of a session. Only the streaming `LoudnessMeter`
(whole tracks, in tests and benchmarks) runs its IIR filter with scipy, imported when first
fed. `clip_loudness` applies the same K-weighting filter by FFT convolution instead, and
agrees with `LoudnessMeter` to float rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from coach.pcm import SAMPLE_RATE, Samples

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

FloatArray = npt.NDArray[np.float64]

_FULL_SCALE = 32768.0
"""int16 value that reads as 0 dBFS."""

_BLOCK_QUARTERS = 4
"""A gating block is 400 ms made of four 100 ms steps (75% overlap)."""

_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
_LOUDNESS_OFFSET = -0.691
"""BS.1770 constant that makes a 997 Hz sine at 0 dBFS read -3.01 LUFS."""

_OVERSAMPLE = 4
_TP_HALF_TAPS = 24
"""Taps per polyphase branch of the 4x interpolator. 24 (97 taps in all) keeps the passband
flat to 0.001 dB up to 0.35 fs and 0.01 dB at 0.4 fs, where 12 taps (the BS.1770 annex
filter's size) droops 0.3 dB; the four branch convolutions still run at ~1000x real time."""

ATTACK_MS = 5.0
"""Limiter look-ahead: the gain starts to fall this long before a peak."""

RELEASE_MS = 50.0
"""Limiter release: time constant of the exponential return of the gain reduction (in dB)."""

MAX_MAKEUP_DB = 4.0
"""Most gain `master_clip` adds beyond the first estimate to win back the loudness the
limiter takes. eSpeak phrases needed up to 3 dB (with up to 6 dB of peak reduction); a clip
whose peaks would need more comes out under the target instead of being squashed."""

_LIMITER_MARGIN_DB = 0.1
"""The limiter aims this far under the ceiling: the gain envelope is computed per sample
while true peaks fall between samples, so a little headroom absorbs the interaction."""


def _k_weighting_sos(rate: int) -> FloatArray:
    """The two K-weighting biquads (shelf, then high-pass) designed for `rate`, as SOS rows.

    BS.1770 tabulates coefficients for 48 kHz only. These are the analogue prototypes that
    reproduce that table exactly at 48 kHz (derived by Brecht De Man, also used by
    libebur128), mapped with the bilinear transform at the actual rate, so the curve is right
    at 22,050 Hz instead of being the 48 kHz digital filter run at the wrong speed.
    """
    # Stage 1: high shelf, +4 dB above ~1.7 kHz (head acoustics).
    f0 = 1681.974450955533
    gain_db = 3.999843853973347
    q = 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    # Stage 2: second-order high-pass at ~38 Hz (RLB weighting).
    f0 = 38.13547087602444
    q = 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1.0 + k / q + k * k
    # The 48 kHz table's numerator is a plain [1, -2, 1], which leaves a passband gain of
    # (1 + k/q + k^2) at 48 kHz: +0.043 dB, part of the calibration the -0.691 offset assumes.
    # Copying [1, -2, 1] to another rate changes that gain (+0.094 dB at 22,050 Hz, which is
    # what libebur128 does), so scale the numerator to keep the 48 kHz passband gain.
    k48 = math.tan(math.pi * f0 / 48_000)
    g = (1.0 + k48 / q + k48 * k48) / a0
    highpass = [g, -2.0 * g, g, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


_K_REACH_S = 0.2
"""Length of the K-weighting impulse response that `clip_loudness` keeps. The 38 Hz
high-pass rings longest; measured from 8 to 96 kHz, the response is under 2e-16 (float
rounding) after 150 ms and under 2e-21 after 200 ms, so the cut cannot change a reading."""


@cache
def _k_weighting_kernel(rate: int) -> FloatArray:
    """Impulse response of the K-weighting biquads at `rate`, cut after _K_REACH_S.

    Sampled from the exact frequency response of `_k_weighting_sos(rate)` on a grid four
    times the kept length: the response beyond the grid (which would alias into it) is far
    below float rounding. Read-only, shared between calls.
    """
    reach = max(1, round(_K_REACH_S * rate))
    grid = 1 << (4 * reach - 1).bit_length()
    z_inv = np.exp(-2j * np.pi * np.arange(grid // 2 + 1) / grid)
    response = np.ones_like(z_inv)
    for b0, b1, b2, a0, a1, a2 in _k_weighting_sos(rate):
        response *= (b0 + z_inv * (b1 + z_inv * b2)) / (a0 + z_inv * (a1 + z_inv * a2))
    kernel = np.fft.irfft(response, grid)[:reach]
    kernel.flags.writeable = False
    return kernel


_FFT_LENGTH = 1 << 14
"""Smallest transform `fft_convolve` uses. Measured with numpy's FFT: up to 16,384 points a
transform stays in cache at about 8 ns per point; from 32,768 on it costs 25 ns per point.
So long signals go through in blocks of this size rather than in one big transform."""

_FFT_BATCH = 16
"""Blocks transformed per numpy call in `fft_convolve`: few Python steps, yet the work
arrays stay a few megabytes whatever the signal's length."""


def fft_convolve(x: FloatArray, kernel: FloatArray) -> FloatArray:
    """The first `x.size` samples of `np.convolve(x, kernel)`, by overlap-add FFT blocks.

    That is `x` through the FIR filter `kernel` from rest, without its ring-out after the
    last sample. Equal to the direct convolution up to float rounding, and far faster for
    kernels of hundreds or thousands of taps. Memory beyond the output is bounded
    (`_FFT_BATCH` blocks) whatever the length of `x`.
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if x.ndim != 1 or kernel.ndim != 1:
        raise ValueError("fft_convolve takes 1-D arrays")
    if x.size == 0 or kernel.size == 0:
        return np.zeros(x.size, dtype=np.float64)
    length = max(_FFT_LENGTH, 1 << (2 * kernel.size - 1).bit_length())
    # Each block of `step` inputs yields `length` outputs with no circular wrap-around.
    step = length - kernel.size + 1
    spectrum = np.fft.rfft(kernel, length)
    out = np.zeros(x.size + length, dtype=np.float64)
    for start in range(0, x.size, step * _FFT_BATCH):
        part = x[start : start + step * _FFT_BATCH]
        count = -(-part.size // step)
        grid = np.zeros((count, step), dtype=np.float64)
        grid.reshape(-1)[: part.size] = part
        blocks = np.fft.irfft(np.fft.rfft(grid, length, axis=1) * spectrum, length, axis=1)
        for index, block in enumerate(blocks):
            at = start + index * step
            out[at : at + length] += block
    return out[: x.size]


def _as_float(chunk: npt.ArrayLike) -> FloatArray:
    """A 1-D float64 view of `chunk` scaled so that full scale is 1.0.

    Integer input is taken as int16-range PCM; float input is taken as already in [-1, 1].
    """
    array = np.asarray(chunk)
    if array.ndim != 1:
        raise ValueError(f"expected mono samples (a 1-D array), got shape {array.shape}")
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.float64) / _FULL_SCALE
    return array.astype(np.float64, copy=False)


_PIECE = 1 << 16
"""Samples processed at a time inside the meters, so a caller's huge chunk (a whole track,
say) costs a few megabytes of float64 work arrays, not gigabytes."""


def _pieces(chunk: npt.ArrayLike) -> Iterator[FloatArray]:
    """`chunk` as float64 pieces of at most _PIECE samples (none for an empty chunk)."""
    array = np.asarray(chunk)
    if array.ndim != 1:
        raise ValueError(f"expected mono samples (a 1-D array), got shape {array.shape}")
    for start in range(0, array.size, _PIECE):
        yield _as_float(array[start : start + _PIECE])


def _power_to_lufs(mean_square: float) -> float:
    """Loudness of a K-weighted mean square (mono, channel weight 1)."""
    if mean_square <= 0.0:
        return float("-inf")
    return _LOUDNESS_OFFSET + 10.0 * math.log10(mean_square)


def _lufs_to_power(lufs: float) -> float:
    return float(10.0 ** ((lufs - _LOUDNESS_OFFSET) / 10.0))


class LoudnessMeter:
    """Integrated loudness (BS.1770-4, gated) of a mono stream fed in chunks of any size.

    The K-weighting filter state carries over from chunk to chunk, so splitting the stream
    differently gives the same reading (to float rounding). Memory use is one float per
    100 ms of audio. The filter is scipy's IIR `sosfilt` (imported on the first `add`): exact
    and cheap for chunks of any size, which an FFT convolution is not for small chunks.
    """

    def __init__(self, rate: int = SAMPLE_RATE) -> None:
        if rate <= 0:
            raise ValueError(f"sample rate must be positive, got {rate}")
        self.rate = rate
        self._sos = _k_weighting_sos(rate)
        self._zi = np.zeros((self._sos.shape[0], 2), dtype=np.float64)
        self._position = 0  # samples consumed so far
        self._steps: list[float] = []  # sum of squares of each finished 100 ms step
        self._partial = 0.0  # sum of squares of the step in progress
        self._energy = 0.0  # sum of squares of everything (for the ungated reading)

    def _step_end(self, index: int) -> int:
        """Sample index (from the stream start) where 100 ms step `index` ends.

        Integer arithmetic, so rates whose 100 ms is not a whole number of samples
        (11,025 Hz) still tile the stream exactly with no drift.
        """
        return (index + 1) * self.rate // 10

    def add(self, chunk: npt.ArrayLike) -> None:
        """Feed the next samples (int16-range integers or floats in [-1, 1])."""
        for piece in _pieces(chunk):
            self._add(piece)

    def _add(self, x: FloatArray) -> None:
        from scipy.signal import sosfilt

        weighted, self._zi = sosfilt(self._sos, x, zi=self._zi)
        self._add_weighted(weighted)

    def _add_weighted(self, weighted: FloatArray) -> None:
        """Count the next samples, already K-weighted, into the 100 ms steps."""
        if weighted.size == 0:
            return
        running = np.cumsum(np.square(weighted))
        start = self._position
        end = start + weighted.size
        taken = 0.0  # running sum at the last step boundary inside this chunk
        boundary = self._step_end(len(self._steps))
        while boundary <= end:
            offset = boundary - start
            at_boundary = float(running[offset - 1]) if offset > 0 else 0.0
            self._steps.append(self._partial + at_boundary - taken)
            self._partial = 0.0
            taken = at_boundary
            boundary = self._step_end(len(self._steps))
        total = float(running[-1])
        self._partial += total - taken
        self._energy += total
        self._position = end

    @property
    def samples(self) -> int:
        """How many samples have been fed."""
        return self._position

    def _block_powers(self) -> FloatArray:
        steps = np.asarray(self._steps, dtype=np.float64)
        if steps.size < _BLOCK_QUARTERS:
            return np.zeros(0, dtype=np.float64)
        count = steps.size - _BLOCK_QUARTERS + 1
        sums = sum(steps[i : i + count] for i in range(_BLOCK_QUARTERS))
        edges = np.array([self._step_end(i - 1) if i else 0 for i in range(steps.size + 1)])
        lengths = edges[_BLOCK_QUARTERS:] - edges[:count]
        return np.asarray(sums / lengths, dtype=np.float64)

    def integrated_lufs(self) -> float:
        """Gated integrated loudness of everything fed so far, in LUFS.

        Blocks at or under -70 LUFS are dropped (absolute gate), then blocks more than 10 LU
        under the loudness of the rest (relative gate). Returns -inf when no complete 400 ms
        block passes the gates (silence, or under 400 ms of audio: see `ungated_lufs`).
        """
        powers = self._block_powers()
        absolute = _lufs_to_power(_ABSOLUTE_GATE_LUFS)
        kept = powers[powers > absolute]
        if kept.size == 0:
            return float("-inf")
        relative = _lufs_to_power(_power_to_lufs(float(kept.mean())) + _RELATIVE_GATE_LU)
        kept = kept[kept > relative]
        return _power_to_lufs(float(kept.mean()))

    def ungated_lufs(self) -> float:
        """Loudness of the K-weighted mean square over everything fed, with no gating.

        Meant for clips shorter than one 400 ms block, which the gated measure cannot rate.
        """
        if self._position == 0:
            return float("-inf")
        return _power_to_lufs(self._energy / self._position)


def _interpolator() -> FloatArray:
    """Low-pass FIR for 4x oversampling: 4 * _TP_HALF_TAPS + 1 taps, passband gain 1.

    Odd length so the group delay is a whole number of oversampled steps (2 * _TP_HALF_TAPS).
    A Kaiser-windowed (beta 8) sinc with its cut-off at the original Nyquist frequency,
    normalised to unit DC gain and then scaled by 4 for the zeros the upsampling inserts:
    the same taps as `4 * scipy.signal.firwin(97, 0.25, window=("kaiser", 8.0))`.
    """
    count = _OVERSAMPLE * _TP_HALF_TAPS + 1
    cutoff = 1.0 / _OVERSAMPLE  # as a fraction of the Nyquist frequency, like firwin's
    offsets = np.arange(count) - (count - 1) / 2.0
    taps = cutoff * np.sinc(cutoff * offsets) * np.kaiser(count, 8.0)
    return np.asarray(taps / taps.sum() * _OVERSAMPLE, dtype=np.float64)


@cache
def _polyphase() -> tuple[FloatArray, ...]:
    """The interpolator split into its _OVERSAMPLE branches: branch p is taps p, p + 4, ...

    Upsampling by 4 and filtering is the same as running the input through each branch:
    oversampled value 4 * i + p is np.convolve(x, branch p)[i]. That skips the products
    with the inserted zeros. Read-only, shared between calls.
    """
    taps = _interpolator()
    branches = tuple(taps[phase::_OVERSAMPLE].copy() for phase in range(_OVERSAMPLE))
    for branch in branches:
        branch.flags.writeable = False
    return branches


def _oversampled(x: FloatArray) -> list[FloatArray]:
    """The 4x oversampled `x`, as one full convolution per polyphase branch.

    Entry i of branch p is oversampled value 4 * i + p, counted from the filter's start
    (so delayed by 2 * _TP_HALF_TAPS oversampled steps); `x` is taken as silent before and
    after. `x` must not be empty.
    """
    return [np.convolve(x, branch) for branch in _polyphase()]


def _amplitude_to_db(amplitude: float) -> float:
    return 20.0 * math.log10(amplitude) if amplitude > 0.0 else float("-inf")


class TruePeakMeter:
    """True peak (dBTP) of a mono stream fed in chunks: the largest magnitude of the signal
    oversampled 4x with a polyphase FIR, relative to full scale.

    The last `_TP_HALF_TAPS` input samples are carried into the next chunk, so every
    oversampled value is computed from exactly the inputs it would see in one pass; chunking
    does not change the reading. The signal is taken as silent before the first sample and,
    for `dbtp`, after the last.
    """

    def __init__(self, rate: int = SAMPLE_RATE) -> None:
        if rate <= 0:
            raise ValueError(f"sample rate must be positive, got {rate}")
        # The interpolator is specified relative to the sample rate, so the rate only matters
        # to callers; it is kept for symmetry with LoudnessMeter.
        self.rate = rate
        self._history = np.zeros(_TP_HALF_TAPS, dtype=np.float64)
        self._peak = 0.0
        self._sample_peak = 0.0

    def _oversampled_peak(self, joined: FloatArray) -> float:
        """Peak of the oversampled values of `joined` = history + new samples that belong to
        the new samples."""
        peak = 0.0
        for branch in _oversampled(joined):
            # Entries before the history's end depend on samples before `joined` (already
            # counted in the previous call); the ones from len(joined) on need the future.
            fresh = branch[_TP_HALF_TAPS : joined.size]
            if fresh.size:
                peak = max(peak, float(np.max(np.abs(fresh))))
        return peak

    def add(self, chunk: npt.ArrayLike) -> None:
        """Feed the next samples (int16-range integers or floats in [-1, 1])."""
        for x in _pieces(chunk):
            self._sample_peak = max(self._sample_peak, float(np.max(np.abs(x))))
            if not (np.any(x) or np.any(self._history)):
                continue  # silence in, silence out: skip the filter for long pauses
            joined = np.concatenate((self._history, x))
            self._peak = max(self._peak, self._oversampled_peak(joined))
            self._history = joined[-_TP_HALF_TAPS:]

    def dbtp(self) -> float:
        """True peak so far in dBTP, including the ring-out after the last sample."""
        tail = self._oversampled_peak(
            np.concatenate((self._history, np.zeros(_TP_HALF_TAPS, dtype=np.float64)))
        )
        return _amplitude_to_db(max(self._peak, tail, self._sample_peak))

    def sample_peak_dbfs(self) -> float:
        """Largest sample magnitude so far in dBFS (no oversampling)."""
        return _amplitude_to_db(self._sample_peak)


def clip_loudness(samples: npt.ArrayLike, rate: int = SAMPLE_RATE) -> float:
    """Loudness of one clip in LUFS: gated if it holds a 400 ms block, else ungated.

    Also falls back to the ungated reading when every block is gated away, so a quiet but
    not silent clip still gets a finite value. -inf means digital silence.

    The reading is `LoudnessMeter`'s for the same samples (equal to about 1e-12 LU), but
    the K-weighting runs as an FFT convolution with the filter's impulse response, in numpy
    only, so mastering never loads scipy. The clip is held in memory as float64; use
    `LoudnessMeter` for a long stream.
    """
    meter = LoudnessMeter(rate)
    meter._add_weighted(fft_convolve(_as_float(samples), _k_weighting_kernel(rate)))
    gated = meter.integrated_lufs()
    return gated if math.isfinite(gated) else meter.ungated_lufs()


def true_peak_envelope(x: FloatArray) -> FloatArray:
    """For each sample n, the largest oversampled magnitude in [n, n + 1)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0, dtype=np.float64)
    # The interpolator delays by half its length, 2 * _TP_HALF_TAPS oversampled steps, a
    # whole number of input samples; sample n's four values are entry n + delay of each
    # branch.
    delay = 2 * _TP_HALF_TAPS // _OVERSAMPLE
    first, *others = _oversampled(x)
    envelope = np.abs(first[delay : delay + x.size])
    for branch in others:
        np.maximum(envelope, np.abs(branch[delay : delay + x.size]), out=envelope)
    return envelope


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
) -> tuple[FloatArray, FloatArray]:
    """`x` with its true peak brought under the ceiling, and the reduction (dB) per sample.

    `envelope` is `true_peak_envelope(x)` when the caller already has it.
    """
    ceiling = 10.0 ** ((ceiling_dbtp - _LIMITER_MARGIN_DB) / 20.0)
    if envelope is None:
        envelope = true_peak_envelope(x)
    reduction = limiter_gain_db(envelope, rate, ceiling)
    if not np.any(reduction):
        return x, reduction
    return x * 10.0 ** (-reduction / 20.0), reduction


@dataclass(frozen=True)
class Mastering:
    """What `master_clip_report` did to one clip."""

    input_lufs: float
    """Loudness of the clip as given (-inf for silence)."""
    output_lufs: float
    """Loudness of the result."""
    gain_db: float
    """Gain applied before the limiter."""
    max_reduction_db: float
    """Largest gain reduction of the limiter (0 when it had nothing to do)."""
    limited_fraction: float
    """Share of the clip's samples during which the limiter reduced the gain by over 1 dB."""


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
    return _master(samples, rate, target_lufs, ceiling_dbtp)[0]


def master_clip_report(
    samples: Samples,
    rate: int = SAMPLE_RATE,
    target_lufs: float = -16.0,
    ceiling_dbtp: float = -1.5,
) -> tuple[Samples, Mastering]:
    """`master_clip`, plus a `Mastering` record of the gain and the limiting applied."""
    pcm, loudness, gain_db, reduction = _master(samples, rate, target_lufs, ceiling_dbtp)
    if reduction is None:
        return pcm, Mastering(loudness, loudness, 0.0, 0.0, 0.0)
    report = Mastering(
        input_lufs=loudness,
        output_lufs=clip_loudness(pcm, rate),
        gain_db=gain_db,
        max_reduction_db=float(reduction.max()) if reduction.size else 0.0,
        limited_fraction=float(np.mean(reduction > 1.0)) if reduction.size else 0.0,
    )
    return pcm, report


def _master(
    samples: Samples, rate: int, target_lufs: float, ceiling_dbtp: float
) -> tuple[Samples, float, float, FloatArray | None]:
    """The mastered clip, its input loudness, the gain applied and the limiter's reduction
    (None when the clip was silent and left unchanged)."""
    x = _as_float(samples)
    loudness = clip_loudness(x, rate)
    if not math.isfinite(loudness) or loudness <= _ABSOLUTE_GATE_LUFS:
        return np.array(samples, dtype=np.int16, copy=True), loudness, 0.0, None

    first_gain = target_lufs - loudness
    gain_db = first_gain
    envelope = true_peak_envelope(x)
    previous: tuple[float, float] | None = None
    for _ in range(8):
        # The envelope is linear in the signal, so it is computed once and scaled.
        gain = 10.0 ** (gain_db / 20.0)
        out, reduction = _limit(x * gain, rate, ceiling_dbtp, envelope * gain)
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
    if _amplitude_to_db(float(true_peak_envelope(out).max())) > ceiling_dbtp - 0.02:
        out, _ = _limit(out, rate, ceiling_dbtp)
    pcm = np.clip(np.round(out * _FULL_SCALE), -32768, 32767).astype(np.int16)
    return pcm, loudness, gain_db, reduction


def measure(chunks: Sequence[Samples] | Samples, rate: int = SAMPLE_RATE) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of a clip or a sequence of chunks."""
    loudness = LoudnessMeter(rate)
    peak = TruePeakMeter(rate)
    parts = [chunks] if isinstance(chunks, np.ndarray) else chunks
    for part in parts:
        loudness.add(part)
        peak.add(part)
    return loudness.integrated_lufs(), peak.dbtp()
