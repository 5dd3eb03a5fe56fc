"""The speech stage's seam: what a text-to-speech engine offers and how it is called."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from coach.pcm import Samples


@dataclass(frozen=True)
class Voice:
    """A voice an engine offers: `id` is what `--voice` takes."""

    id: str
    name: str
    language: str

    @property
    def is_english(self) -> bool:
        """True for English voices of any region ("en", "en-us", "en-gb-scotland", ...);
        not for English written in another alphabet (eSpeak's "en-shaw", Shavian)."""
        return self.is_for_speech and (self.language == "en" or self.language.startswith("en-"))

    @property
    def is_for_speech(self) -> bool:
        """False for the voices eSpeak ships for testing ("xextan-test") or for reading
        English in another alphabet (Shavian): they are never suggested, and `coach voices`
        lists them last."""
        return not (self.name.endswith("-test") or self.language.endswith("-shaw"))


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
        """Speak `text` with `voice` at `rate` words per minute; return samples and sample rate.

        The same arguments give the same samples, whatever was synthesized before.
        """
        ...

    def synthesize_many(
        self, texts: Sequence[str], voice: str, rate: int
    ) -> Iterator[tuple[int, tuple[Samples, int]]]:
        """`synthesize` for each of `texts`, yielding (index, result) as each is ready, in
        any order: an engine that can work on several at once (Piper) does so here."""
        ...
