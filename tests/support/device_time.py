"""Live play on device time, for tests: keys that let the recording device pull as time
passes, and a display that keeps everything it is shown."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from coach.live.types import Status
from support.recording_output import RecordingOutput

Script = list[tuple[float, str | BaseException]]
"""Keys (or an exception to raise from wait) at device times in seconds after the start."""


class ScriptedKeys:
    """A KeySource on device time: `wait(s)` lets `s` seconds of device time pass (the device
    pulls them), unless a scripted key falls due first: then time moves on to that key, which
    is returned (or raised, for an exception)."""

    def __init__(self, output: RecordingOutput, script: Script | None = None) -> None:
        self.output = output
        self.now = 0.0
        self.script = sorted(script or [], key=lambda item: item[0])
        self.waits: list[float] = []
        self.suspended: list[float] = []
        self.on_suspend: Callable[[], None] | None = None

    def wait(self, seconds: float) -> str | None:
        assert seconds >= 0
        self.waits.append(seconds)
        if self.script and self.script[0][0] <= self.now + seconds:
            at, key = self.script.pop(0)
            self.pass_time(max(at - self.now, 0.0))
            if isinstance(key, BaseException):
                raise key
            return key
        self.pass_time(seconds)
        return None

    def pass_time(self, seconds: float) -> None:
        self.output.advance(seconds)
        self.now += seconds

    def suspend(self) -> None:
        # The process stops: nothing is pulled, and the device's time does not count.
        self.suspended.append(self.now)
        if self.on_suspend is not None:
            self.on_suspend()


class Screen:
    """A Display that keeps everything: each status with the device time it was shown at."""

    def __init__(self, keys: ScriptedKeys) -> None:
        self.keys = keys
        self.statuses: list[tuple[float, Status]] = []
        self.notices: list[str] = []
        self.clears: list[float] = []

    def status(self, status: Status) -> None:
        self.statuses.append((self.keys.now, status))

    def notice(self, text: str) -> None:
        self.notices.append(text)

    def clear(self) -> None:
        self.clears.append(self.keys.now)

    def pauses(self) -> int:
        """How many times the status line went from playing to paused."""
        shown = [False, *(status.paused for _, status in self.statuses)]
        return sum(1 for before, now in pairwise(shown) if now and not before)
