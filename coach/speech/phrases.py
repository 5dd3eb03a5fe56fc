"""The phrase book: every spoken phrase of a session as a trimmed clip of known length.

This is where measured speech lengths come from. The timeline needs the exact length of
each phrase, the renderer and the player need its samples, and both must agree; so each
distinct text is synthesized (or read from the cache) once, trimmed of the silence the
engine puts around it, and that one clip is what every later question about the text sees.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from coach.errors import CoachError
from coach.pcm import SAMPLE_RATE, Samples, ms_to_samples, samples_to_ms
from coach.speech import RATE_RANGE
from coach.speech.cache import PhraseCache, phrase_key
from coach.types import SpeechEngine

__all__ = [
    "LEAD_MARGIN_MS",
    "TRAIL_MARGIN_MS",
    "TRIM_THRESHOLD_DBFS",
    "PhraseBook",
    "resample",
    "trim_silence",
]

TRIM_THRESHOLD_DBFS = -45.0
"""Edge samples quieter than this (relative to full scale) count as silence.

eSpeak's own padding is digital zero, and the words rise well above -45 dBFS within a
millisecond or two of their first non-zero sample, so this finds the words' true edges.
"""

LEAD_MARGIN_MS = 10
"""Kept before the first loud sample, so a soft onset ("f", "h", "s") is not cut."""

TRAIL_MARGIN_MS = 20
"""Kept after the last loud sample: word endings (released stops, fricatives) fade slower."""

_VOICES_SHOWN = 10
"""How many non-English voices an unknown-voice error names before summarising the rest."""

FINISH_THREADS = 2
"""Clips finished at once by `prepare_finished` (the machines this runs on have 2+ cores)."""


def trim_silence(samples: Samples, rate: int = SAMPLE_RATE) -> Samples:
    """`samples` without leading and trailing silence, keeping the edge margins.

    Silence is any run of samples below TRIM_THRESHOLD_DBFS at either end. An all-silent
    clip becomes empty. Always returns a new array, so a long engine buffer can be freed.
    """
    threshold = 32768.0 * 10.0 ** (TRIM_THRESHOLD_DBFS / 20.0)
    # int32 first: abs(-32768) does not fit in int16.
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    if loud.size == 0:
        return np.zeros(0, dtype=np.int16)
    start = max(0, int(loud[0]) - ms_to_samples(LEAD_MARGIN_MS, rate))
    end = min(len(samples), int(loud[-1]) + 1 + ms_to_samples(TRAIL_MARGIN_MS, rate))
    return samples[start:end].copy()


def resample(samples: Samples, from_rate: int, to_rate: int = SAMPLE_RATE) -> Samples:
    """`samples` at `from_rate` converted to `to_rate` (polyphase filter; unchanged if equal)."""
    if from_rate == to_rate:
        return samples
    from scipy.signal import resample_poly  # heavy; only engines at another rate need it

    common = math.gcd(from_rate, to_rate)
    converted = np.asarray(
        resample_poly(samples.astype(np.float64), to_rate // common, from_rate // common),
        dtype=np.float64,
    )
    return np.clip(np.round(converted), -32768, 32767).astype(np.int16)


class PhraseBook:
    """Clips and lengths of spoken phrases for one engine, voice and rate.

    Each distinct text is synthesized or read from `cache` at most once per PhraseBook and
    then served from memory; the same text always gives the same (read-only) array.
    `synthesized` and `cache_hits` count the two ways a clip was obtained, so a warm run
    can be checked to synthesize nothing. Not safe to share between threads.

    Implements the speech half of `coach.types.SpeechLengths` (`speech_ms`).
    """

    def __init__(
        self,
        engine: SpeechEngine,
        voice: str,
        rate: int,
        cache: PhraseCache | None = None,
        *,
        finish: Callable[[Samples], Samples] | None = None,
        finish_id: str = "",
    ) -> None:
        """Check `voice` and `rate` up front; raises CoachError naming valid choices.

        `finish` (say, loudness mastering) turns a trimmed clip into the one that is heard
        (`finished`); it must keep the clip's length, so lengths come from the plain clip and
        only the phrases a session really uses are finished. Finished clips are cached too,
        under a key that includes `finish_id`: change it whenever `finish` would change its
        output.
        """
        _check_rate(rate)
        _check_voice(engine, voice)
        self.engine = engine
        self.voice = voice
        self.rate = rate
        self.cache = cache
        self.synthesized = 0
        self.cache_hits = 0
        self.finished_made = 0
        self._finish = finish
        self._engine_version = engine.version()
        self._finish_version = f"{self._engine_version}; finished: {finish_id}"
        self._clips: dict[str, Samples] = {}
        self._finished: dict[str, Samples] = {}

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

    def prepare(
        self, texts: Iterable[str], progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Make sure every distinct text in `texts` has a clip, synthesizing what is missing.

        Clips in the cache are loaded first; then `progress(done, total)` is called with
        done = 0 and after each synthesis, total being the number of texts that need
        synthesizing. It is not called when nothing needs synthesizing.
        """
        missing: list[str] = []
        for text in dict.fromkeys(texts):  # distinct, in first-seen order
            if text not in self._clips and self._from_cache(text) is None:
                missing.append(text)
        if not missing:
            return
        total = len(missing)
        if progress is not None:
            progress(0, total)
        for done, text in enumerate(missing, start=1):
            self._synthesize(text)
            if progress is not None:
                progress(done, total)

    def finished(self, text: str) -> Samples:
        """`text`'s clip after `finish` (the plain clip when there is none): what is heard."""
        if self._finish is None:
            return self.clip(text)
        found = self._finished.get(text)
        if found is None:
            found = self._finished_from_cache(text)
        if found is None:
            found = self._store_finished(text, self._finish(self.clip(text)))
        return found

    def prepare_finished(
        self, texts: Iterable[str], progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Make sure every distinct text in `texts` has its finished clip.

        Plain clips are made first (see `prepare`, with the same `progress`); the missing
        finished clips are then made two at a time (numpy releases the GIL) and
        `progress(done, total)` reports them.
        """
        texts = list(dict.fromkeys(texts))
        if self._finish is None:
            self.prepare(texts, progress)
            return
        missing = [
            text
            for text in texts
            if text not in self._finished and self._finished_from_cache(text) is None
        ]
        if not missing:
            return
        self.prepare(missing, progress)
        finish = self._finish
        if progress is not None:
            progress(0, len(missing))
        with ThreadPoolExecutor(max_workers=FINISH_THREADS) as pool:
            made = pool.map(lambda text: finish(self.clip(text)), missing)
            for done, (text, samples) in enumerate(zip(missing, made, strict=True), start=1):
                self._store_finished(text, samples)
                if progress is not None:
                    progress(done, len(missing))

    def _finished_from_cache(self, text: str) -> Samples | None:
        if self.cache is None:
            return None
        samples = self.cache.get(self._finished_key(text))
        if samples is None or len(samples) != len(self.clip(text)):
            return None
        samples.flags.writeable = False
        self._finished[text] = samples
        return samples

    def _store_finished(self, text: str, samples: Samples) -> Samples:
        if len(samples) != len(self.clip(text)):
            raise ValueError("finish changed the length of a clip; its timing would be wrong")
        self.finished_made += 1
        if self.cache is not None:
            self.cache.put(self._finished_key(text), samples)
        samples.flags.writeable = False
        self._finished[text] = samples
        return samples

    def _key(self, text: str) -> str:
        return phrase_key(self.engine.name, self._engine_version, self.voice, self.rate, text)

    def _finished_key(self, text: str) -> str:
        return phrase_key(self.engine.name, self._finish_version, self.voice, self.rate, text)

    def _from_cache(self, text: str) -> Samples | None:
        if self.cache is None:
            return None
        samples = self.cache.get(self._key(text))
        if samples is None:
            return None
        self.cache_hits += 1
        return self._keep(text, samples)

    def _synthesize(self, text: str) -> Samples:
        raw, rate = self.engine.synthesize(text, self.voice, self.rate)
        samples = trim_silence(resample(raw, rate, SAMPLE_RATE))
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
    low, high = RATE_RANGE
    if isinstance(rate, bool) or not isinstance(rate, int) or not low <= rate <= high:
        raise CoachError(
            f"Speech rate {rate!r} is out of range: give a whole number of words per minute "
            f"from {low} to {high} (around 150 is a calm pace)."
        )


def _check_voice(engine: SpeechEngine, voice: str) -> None:
    voices = engine.voices()
    ids = [v.id for v in voices]
    if voice in ids:
        return
    english = [v.id for v in voices if v.is_english]
    others = [v.id for v in voices if not v.is_english]
    parts = [f"The {engine.name} engine has no voice {voice!r}."]
    close = difflib.get_close_matches(voice, ids, n=3)
    if close:
        parts.append(f"Did you mean {' or '.join(close)}?")
    if english:
        parts.append(f"English voices: {', '.join(english)}.")
    if others:
        shown = ", ".join(others[:_VOICES_SHOWN])
        rest = len(others) - _VOICES_SHOWN
        more = f", and {rest} more" if rest > 0 else ""
        parts.append(f"Other voices: {shown}{more}.")
    parts.append("Run `coach voices` to list them all with their names.")
    raise CoachError(" ".join(parts))
