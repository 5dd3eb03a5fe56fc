"""Whole-track meters for tests and benchmarks: streaming BS.1770 loudness and true peak.

The product measures one phrase at a time in numpy (`coach.sound.loudness`); these meters
read a whole session chunk by chunk, with the K-weighting as scipy's IIR filter (an
independent route to the same curve), and share only the BS.1770 gating with the product.
pyloudnorm stays the independent oracle for both in tests/test_loudness.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from coach.pcm import Samples
from coach.sound.loudness import (
    TP_HALF_TAPS,
    FloatArray,
    GatedLoudness,
    amplitude_to_db,
    as_float,
    clip_loudness,
    k_weighting_sos,
    oversampled,
)
from coach.sound.mastering import master_clip
from coach.time import SAMPLE_RATE

_PIECE = 1 << 16
"""Samples processed at a time inside the meters, so a caller's huge chunk (a whole track,
say) costs a few megabytes of float64 work arrays, not gigabytes."""


def _pieces(chunk: npt.ArrayLike) -> Iterator[FloatArray]:
    """`chunk` as float64 pieces of at most _PIECE samples (none for an empty chunk)."""
    array = np.asarray(chunk)
    if array.ndim != 1:
        raise ValueError(f"expected mono samples (a 1-D array), got shape {array.shape}")
    for start in range(0, array.size, _PIECE):
        yield as_float(array[start : start + _PIECE])


class LoudnessMeter(GatedLoudness):
    """Integrated loudness (BS.1770-4, gated) of a mono stream fed in chunks of any size.

    The K-weighting filter state carries over from chunk to chunk, so splitting the stream
    differently gives the same reading (to float rounding). The filter is scipy's IIR
    `sosfilt`: exact and cheap for chunks of any size.
    """

    def __init__(self, rate: int = SAMPLE_RATE) -> None:
        super().__init__(rate)
        self._sos = k_weighting_sos(rate)
        self._zi = np.zeros((self._sos.shape[0], 2), dtype=np.float64)

    def add(self, chunk: npt.ArrayLike) -> None:
        """Feed the next samples (int16-range integers or floats in [-1, 1])."""
        from scipy.signal import sosfilt

        for piece in _pieces(chunk):
            weighted, self._zi = sosfilt(self._sos, piece, zi=self._zi)
            self.add_weighted(weighted)


class TruePeakMeter:
    """True peak (dBTP) of a mono stream fed in chunks: the largest magnitude of the signal
    oversampled 4x with a polyphase FIR, relative to full scale.

    The last `TP_HALF_TAPS` input samples are carried into the next chunk, so every
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
        self._history = np.zeros(TP_HALF_TAPS, dtype=np.float64)
        self._peak = 0.0
        self._sample_peak = 0.0

    def _oversampled_peak(self, joined: FloatArray) -> float:
        """Peak of the oversampled values of `joined` = history + new samples that belong to
        the new samples."""
        peak = 0.0
        for branch in oversampled(joined):
            # Entries before the history's end depend on samples before `joined` (already
            # counted in the previous call); the ones from len(joined) on need the future.
            fresh = branch[TP_HALF_TAPS : joined.size]
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
            self._history = joined[-TP_HALF_TAPS:]

    def dbtp(self) -> float:
        """True peak so far in dBTP, including the ring-out after the last sample."""
        tail = self._oversampled_peak(
            np.concatenate((self._history, np.zeros(TP_HALF_TAPS, dtype=np.float64)))
        )
        return amplitude_to_db(max(self._peak, tail, self._sample_peak))

    def sample_peak_dbfs(self) -> float:
        """Largest sample magnitude so far in dBFS (no oversampling)."""
        return amplitude_to_db(self._sample_peak)


@dataclass(frozen=True)
class Mastering:
    """What `master_clip_report` finds `master_clip` did to one clip, read from its samples."""

    input_lufs: float
    """Loudness of the clip as given (-inf for silence)."""
    output_lufs: float
    """Loudness of the result."""
    gain_db: float
    """Gain applied before the limiter: the largest gain of any sample."""
    max_reduction_db: float
    """Largest gain reduction of the limiter (0 when it had nothing to do): how far the
    smallest gain of any sample falls short of the largest."""


GAIN_FLOOR = 1000
"""Samples that come out quieter than this are left out of the gains: rounding to int16
would blur theirs (at 1000, by under 0.01 dB)."""


def master_clip_report(
    samples: Samples,
    rate: int = SAMPLE_RATE,
    target_lufs: float = -16.0,
    ceiling_dbtp: float = -1.5,
) -> tuple[Samples, Mastering]:
    """`master_clip`, plus a `Mastering` record of the gain and the limiting applied.

    Mastering multiplies every sample by one gain and the limiter's reduction, so the ratio
    of each sample out to the same sample in is that product: the largest ratio is the gain
    (the limiter leaves most of a clip alone), and the spread of the ratios is the limiter's
    reduction (at most 0.005 dB from what the limiter computed, on speech and eSpeak)."""
    pcm = master_clip(samples, rate, target_lufs, ceiling_dbtp)
    before, after = samples.astype(np.float64), pcm.astype(np.float64)
    loud = np.abs(after) >= GAIN_FLOOR
    gains = after[loud] / before[loud]
    report = Mastering(
        input_lufs=clip_loudness(samples, rate),
        output_lufs=clip_loudness(pcm, rate),
        gain_db=amplitude_to_db(float(gains.max())) if gains.size else 0.0,
        max_reduction_db=(amplitude_to_db(float(gains.max() / gains.min())) if gains.size else 0.0),
    )
    return pcm, report


def measure(chunks: Sequence[Samples] | Samples, rate: int = SAMPLE_RATE) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of a clip or a sequence of chunks."""
    loudness = LoudnessMeter(rate)
    peak = TruePeakMeter(rate)
    parts = [chunks] if isinstance(chunks, np.ndarray) else chunks
    for part in parts:
        loudness.add(part)
        peak.add(part)
    return loudness.integrated_lufs(), peak.dbtp()
