"""The live stage's seams: a sample source and the output that pulls it, keys, and a display;
for listening, a microphone, an echo remover, a keyword spotter and its verifier, and what
the player is told was heard.

An output is a device with a clock of its own: once started it pulls samples from its source,
period by period, for as long as the source gives them. The player never times anything
itself; it asks the source how far the device has got. A microphone is the same the other
way round: once started it hands each block it captures to a function, from its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from coach.pcm import Samples

PAUSE, NEXT, PREVIOUS, QUIT = " ", "n", "p", "q"
"""The keys of live play."""
SUSPEND = "suspend"
"""What a KeySource returns for Ctrl-Z: the player fades out, then calls `suspend()`."""
CONTINUED = "continued"
"""What a KeySource returns when the process was stopped and continued behind its back."""
HOLD, GO_ON = "hold", "go on"
"""What the voice can ask for beyond the keys: pause only, and go on only (space does either)."""


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

    @property
    def backend(self) -> str:
        """The sound system it plays through ("PulseAudio", "ALSA", ...); "" for none."""
        ...

    def devices(self) -> list[str]:
        """The names of the playback devices that sound system offers ([] if it will not
        say, or has none). Live play uses the system's default one."""
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


@dataclass(frozen=True)
class Status:
    """What the status line shows at one moment."""

    chapter: str
    exercise: int | None
    """Number of the exercise under way (from 1), or None before the first."""
    exercises: int
    step: str
    """The rep ("left side, 1 of 3"), "closing" (in a last chapter that holds the closing
    words), or ""."""
    hold_left_ms: int | None
    """Time left in the current hold, or None when not in a hold."""
    session_left_ms: int
    paused: bool = False
    heard: str = ""
    """A voice command just heard ("coach pause"), or ""."""


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


# --- listening ------------------------------------------------------------------------------


class Microphone(Protocol):
    """A capture device: mono 16-bit samples at coach.time.SAMPLE_RATE, handed over block by
    block from the device's own thread."""

    name: str

    @property
    def backend(self) -> str:
        """The sound system it captures through ("PulseAudio", ...); "" for none."""
        ...

    def start(self, deliver: Callable[[Samples], None]) -> None:
        """Start capturing and return at once; `deliver` gets each block as it comes, on the
        device's thread, and must return at once (it only queues the block)."""
        ...

    def problem(self) -> str | None:
        """Why the microphone stopped by itself (it went away), or None while it captures."""
        ...

    def close(self) -> None:
        """Stop capturing and release the device. Safe to call twice."""
        ...


@dataclass(frozen=True)
class Spotted:
    """A phrase a Spotter found: where in the samples fed to it, and how sure it is."""

    phrase: str
    start: int
    """Its first sample, counted from the first sample ever fed to the spotter."""
    end: int
    """The sample after its last."""
    score: float
    """The engine's confidence, higher is surer; comparable between its phrases."""


class Spotter(Protocol):
    """Finds a fixed set of phrases in a stream of samples at coach.time.SAMPLE_RATE."""

    phrases: tuple[str, ...]

    def feed(self, samples: Samples) -> list[Spotted]:
        """Take the next samples of the stream; return the phrases found so far that were not
        returned before (a phrase may be returned a little after it ends)."""
        ...

    def settle(self) -> None:
        """Forget what is half heard, after a command was taken (the stream goes on)."""
        ...


class Verifier(Protocol):
    """A second opinion on a phrase a Spotter found, from a stronger recogniser."""

    def confirm(self, samples: Samples) -> str | None:
        """Which command phrase (of coach.live.spotting.COMMANDS) `samples`, a second or two
        of sound around what the spotter found, hold; None if none."""
        ...


class EchoRemover(Protocol):
    """Takes what the speakers played out of what the microphone captured."""

    def played(self, samples: Samples) -> None:
        """The next samples handed to the output."""
        ...

    def cancel(self, samples: Samples, lag_hint: int | None = None) -> Samples:
        """The next captured samples; returns the cleaned samples ready so far, in order
        (sample `i` out is captured sample `i`). `lag_hint`: the clocks' guess of how many
        samples later the microphone hears a played sample, counted in the two streams."""
        ...


@dataclass(frozen=True)
class Heard:
    """A command the listener heard: its phrase ("coach pause") and what it asks for (HOLD,
    GO_ON, NEXT, PREVIOUS or QUIT)."""

    phrase: str
    action: str


class Voice(Protocol):
    """Commands heard since the player last asked."""

    def take(self) -> Heard | None:
        """The oldest command not taken yet, or None."""
        ...

    def problem(self) -> str | None:
        """Why listening stopped by itself (the microphone went away), or None."""
        ...


@dataclass(frozen=True)
class ControlEvent:
    """One thing done at the user's request during live play: for a log of the session."""

    at_ms: int
    """Where the session was, in ms from its start."""
    what: str
    """"pause", "go on", "next", "back" or "stop"."""
    origin: Literal["key", "voice"]
    detail: str
    """The key ("space", "n", ...) or the phrase heard ("coach pause")."""
