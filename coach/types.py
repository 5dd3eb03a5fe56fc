"""The seams of the program, in one place: small protocols that each backend implements.

The pure core (routine, compiler, fit, timeline) only ever sees `SpeechLengths`.
Speech engines and audio outputs live at the edge and are picked from a registry dict
in their own package (`coach.speech.ENGINES`, `coach.audio.BACKENDS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from coach.pcm import Samples


class SpeechLengths(Protocol):
    """How long each spoken phrase and each chime lasts, in whole milliseconds."""

    def speech_ms(self, text: str) -> int:
        """Length of `text` spoken aloud (trimmed of leading and trailing silence)."""
        ...

    def cue_ms(self, name: str) -> int:
        """Length of the chime called `name`."""
        ...


@dataclass(frozen=True)
class Voice:
    """A voice an engine offers: `id` is what `--voice` takes."""

    id: str
    name: str
    language: str

    @property
    def is_english(self) -> bool:
        """True for English voices of any region ("en", "en-us", "en-gb-scotland", ...)."""
        return self.language == "en" or self.language.startswith("en-")


class SpeechEngine(Protocol):
    """A text-to-speech engine that turns one phrase into mono PCM."""

    name: str

    def version(self) -> str:
        """A string that changes whenever the engine could sound different (in cache keys)."""
        ...

    def voices(self) -> list[Voice]:
        """Every voice this engine can use."""
        ...

    def synthesize(self, text: str, voice: str, rate: int) -> tuple[Samples, int]:
        """Speak `text` with `voice` at `rate` words per minute; return samples and sample rate."""
        ...


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
