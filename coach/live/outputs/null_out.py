"""Outputs that make no sound: `NullOutput` (the "null" backend) and `RecordingOutput` (for tests).

A clip "plays" for exactly its length on a clock (time.monotonic unless one is given), so a
player driven by them behaves as with a real device, minus the device's few ms of latency.
Like every backend, they play one clip at a time: starting a clip ends the one before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from coach.live.types import Clock
from coach.pcm import Samples


class NullClip:
    """A silent clip that is playing from its start until `end` on the clock, or until stopped."""

    def __init__(self, clock: Clock, start: float, end: float) -> None:
        self._clock = clock
        self.start = start
        """Clock time at which the clip started."""
        self.end = end
        """Clock time at which the clip's last sample would have played."""
        self._stopped = False
        self.on_stop: Callable[[], None] | None = None
        """Called by stop() when it cuts the clip short (not when it already ended)."""

    def is_playing(self) -> bool:
        """True until the clip's length has passed on the clock, or it was stopped or replaced."""
        return not self._stopped and self._clock() < self.end

    def stop(self) -> None:
        """End the clip now; no-op if it already ended."""
        if self.is_playing() and self.on_stop is not None:
            self.on_stop()
        self._stopped = True

    def _replace(self) -> None:
        """End the clip because another one started (not recorded as a stop)."""
        self._stopped = True


class NullOutput:
    """The "null" backend: plays nothing, keeps time (implements coach.live.types.AudioOutput)."""

    name = "null"

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._current: NullClip | None = None
        self.closed = False
        """True after close()."""

    def play(self, samples: Samples, rate: int) -> NullClip:
        """Start a silent clip lasting len(samples) / rate seconds; ends the previous clip.

        Raises ValueError for a non-mono array or a rate that is not positive, and
        RuntimeError after close().
        """
        return self._start(samples, rate)

    def close(self) -> None:
        """End the current clip. Safe to call twice; play() afterwards raises RuntimeError."""
        if self._current is not None:
            self._current._replace()
        self.closed = True

    def _start(self, samples: Samples, rate: int) -> NullClip:
        if self.closed:
            raise RuntimeError(f"play() on a closed {type(self).__name__}")
        if samples.ndim != 1:
            raise ValueError(f"expected a mono clip (1-D samples), got shape {samples.shape}")
        if rate <= 0:
            raise ValueError(f"sample rate must be positive, got {rate}")
        if self._current is not None:
            self._current._replace()
        now = self._clock()
        clip = NullClip(self._clock, now, now + len(samples) / rate)
        self._current = clip
        return clip


@dataclass
class Played:
    """One play() call seen by a RecordingOutput."""

    at: float
    """Clock time of the play() call."""
    samples: Samples
    """A copy of the samples passed, so later changes to the caller's array do not show."""
    rate: int
    stopped_at: float | None = None
    """Clock time at which stop() cut the clip short, or None if it was never stopped."""

    @property
    def end(self) -> float:
        """Clock time at which the clip would end if played to the end."""
        return self.at + len(self.samples) / self.rate


class RecordingOutput(NullOutput):
    """A NullOutput that records every play() in `plays`, in call order, for tests and benchmarks.

    `plays[i].at` is the clock time of the call, so a test can compare when each clip started
    with when the timeline said it should.
    """

    name = "recording"

    def __init__(self, clock: Clock = time.monotonic) -> None:
        super().__init__(clock)
        self.plays: list[Played] = []

    def play(self, samples: Samples, rate: int) -> NullClip:
        """As NullOutput.play, and append a Played record of the call to `plays`."""
        clip = self._start(samples, rate)
        record = Played(clip.start, np.array(samples, dtype=np.int16, copy=True), rate)

        def stopped() -> None:
            record.stopped_at = self._clock()

        clip.on_stop = stopped
        self.plays.append(record)
        return clip
