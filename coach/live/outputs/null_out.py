"""The output that makes no sound: `NullOutput`, the "null" backend.

It is a device with a real clock and no speaker: a thread pulls one period of samples at a
time, on schedule, and throws them away.
"""

from __future__ import annotations

import threading
import time

from coach.live.types import SampleSource
from coach.time import SAMPLE_RATE, ms_to_samples

PERIOD_MS = 20
"""How much the null device pulls at a time."""


class NullOutput:
    """The "null" backend: plays nothing, keeps time (implements coach.live.types.AudioOutput).

    `speed` runs its clock faster than real time (2.0: twice as fast), for tests and the
    benchmark. `frames` counts what it has pulled, `started_at` is when it started.
    """

    name = "null"
    latency_frames = 0
    backend = ""
    """It plays through no sound system."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._speed = speed
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._done = threading.Event()
        self.frames = 0
        """Frames pulled so far."""
        self.started_at: float | None = None
        """time.monotonic() when the first period was pulled."""

    def start(self, source: SampleSource) -> None:
        """Start pulling from `source` on a thread of its own. RuntimeError after close()
        or while it still pulls from another source."""
        if self._closed.is_set():
            raise RuntimeError("start() on a closed NullOutput")
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the NullOutput is already playing")
        self._done.clear()
        self._thread = threading.Thread(
            target=self._pull, args=(source,), name="coach-null-output", daemon=True
        )
        self._thread.start()

    def drain(self, timeout: float) -> bool:
        return self._done.wait(timeout)

    def devices(self) -> list[str]:
        return []

    def problem(self) -> str | None:
        return None

    def close(self) -> None:
        """Stop pulling and end the thread. Safe to call twice."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join()

    def _pull(self, source: SampleSource) -> None:
        period = ms_to_samples(PERIOD_MS)
        started = time.monotonic()
        if self.started_at is None:
            self.started_at = started
        pulled = 0
        while not self._closed.is_set():
            got = len(source.read(period))
            pulled += got
            self.frames += got
            if got < period:
                break
            due = started + pulled / SAMPLE_RATE / self._speed
            self._closed.wait(max(due - time.monotonic(), 0.0))
        self._done.set()
