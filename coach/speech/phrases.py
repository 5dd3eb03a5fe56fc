"""The phrase book: every spoken phrase of a session as a trimmed clip of known length.

This is where measured speech lengths come from. The timeline needs the exact length of
each phrase, the renderer and the player need its samples, and both must agree; so each
distinct text is synthesized (or read from the cache) once, trimmed of the silence the
engine puts around it, and that one clip is what every later question about the text sees.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from coach.errors import CoachError
from coach.pcm import Samples
from coach.speech import RATE_RANGE, check_voice
from coach.speech.cache import PhraseCache, phrase_key
from coach.speech.types import SpeechEngine
from coach.speech.wording import spoken_text
from coach.time import SAMPLE_RATE, ms_to_samples, samples_to_ms

__all__ = [
    "LEAD_MARGIN_MS",
    "TRAIL_MARGIN_MS",
    "TRIM_THRESHOLD_DBFS",
    "PhraseBook",
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

FADE_MS = 5
"""Both ends of a trimmed clip fade in and out over this much (inside the margins, where
the sound is already below the threshold): Piper's silence is a faint hiss, not digital
zero, and a clip cut in it would start or end with a click once mastered."""

MASTER_THREADS = 2
"""Clips mastered at once by `mastering_ahead` (the machines this runs on have 2+ cores)."""


def trim_silence(samples: Samples, rate: int = SAMPLE_RATE) -> Samples:
    """`samples` without leading and trailing silence, keeping the edge margins.

    Silence is any run of samples below TRIM_THRESHOLD_DBFS at either end. The margins fade
    in and out over FADE_MS (never into a loud sample), so the clip ends on zero. An
    all-silent clip becomes empty. Always returns a new array, so a long engine buffer can
    be freed.
    """
    threshold = 32768.0 * 10.0 ** (TRIM_THRESHOLD_DBFS / 20.0)
    # int32 first: abs(-32768) does not fit in int16.
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    if loud.size == 0:
        return np.zeros(0, dtype=np.int16)
    first, last = int(loud[0]), int(loud[-1])
    start = max(0, first - ms_to_samples(LEAD_MARGIN_MS, rate))
    end = min(len(samples), last + 1 + ms_to_samples(TRAIL_MARGIN_MS, rate))
    clip = samples[start:end].astype(np.float64)
    fade = ms_to_samples(FADE_MS, rate)
    lead, trail = min(fade, first - start), min(fade, end - 1 - last)
    if lead > 0:
        clip[:lead] *= np.linspace(0.0, 1.0, lead, endpoint=False)
    if trail > 0:
        clip[len(clip) - trail :] *= np.linspace(1.0, 0.0, trail + 1)[1:]
    return np.round(clip).astype(np.int16)


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
        self,
        engine: SpeechEngine,
        voice: str,
        rate: int,
        cache: PhraseCache | None = None,
        *,
        master: Callable[[Samples], Samples] | None = None,
        master_id: str = "",
    ) -> None:
        """Check `voice` and `rate` up front; raises CoachError naming valid choices.

        `master` (loudness mastering, say) turns a trimmed clip into the one that is heard
        (`mastered`); it must keep the clip's length, so lengths come from the plain clip and
        only the phrases a session really uses are mastered. Mastered clips are cached too,
        under a key that includes `master_id`: change it whenever `master` would change its
        output.
        """
        _check_rate(rate)
        check_voice(engine, voice)
        self.engine = engine
        self.voice = voice
        self.rate = rate
        self.cache = cache
        self.synthesized = 0
        self.cache_hits = 0
        self.mastered_made = 0
        self._master = master
        self._engine_version = engine.version()
        self._master_version = f"{self._engine_version}; mastered: {master_id}"
        self._clips: dict[str, Samples] = {}
        self._mastered: dict[str, Samples] = {}
        self._mastering: dict[str, Future[Samples]] = {}

    def identity(self) -> list[str | int]:
        """What shapes every mastered phrase of this book besides its text: the engine and
        its version (for Piper, its model's hash), the voice, the rate and the mastering."""
        return [self.engine.name, self._master_version, self.voice, self.rate]

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

    def prepare(
        self, texts: Iterable[str], progress: Callable[[int, int], None] | None = None
    ) -> None:
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
        # One batch, so an engine that can work on several phrases at once (Piper) does;
        # an engine without the batch call (a test's fake) is asked phrase by phrase. A
        # phrase's samples depend only on its text, so the order changes nothing else.
        batch = getattr(self.engine, "synthesize_many", None)
        if batch is None:
            for done, text in enumerate(missing, start=1):
                self._synthesize(text)
                if progress is not None:
                    progress(done, total)
            return
        spoken = batch([spoken_text(text) for text in missing], self.voice, self.rate)
        for done, (index, (raw, rate)) in enumerate(spoken, start=1):
            self._store(missing[index], self._checked(raw, rate))
            if progress is not None:
                progress(done, total)

    def mastered(self, text: str) -> Samples:
        """`text`'s clip after `master` (the plain clip when there is none): what is heard.

        Inside `mastering_ahead`, a clip still being made there is waited for.
        """
        if self._master is None:
            return self.clip(text)
        found = self._mastered.get(text)
        if found is None:
            making = self._mastering.pop(text, None)
            if making is not None:
                return self._store_mastered(text, making.result())
            found = self._mastered_from_cache(text)
        if found is None:
            found = self._store_mastered(text, self._master(self.clip(text)))
        return found

    def prepare_mastered(
        self, texts: Iterable[str], progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Make sure every distinct text in `texts` has its mastered clip.

        Plain clips are made first (see `prepare`, with the same `progress`); the missing
        mastered clips are then made as `mastering_ahead` makes them, and
        `progress(done, total)` reports them.
        """
        with self.mastering_ahead(texts, progress) as making:
            if progress is not None and making:
                progress(0, len(making))
            for done, text in enumerate(making, start=1):
                self.mastered(text)
                if progress is not None:
                    progress(done, len(making))

    @contextlib.contextmanager
    def mastering_ahead(
        self, texts: Iterable[str], progress: Callable[[int, int], None] | None = None
    ) -> Iterator[list[str]]:
        """While the block runs, the mastered clips of `texts` that are neither in memory
        nor in the cache are made MASTER_THREADS at a time (numpy releases the GIL), in the
        order given; `mastered` takes each as soon as it is ready, waiting if need be. So a
        render can encode the session's start while later phrases are still mastered.

        Plain clips are made first (see `prepare`, with the same `progress`). Yields the
        texts being mastered, in order. Leaving the block drops what has not begun and
        waits for what has, so no work outlives it; a clip made but not taken is dropped.
        """
        texts = list(dict.fromkeys(texts))
        if self._master is None:
            self.prepare(texts, progress)
            yield []
            return
        missing = [
            text
            for text in texts
            if text not in self._mastered
            and text not in self._mastering  # an enclosing block is making it
            and self._mastered_from_cache(text) is None
        ]
        self.prepare(missing, progress)
        if not missing:
            yield []
            return
        master = self._master
        pool = ThreadPoolExecutor(max_workers=MASTER_THREADS, thread_name_prefix="coach-master")
        try:
            for text in missing:
                # Every plain clip is in memory now: the workers only read it.
                clip = self.clip(text)
                self._mastering[text] = pool.submit(functools.partial(master, clip))
            yield missing
        finally:
            for text in missing:  # this block's own, first: nothing may wait for them now
                self._mastering.pop(text, None)
            pool.shutdown(wait=True, cancel_futures=True)

    def _mastered_from_cache(self, text: str) -> Samples | None:
        if self.cache is None:
            return None
        samples = self.cache.get(self._mastered_key(text))
        if samples is None or len(samples) != len(self.clip(text)):
            return None
        samples.flags.writeable = False
        self._mastered[text] = samples
        return samples

    def _store_mastered(self, text: str, samples: Samples) -> Samples:
        if len(samples) != len(self.clip(text)):
            raise ValueError("mastering changed the length of a clip; its timing would be wrong")
        self.mastered_made += 1
        if self.cache is not None:
            self.cache.put(self._mastered_key(text), samples)
        samples.flags.writeable = False
        self._mastered[text] = samples
        return samples

    def _key(self, text: str) -> str:
        return phrase_key(self.engine.name, self._engine_version, self.voice, self.rate, text)

    def _mastered_key(self, text: str) -> str:
        return phrase_key(self.engine.name, self._master_version, self.voice, self.rate, text)

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
    low, high = RATE_RANGE
    if isinstance(rate, bool) or not isinstance(rate, int) or not low <= rate <= high:
        raise CoachError(
            f"Speech rate {rate!r} is out of range: give a whole number of words per minute "
            f"from {low} to {high} (around 150 is a calm pace)."
        )
