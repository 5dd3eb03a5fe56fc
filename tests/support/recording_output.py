"""`RecordingOutput`: an audio output for tests, with no thread and no clock.

A test moves its device time on with `advance()`, and every sample pulled is kept, so a test
can hold what "the speakers heard" against the render, sample for sample.
"""

from __future__ import annotations

import numpy as np

from coach.live.types import SampleSource
from coach.pcm import Samples
from coach.time import SAMPLE_RATE


class RecordingOutput:
    """A device for tests, with no thread: `advance(seconds)` pulls that much device time from
    the source, and `recorded()` is every sample pulled, in order (implements AudioOutput).

    `lose(reason)` makes it act like a device that went away: it stops pulling and
    `problem()` says why, until the next start().
    """

    name = "recording"
    backend = ""

    def __init__(self, period_frames: int = 220, latency_frames: int = 0) -> None:
        self.period_frames = period_frames
        self.latency_frames = latency_frames
        self.starts = 0
        """How many times start() was called."""
        self.closed = False
        self._source: SampleSource | None = None
        self._ended = False
        self._lost: str | None = None
        self._pieces: list[Samples] = []
        self._frames = 0
        self._due_s = 0.0

    def start(self, source: SampleSource) -> None:
        if self.closed:
            raise RuntimeError("start() on a closed RecordingOutput")
        self._source, self._ended, self._lost = source, False, None
        self.starts += 1

    def advance(self, seconds: float) -> None:
        """Let `seconds` of device time pass: pull whole periods up to that point."""
        self._due_s += seconds
        due = round(self._due_s * SAMPLE_RATE)
        while self._frames + self.period_frames <= due and self._pull():
            pass
        if self._source is None or self._ended or self._lost:
            self._frames = max(self._frames, due)  # the clock runs on with nothing pulled

    def drain(self, timeout: float) -> bool:
        """Pull until the source ends, for at most `timeout` seconds of device time."""
        for _ in range(int(timeout * SAMPLE_RATE) // self.period_frames + 1):
            if self._ended or not self._pull():
                break
        if self._ended:
            self._due_s = max(self._due_s, self._frames / SAMPLE_RATE)
        return self._ended

    def devices(self) -> list[str]:
        return []

    def problem(self) -> str | None:
        return self._lost

    def lose(self, reason: str) -> None:
        """From now on, pull nothing and report `reason` as the problem."""
        self._lost = reason

    def close(self) -> None:
        self.closed = True
        self._source = None

    def recorded(self) -> Samples:
        """Every sample pulled so far, in order."""
        if not self._pieces:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self._pieces)

    @property
    def frames(self) -> int:
        """Device frames so far, pulled or not."""
        return self._frames

    def _pull(self) -> bool:
        if self._source is None or self._ended or self._lost is not None or self.closed:
            return False
        got = self._source.read(self.period_frames)
        self._pieces.append(np.array(got, dtype=np.int16, copy=True))
        self._frames += len(got)
        if len(got) < self.period_frames:
            self._ended = True
        return not self._ended
