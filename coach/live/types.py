"""The live stage's seams: an audio output that plays clips, and a monotonic clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from coach.pcm import Samples

Clock = Callable[[], float]
"""Seconds on a monotonic clock: time.monotonic, or a fake in tests."""


class PlayingClip(Protocol):
    """A clip that an audio output has started."""

    def is_playing(self) -> bool: ...

    def stop(self) -> None: ...


class AudioOutput(Protocol):
    """A sound device that plays mono 16-bit clips without blocking."""

    name: str

    def play(self, samples: Samples, rate: int) -> PlayingClip:
        """Start playing `samples` now and return at once."""
        ...

    def close(self) -> None:
        """Stop everything and release the device."""
        ...


class KeySource(Protocol):
    """Where key presses come from. `wait` is also how the player sleeps."""

    def wait(self, seconds: float) -> str | None:
        """Return a key pressed within `seconds`, or None once they have passed."""
        ...
