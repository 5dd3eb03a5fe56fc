"""The phrase book: every spoken phrase of a session as a trimmed clip of known length.

This is where measured speech lengths come from. The timeline needs the exact length of
each phrase, the renderer and the player need its samples, and both must agree; so each
distinct text is synthesized (or read from the cache) once, trimmed of the silence the
engine puts around it, and that one clip is what every later question about the text sees.
"""

from __future__ import annotations

from collections.abc import Iterable

from coach.errors import CoachError
from coach.pcm import Samples
from coach.progress import Progress
from coach.speech.cache import PhraseCache, phrase_key
from coach.speech.choices import RATE_RANGE, check_voice, valid_rate
from coach.speech.trimming import trim_silence
from coach.speech.types import SpeechEngine
from coach.speech.wording import spoken_text
from coach.time import SAMPLE_RATE, samples_to_ms

__all__ = ["PhraseBook"]


class PhraseBook:
    """Clips and lengths of spoken phrases for one engine, voice and rate.

    Each distinct text is synthesized or read from `cache` at most once per PhraseBook and
    then served from memory; the same text always gives the same (read-only) array.
    `synthesized` and `cache_hits` count the two ways a clip was obtained, so a warm run
    can be checked to synthesize nothing. Not safe to share between threads.

    Implements the speech half of `coach.plan.lengths.KnownLengths` (`speech_ms`,
    `known_speech_ms`).
    """

    def __init__(
        self, engine: SpeechEngine, voice: str, rate: int, cache: PhraseCache | None = None
    ) -> None:
        """Check `voice` and `rate` up front; raises CoachError naming valid choices."""
        _check_rate(rate)
        check_voice(engine, voice)
        self.engine = engine
        self.voice = voice
        self.rate = rate
        self.cache = cache
        self.synthesized = 0
        self.cache_hits = 0
        self.engine_version = engine.version()
        self._clips: dict[str, Samples] = {}

    def clip(self, text: str) -> Samples:
        """`text` spoken: mono int16 at SAMPLE_RATE, leading and trailing silence trimmed.

        Blank text gives an empty clip. Raises CoachError if the engine fails.
        """
        found = self._clips.get(text)
        if found is None:
            found = self._from_cache(text)
        if found is None:
            found = self._synthesize(text)
        return found

    def speech_ms(self, text: str) -> int:
        """Length of `text`'s clip in whole milliseconds, rounded up so the clip fits."""
        return samples_to_ms(len(self.clip(text)))

    def known_speech_ms(self, text: str) -> int | None:
        """`speech_ms(text)` if the clip is in memory already, else None (nothing is read
        or synthesized)."""
        found = self._clips.get(text)
        return None if found is None else samples_to_ms(len(found))

    def synthesize_all(self, texts: Iterable[str], progress: Progress | None = None) -> None:
        """Make sure every distinct text in `texts` has a clip, synthesizing what is missing.

        Clips in the cache are loaded first; then `progress(done, total)` is called with
        done = 0 and after each synthesis, total being the number of texts that need
        synthesizing. It is not called when nothing needs synthesizing.
        """
        missing = [  # distinct, in first-seen order
            text
            for text in dict.fromkeys(texts)
            if text not in self._clips and self._from_cache(text) is None
        ]
        if not missing:
            return
        total = len(missing)
        if progress is not None:
            progress(0, total)
        # One batch, so an engine that can work on several phrases at once (Piper) does. A
        # phrase's samples depend only on its text, so the order changes nothing else.
        spoken = self.engine.synthesize_many(
            [spoken_text(text) for text in missing], self.voice, self.rate
        )
        for done, (index, (raw, rate)) in enumerate(spoken, start=1):
            self._store(missing[index], self._checked(raw, rate))
            if progress is not None:
                progress(done, total)

    def _key(self, text: str) -> str:
        return phrase_key(self.engine.name, self.engine_version, self.voice, self.rate, text)

    def _from_cache(self, text: str) -> Samples | None:
        if self.cache is None:
            return None
        samples = self.cache.get(self._key(text))
        if samples is None:
            return None
        self.cache_hits += 1
        return self._keep(text, samples)

    def _speak(self, text: str) -> Samples:
        """The engine's untrimmed samples for `text`, checked to be at SAMPLE_RATE."""
        raw, rate = self.engine.synthesize(spoken_text(text), self.voice, self.rate)
        return self._checked(raw, rate)

    def _checked(self, raw: Samples, rate: int) -> Samples:
        if rate != SAMPLE_RATE:
            raise ValueError(
                f"the {self.engine.name} engine gave {rate} Hz audio; engines deliver "
                f"{SAMPLE_RATE} Hz"
            )
        return raw

    def _synthesize(self, text: str) -> Samples:
        return self._store(text, self._speak(text))

    def _store(self, text: str, raw: Samples) -> Samples:
        samples = trim_silence(raw)
        self.synthesized += 1
        if self.cache is not None:
            self.cache.put(self._key(text), samples)
        return self._keep(text, samples)

    def _keep(self, text: str, samples: Samples) -> Samples:
        # Read-only: callers share this one array, and its length is already in a timeline.
        samples.flags.writeable = False
        self._clips[text] = samples
        return samples


def _check_rate(rate: int) -> None:
    if valid_rate(rate) is None:
        low, high = RATE_RANGE
        raise CoachError(
            f"Speech rate {rate!r} is out of range: give a whole number of words per minute "
            f"from {low} to {high} (around 150 is a calm pace)."
        )
