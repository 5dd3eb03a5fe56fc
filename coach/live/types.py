"""The live stage's seams: a sample source and the output that pulls it, keys, and a display.

An output is a device with a clock of its own: once started it pulls samples from its source,
period by period, for as long as the source gives them. The player never times anything
itself; it asks the source how far the device has got.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from coach.live.status import Status
    from coach.pcm import Samples

PAUSE, NEXT, PREVIOUS, QUIT = " ", "n", "p", "q"
"""The keys of live play."""
SUSPEND = "suspend"
"""What a KeySource returns for Ctrl-Z: the player fades out, then calls `suspend()`."""
CONTINUED = "continued"
"""What a KeySource returns when the process was stopped and continued behind its back."""


class SampleSource(Protocol):
    """Mono 16-bit samples at coach.time.SAMPLE_RATE, pulled by an output from its own thread."""

    def read(self, frames: int) -> Samples:
        """The next samples to play: at most `frames` of them. Fewer than `frames` means the
        source has ended after these; the output plays what it has, then stops by itself."""
        ...


class AudioOutput(Protocol):
    """A sound device that plays one continuous stream, pulled from a SampleSource."""

    name: str

    @property
    def latency_frames(self) -> int:
        """Frames between the source handing a sample over and the sample being heard."""
        ...

    def start(self, source: SampleSource) -> None:
        """Start pulling from `source` and return at once. After `problem()` reported a lost
        device, opens the device again first (CoachError if it cannot)."""
        ...

    def drain(self, timeout: float) -> bool:
        """Wait until the source has ended and all it gave has been heard (the device has
        then stopped); False if that takes longer than `timeout` seconds."""
        ...

    def problem(self) -> str | None:
        """Why the device stopped playing by itself (it went away), or None while it plays."""
        ...

    def close(self) -> None:
        """Stop at once and release the device. Safe to call twice."""
        ...


class KeySource(Protocol):
    """Where key presses come from. `wait` is also how the player sleeps."""

    def wait(self, seconds: float) -> str | None:
        """Return a key pressed within `seconds`, or None once they have passed."""
        ...

    def suspend(self) -> None:
        """Hand the terminal back and stop the process (Ctrl-Z); return once it continues,
        with single keys working again."""
        ...


class Display(Protocol):
    """Where the player shows how the session is going: one status line, and notices."""

    def status(self, status: Status) -> None:
        """Show `status` in the status line, in place of what it showed."""
        ...

    def notice(self, text: str) -> None:
        """Say something that stays on screen above the status line."""
        ...

    def clear(self) -> None:
        """Remove the status line, leaving the cursor at the start of an empty line."""
        ...
