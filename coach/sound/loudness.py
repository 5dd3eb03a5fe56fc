"""Loudness (ITU-R BS.1770-4) and true peak of one clip, in numpy alone: what mastering measures.

Full scale is the int16 range: a sample of 32768 (or a float of 1.0) is 0 dBFS, so the
readings are LUFS and dBTP the way other meters give them for the same 16-bit audio.

Importing scipy.signal costs about 0.45 s and 70 MB of memory, more than mastering every
phrase of a session, so nothing here uses it: the K-weighting runs as an FFT convolution
with the filter's exact impulse response (`clip_loudness`), and true peaks come from a
polyphase 4x interpolator (`true_peak_envelope`). `GatedLoudness` is the BS.1770 gating of
K-weighted samples on its own, so a streaming meter can share it.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import numpy.typing as npt

from coach.time import SAMPLE_RATE

FloatArray = npt.NDArray[np.float64]

FULL_SCALE = 32768.0
"""int16 value that reads as 0 dBFS."""

_BLOCK_QUARTERS = 4
"""A gating block is 400 ms made of four 100 ms steps (75% overlap)."""

ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
_LOUDNESS_OFFSET = -0.691
"""BS.1770 constant that makes a 997 Hz sine at 0 dBFS read -3.01 LUFS."""

OVERSAMPLE = 4
TP_HALF_TAPS = 24
"""Taps per polyphase branch of the 4x interpolator. 24 (97 taps in all) keeps the passband
flat to 0.001 dB up to 0.35 fs and 0.01 dB at 0.4 fs, where 12 taps (the BS.1770 annex
filter's size) droops 0.3 dB; the four branch convolutions still run at ~1000x real time."""


def k_weighting_sos(rate: int) -> FloatArray:
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

    Sampled from the exact frequency response of `k_weighting_sos(rate)` on a grid four
    times the kept length: the response beyond the grid (which would alias into it) is far
    below float rounding. Read-only, shared between calls.
    """
    reach = max(1, round(_K_REACH_S * rate))
    grid = 1 << (4 * reach - 1).bit_length()
    z_inv = np.exp(-2j * np.pi * np.arange(grid // 2 + 1) / grid)
    response = np.ones_like(z_inv)
    for b0, b1, b2, a0, a1, a2 in k_weighting_sos(rate):
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


def as_float(chunk: npt.ArrayLike) -> FloatArray:
    """A 1-D float64 view of `chunk` scaled so that full scale is 1.0.

    Integer input is taken as int16-range PCM; float input is taken as already in [-1, 1].
    """
    array = np.asarray(chunk)
    if array.ndim != 1:
        raise ValueError(f"expected mono samples (a 1-D array), got shape {array.shape}")
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.float64) / FULL_SCALE
    return array.astype(np.float64, copy=False)


def _power_to_lufs(mean_square: float) -> float:
    """Loudness of a K-weighted mean square (mono, channel weight 1)."""
    if mean_square <= 0.0:
        return float("-inf")
    return _LOUDNESS_OFFSET + 10.0 * math.log10(mean_square)


def _lufs_to_power(lufs: float) -> float:
    return float(10.0 ** ((lufs - _LOUDNESS_OFFSET) / 10.0))


class GatedLoudness:
    """BS.1770-4 gated loudness of K-weighted samples fed in chunks of any size.

    Keeps one float per 100 ms step; splitting the stream differently gives the same
    reading (to float rounding). `clip_loudness` feeds it one clip at once; a streaming
    meter can feed it chunk by chunk through its own K-weighting filter.
    """

    def __init__(self, rate: int = SAMPLE_RATE) -> None:
        if rate <= 0:
            raise ValueError(f"sample rate must be positive, got {rate}")
        self.rate = rate
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

    def add_weighted(self, weighted: FloatArray) -> None:
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
        absolute = _lufs_to_power(ABSOLUTE_GATE_LUFS)
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
    """Low-pass FIR for 4x oversampling: 4 * TP_HALF_TAPS + 1 taps, passband gain 1.

    Odd length so the group delay is a whole number of oversampled steps (2 * TP_HALF_TAPS).
    A Kaiser-windowed (beta 8) sinc with its cut-off at the original Nyquist frequency,
    normalised to unit DC gain and then scaled by 4 for the zeros the upsampling inserts:
    the same taps as `4 * scipy.signal.firwin(97, 0.25, window=("kaiser", 8.0))`.
    """
    count = OVERSAMPLE * TP_HALF_TAPS + 1
    cutoff = 1.0 / OVERSAMPLE  # as a fraction of the Nyquist frequency, like firwin's
    offsets = np.arange(count) - (count - 1) / 2.0
    taps = cutoff * np.sinc(cutoff * offsets) * np.kaiser(count, 8.0)
    return np.asarray(taps / taps.sum() * OVERSAMPLE, dtype=np.float64)


@cache
def _polyphase() -> tuple[FloatArray, ...]:
    """The interpolator split into its OVERSAMPLE branches: branch p is taps p, p + 4, ...

    Upsampling by 4 and filtering is the same as running the input through each branch:
    oversampled value 4 * i + p is np.convolve(x, branch p)[i]. That skips the products
    with the inserted zeros. Read-only, shared between calls.
    """
    taps = _interpolator()
    branches = tuple(taps[phase::OVERSAMPLE].copy() for phase in range(OVERSAMPLE))
    for branch in branches:
        branch.flags.writeable = False
    return branches


def oversampled(x: FloatArray) -> list[FloatArray]:
    """The 4x oversampled `x`, as one full convolution per polyphase branch.

    Entry i of branch p is oversampled value 4 * i + p, counted from the filter's start
    (so delayed by 2 * TP_HALF_TAPS oversampled steps); `x` is taken as silent before and
    after. `x` must not be empty.
    """
    return [np.convolve(x, branch) for branch in _polyphase()]


def amplitude_to_db(amplitude: float) -> float:
    return 20.0 * math.log10(amplitude) if amplitude > 0.0 else float("-inf")


def clip_loudness(samples: npt.ArrayLike, rate: int = SAMPLE_RATE) -> float:
    """Loudness of one clip in LUFS: gated if it holds a 400 ms block, else ungated.

    Also falls back to the ungated reading when every block is gated away, so a quiet but
    not silent clip still gets a finite value. -inf means digital silence.

    The K-weighting runs as an FFT convolution with the filter's impulse response, in numpy
    only, so mastering never loads scipy; it agrees with the IIR filter to about 1e-12 LU.
    The clip is held in memory as float64: this is for phrases, not whole sessions.
    """
    meter = GatedLoudness(rate)
    meter.add_weighted(fft_convolve(as_float(samples), _k_weighting_kernel(rate)))
    gated = meter.integrated_lufs()
    return gated if math.isfinite(gated) else meter.ungated_lufs()


def true_peak_envelope(x: FloatArray) -> FloatArray:
    """For each sample n, the largest oversampled magnitude in [n, n + 1)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0, dtype=np.float64)
    # The interpolator delays by half its length, 2 * TP_HALF_TAPS oversampled steps, a
    # whole number of input samples; sample n's four values are entry n + delay of each
    # branch.
    delay = 2 * TP_HALF_TAPS // OVERSAMPLE
    first, *others = oversampled(x)
    envelope = np.abs(first[delay : delay + x.size])
    for branch in others:
        np.maximum(envelope, np.abs(branch[delay : delay + x.size]), out=envelope)
    return envelope
