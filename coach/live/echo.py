"""Echo cancellation: the coach's own voice taken out of what the microphone hears.

The microphone in a cab hears the speakers: the session's samples, delayed, filtered by the
speakers and the cab, and quieter or louder. The player knows every sample it hands the
output, so `EchoCanceller` learns that path and subtracts its estimate of the echo from the
microphone, leaving the driver's voice (and the road) for the spotter.

- **Where the echo is.** Played sample `p` is heard in the microphone near index `p + lag`.
  The caller's clocks give a first guess (`lag_hint`: when each block was handed to the
  output and when each captured block came); the canceller then measures it, by
  cross-correlation of what it captured with what was played (GCC-PHAT over DELAY_WINDOW
  samples), whenever the coach has been talking, and again every DELAY_EVERY samples, so a
  dropped block or another buffer size is caught up with.
- **What the path does.** A partitioned-block frequency-domain NLMS filter (blocks of BLOCK
  samples, PARTITIONS of them: 93 ms of echo path, starting PRE_DELAY before the measured
  lag) models it; the filter is updated in the frequency domain with a step normalised per
  frequency, which suits speech (its power is far from flat).
- **When the driver talks over the coach.** An adaptive filter fed a voice it cannot predict
  drifts. So there are two filters: a background one that always adapts, and the foreground
  one that is subtracted. The foreground takes the background's taps when they have cancelled
  clearly better for a while; the background goes back to the foreground's when it does
  clearly worse (it has been led astray by the other voice).

Pure numpy, about 1 % of one core at SAMPLE_RATE. Works in blocks of BLOCK samples, so the
cleaned samples come out up to BLOCK samples after the captured ones; the indices of the two
are the same (sample `i` out is captured sample `i`, cleaned).
"""

from __future__ import annotations

import numpy as np

from coach.pcm import Samples
from coach.time import SAMPLE_RATE

BLOCK = 256
"""Samples per block of the filter (11.6 ms)."""

PARTITIONS = 8
"""Blocks of echo path the filter holds: BLOCK x PARTITIONS = 2048 taps, 93 ms."""

PRE_DELAY = 64
"""Taps the filter keeps ahead of the measured lag, for a direct path measured late."""

STEP = 0.35
"""The background filter's step (normalised: 1 would undo the whole error at once)."""

DELAY_WINDOW = 1 << 15
"""Samples cross-correlated to measure the lag (1.5 s)."""

DELAY_EVERY = 2 * SAMPLE_RATE
"""How often the lag is measured again, in captured samples."""

DELAY_SEARCH = round(0.3 * SAMPLE_RATE)
"""How far from the clocks' guess the lag is looked for, either way."""

DELAY_CONFIDENCE = 6.0
"""A cross-correlation peak must stand this many times above the correlation's typical
value for the lag to be taken."""

AGREE = 4
"""Two measurements in a row within this many samples of each other make a lag: one alone
may be fooled by a phrase the coach says twice."""

PHAT = 0.8
"""How far the cross-correlation's spectrum is whitened (1: fully, GCC-PHAT): a little less
than fully keeps the peak sharp without letting bands the coach's voice hardly has count as
much as those it fills."""

AMBIGUOUS = 0.7
"""A peak is taken only if no other, more than PRE_DELAY from it, reaches this share of it."""

WORKING_DB = 10.0
"""While the filter takes the echo down by this much, the lag is not measured again."""

KEEP_PLAYED = 6 * SAMPLE_RATE
"""Played samples kept for the filter and the lag's measurement."""

SMOOTHING = 0.85
"""Per-block smoothing of the energies that decide between the two filters (~80 ms)."""

COPY = 0.85
"""The foreground filter takes the background's taps once the background's error energy is
below this share of the foreground's..."""

DIVERGED = 4.0
"""...and the background goes back to the foreground's taps once its error is this many
times the foreground's."""

REGULARIZE = 8.0
"""How much the error's own power (noise, the driver's voice) slows learning at each
frequency: without it, road noise at 10 dB SNR held the echo only 12 dB down; with it, 24."""

FLOOR = 1e-2
"""The least power, as a share of the mean over frequencies, a frequency's step is divided
by (where speech has almost none)."""

QUIET = 1e2
"""Mean square (in int16 units) below which the played sound counts as silence."""


class EchoCanceller:
    """Subtracts what was played, as the microphone heard it, from what was captured.

    Feed it in stream order: `played` with each block handed to the output, `cancel` with
    each block captured. Not thread-safe: one thread drives it (the listener's).
    """

    def __init__(self) -> None:
        self.lag: int | None = None
        """Microphone index minus played index of the echo's direct path, once measured."""
        self.measured = 0
        """Times the lag was measured (a tuning aid, and for tests)."""
        self._candidate: int | None = None  # the last lag measured
        self._since_check = [0.0, 0.0]  # energy captured, and left, while the coach spoke
        self._played = np.zeros(0)
        self._played_start = 0  # the played index of self._played[0]
        self._played_end = 0  # the played index after the last one given
        self._captured = np.zeros(0)  # the last DELAY_WINDOW samples captured, raw
        self._pending = np.zeros(0)  # captured, not yet through the filter
        self._done = 0  # captured samples through the filter
        self._since_measured = 0
        self._hint = 0
        bins = BLOCK + 1
        self._spectra = np.zeros((PARTITIONS, bins), dtype=np.complex128)  # newest first
        self._previous = np.zeros(BLOCK)  # the reference block before this one
        self._foreground = np.zeros((PARTITIONS, bins), dtype=np.complex128)
        self._background = np.zeros((PARTITIONS, bins), dtype=np.complex128)
        self._power = np.full(bins, 1.0)
        self._error_power = np.zeros(bins)
        self._energy_fore = 0.0
        self._energy_back = 0.0
        self._energy_mic = 0.0
        self._energy_played = 0.0

    def played(self, samples: Samples) -> None:
        """The next samples handed to the output."""
        self._played = np.concatenate([self._played, samples.astype(np.float64)])
        self._played_end += len(samples)
        excess = len(self._played) - KEEP_PLAYED
        if excess > 0:
            self._played = self._played[excess:]
            self._played_start += excess

    def cancel(self, samples: Samples, lag_hint: int | None = None) -> Samples:
        """The next captured samples; returns the cleaned samples ready so far (up to a block
        behind). `lag_hint` is the lag the clocks suggest, if they can tell."""
        if lag_hint is not None:
            self._hint = lag_hint
        captured = samples.astype(np.float64)
        self._captured = np.concatenate([self._captured, captured])[-DELAY_WINDOW:]
        self._pending = np.concatenate([self._pending, captured])
        self._since_measured += len(samples)
        if self._since_measured >= (DELAY_EVERY if self.lag is not None else SAMPLE_RATE // 2):
            self._since_measured = 0
            self._measure_lag()
        out = []
        while len(self._pending) >= BLOCK:
            block, self._pending = self._pending[:BLOCK], self._pending[BLOCK:]
            out.append(self._filter(block))
            self._done += BLOCK
        if not out:
            return np.zeros(0, dtype=np.int16)
        cleaned = np.concatenate(out)
        return np.clip(np.round(cleaned), -32768, 32767).astype(np.int16)

    # --- the lag ----------------------------------------------------------------------------

    def _reference(self, first: int, count: int) -> np.ndarray:
        """Played samples `first` to `first + count` (zeros where none were kept or given)."""
        out = np.zeros(count)
        low = max(first, self._played_start)
        high = min(first + count, self._played_end)
        if high > low:
            at = low - self._played_start
            out[low - first : high - first] = self._played[at : at + high - low]
        return out

    def _measure_lag(self) -> None:
        """Cross-correlate the last DELAY_WINDOW captured samples with what was played around
        the clocks' guess; take the peak if it stands out."""
        if len(self._captured) < DELAY_WINDOW:
            return
        heard, left = self._since_check
        self._since_check = [0.0, 0.0]
        if self.lag is not None and left * 10 ** (WORKING_DB / 10) < heard:
            return  # the filter takes the echo well down: the lag is right
        end = self._done + len(self._pending)  # the captured index after the last
        guess = self._hint
        first = end - DELAY_WINDOW - guess - DELAY_SEARCH
        span = DELAY_WINDOW + 2 * DELAY_SEARCH
        played = self._reference(first, span)
        if np.mean(played**2) < QUIET:
            return
        size = 1 << int(np.ceil(np.log2(span + DELAY_WINDOW)))
        cross = np.fft.rfft(self._captured, size) * np.conj(np.fft.rfft(played, size))
        cross /= np.abs(cross) ** PHAT + 1e-9
        correlation = np.fft.irfft(cross, size)
        # Captured sample i (of the window) against played sample j: the lag is
        # (end - DELAY_WINDOW + i) - (first + j); correlation[k] holds i - j = k (mod size).
        shifts = np.arange(-span + 1, DELAY_WINDOW)
        lags = end - DELAY_WINDOW - first + shifts
        values = np.abs(correlation[shifts % size])
        allowed = np.abs(lags - guess) <= DELAY_SEARCH
        values = np.where(allowed, values, 0.0)
        best = int(np.argmax(values))
        typical = float(np.median(values[allowed])) + 1e-12
        if values[best] < DELAY_CONFIDENCE * typical:
            return
        lag = int(lags[best])
        if abs(lag - guess) > DELAY_SEARCH - PRE_DELAY:
            return  # at the edge of the search: a peak cut off, not one found
        elsewhere = np.abs(lags - lag) > PRE_DELAY
        if np.max(values[elsewhere]) > AMBIGUOUS * values[best]:
            return  # two places fit about as well: a phrase the coach says twice
        self.measured += 1
        agreed = self._candidate is not None and abs(lag - self._candidate) <= AGREE
        self._candidate = lag
        if agreed and (self.lag is None or abs(lag - self.lag) > PRE_DELAY // 2):
            self.lag = lag
            self._reset()

    def _reset(self) -> None:
        """Forget the echo path (the lag moved beyond what the filter can follow)."""
        self._spectra[:] = 0
        self._previous[:] = 0
        self._foreground[:] = 0
        self._background[:] = 0
        self._energy_fore = self._energy_back = 0.0

    # --- the filter -------------------------------------------------------------------------

    def _filter(self, captured: np.ndarray) -> np.ndarray:
        """One block through both filters; the foreground's error is the cleaned block."""
        lag = self.lag if self.lag is not None else self._hint
        reference = self._reference(self._done - lag + PRE_DELAY, BLOCK)
        self._spectra = np.roll(self._spectra, 1, axis=0)
        self._spectra[0] = np.fft.rfft(np.concatenate([self._previous, reference]))
        self._previous = reference
        fore: np.ndarray = captured - self._estimate(self._foreground)
        back = captured - self._estimate(self._background)
        smoothing = SMOOTHING
        self._energy_fore = smoothing * self._energy_fore + (1 - smoothing) * np.mean(fore**2)
        self._energy_back = smoothing * self._energy_back + (1 - smoothing) * np.mean(back**2)
        self._energy_mic = smoothing * self._energy_mic + (1 - smoothing) * np.mean(captured**2)
        played_energy = np.mean(reference**2)
        self._energy_played = smoothing * self._energy_played + (1 - smoothing) * played_energy
        if self._energy_played < QUIET:
            return fore
        self._since_check[0] += float(np.sum(captured**2))
        self._since_check[1] += float(np.sum(fore**2))
        self._adapt(back)
        if self._energy_back < COPY * self._energy_fore and self._energy_back < self._energy_mic:
            self._foreground[:] = self._background
            self._energy_fore = self._energy_back
        elif self._energy_back > DIVERGED * self._energy_fore:
            self._background[:] = self._foreground
            self._energy_back = self._energy_fore
        return fore

    def _estimate(self, taps: np.ndarray) -> np.ndarray:
        """The echo the filter `taps` predicts for the current block."""
        spectrum = np.einsum("pk,pk->k", taps, self._spectra)
        return np.asarray(np.fft.irfft(spectrum, 2 * BLOCK)[BLOCK:])

    def _adapt(self, error: np.ndarray) -> None:
        """One NLMS step of the background filter, constrained to BLOCK taps a partition."""
        held = (np.abs(self._spectra) ** 2).sum(axis=0)
        self._power = 0.5 * self._power + 0.5 * held
        floor = self._power.mean() * FLOOR + 1.0
        spectrum = np.fft.rfft(np.concatenate([np.zeros(BLOCK), error]))
        self._error_power = 0.9 * self._error_power + 0.1 * np.abs(spectrum) ** 2
        gain = STEP / (self._power + REGULARIZE * self._error_power + floor)
        gradient = np.conj(self._spectra) * (spectrum * gain)
        taps = np.fft.irfft(gradient, 2 * BLOCK, axis=1)
        taps[:, BLOCK:] = 0
        self._background += np.fft.rfft(taps, axis=1)
