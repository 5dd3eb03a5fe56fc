"""The session's sounds: its spoken phrases (mastered) and chimes, with their exact lengths.

`SessionSounds` is the real `SpeechLengths` (a `KnownLengths`, so the fit can tell which
phrases are made already): the timeline is built from the measured length of each
synthesized (and cached) clip, so `coach show`, the MP3 and live play agree to the
millisecond. It is also the audio source that assembly reads clips from.

The phrase book synthesizes and trims each phrase; mastering (loudness, say) happens here,
once a phrase, on the clips a session really speaks. Mastered clips are cached beside the
plain ones and can be made on worker threads ahead of the render that reads them.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from coach.pcm import Samples
from coach.plan.timeline import ChimeClip, Clip, SpeechClip, Timeline
from coach.progress import Progress
from coach.speech.cache import phrase_key
from coach.speech.phrases import PhraseBook
from coach.time import samples_to_ms

MASTER_THREADS = 2
"""Clips mastered at once by `mastering_ahead` (the machines this runs on have 2+ cores)."""


class SessionSounds:
    """Spoken phrases (from a PhraseBook, mastered here) and chimes, with their exact lengths.

    `master` turns a trimmed clip into the one that is heard; it must keep the clip's
    length, so lengths come from the plain clip and only the phrases a session really uses
    are mastered. Mastered clips are cached in the phrase book's cache, under a key that
    includes `master_id`: change it whenever `master` would change its output. Without
    `master`, the plain clips are what is heard. `mastered_made` counts the clips mastered
    (not read from the cache). Not safe to share between threads.
    """

    def __init__(
        self,
        phrases: PhraseBook,
        *,
        master: Callable[[Samples], Samples] | None = None,
        master_id: str = "",
    ) -> None:
        self.phrases = phrases
        self.mastered_made = 0
        self._master = master
        self._master_id = master_id
        self._mastered: dict[str, Samples] = {}
        self._mastering: dict[str, Future[Samples]] = {}
        self._chimes: dict[str, Samples] = {}

    def identity(self) -> list[str | int]:
        """What shapes every phrase heard besides its text: the engine and its version (for
        Piper, its model's hash), the mastering, the voice and the rate."""
        book = self.phrases
        return [book.engine.name, self._master_version(), book.voice, book.rate]

    def _master_version(self) -> str:
        return f"{self.phrases.engine_version}; mastered: {self._master_id}"

    def speech_ms(self, text: str) -> int:
        return self.phrases.speech_ms(text)

    def known_speech_ms(self, text: str) -> int | None:
        return self.phrases.known_speech_ms(text)

    def cue_ms(self, name: str) -> int:
        return samples_to_ms(len(self.chime(name)))

    def speech(self, text: str) -> Samples:
        """`text`'s clip after mastering (the plain clip when there is no `master`): what
        is heard. Inside `mastering_ahead`, a clip still being made there is waited for."""
        if self._master is None:
            return self.phrases.clip(text)
        found = self._mastered.get(text)
        if found is None:
            making = self._mastering.pop(text, None)
            if making is not None:
                return self._store_mastered(text, making.result())
            found = self._mastered_from_cache(text)
        if found is None:
            found = self._store_mastered(text, self._master(self.phrases.clip(text)))
        return found

    def chime(self, name: str) -> Samples:
        """The chime called `name` (loaded once)."""
        if name not in self._chimes:
            from coach.sound.chimes import load_chime

            self._chimes[name] = load_chime(name)
        return self._chimes[name]

    def audio(self, clip: Clip) -> Samples:
        """The samples of an audible timeline clip (a phrase or a chime)."""
        if isinstance(clip, ChimeClip):
            return self.chime(clip.cue)
        if isinstance(clip, SpeechClip):
            return self.speech(clip.text)
        raise ValueError(f"a {clip.kind} clip makes no sound")

    def synthesize(self, texts: Iterable[str], progress: Progress | None) -> None:
        """Synthesize every phrase not yet cached, for its length (see
        PhraseBook.synthesize_all)."""
        self.phrases.synthesize_all(texts, progress)

    def master_all(self, timeline: Timeline, progress: Progress | None) -> None:
        """Master every phrase the timeline speaks, before anything is played or written.

        Live play does this before it starts, so the stream, which asks for clips on the
        device's thread, only ever reads them from memory."""
        self.master_phrases(_spoken(timeline), progress)

    def master_phrases(self, texts: Iterable[str], progress: Progress | None = None) -> None:
        """Make sure every distinct text in `texts` has its mastered clip.

        Plain clips are synthesized first (reported through `progress`); the missing
        mastered clips are then made as `mastering_phrases_ahead` makes them, and
        `progress(done, total)` reports them."""
        with self.mastering_phrases_ahead(texts, progress) as making:
            if progress is not None and making:
                progress(0, len(making))
            for done, text in enumerate(making, start=1):
                self.speech(text)
                if progress is not None:
                    progress(done, len(making))

    @contextlib.contextmanager
    def mastering_ahead(self, timeline: Timeline, progress: Progress | None) -> Iterator[None]:
        """While the block runs, the timeline's phrases are mastered in the order they are
        spoken, on worker threads, and `audio` waits for one not ready yet: a render
        encodes the start of the session while later phrases are mastered. `progress`
        reports any phrase still to synthesize (see `mastering_phrases_ahead`)."""
        with self.mastering_phrases_ahead(_spoken(timeline), progress):
            yield

    @contextlib.contextmanager
    def mastering_phrases_ahead(
        self, texts: Iterable[str], progress: Progress | None = None
    ) -> Iterator[list[str]]:
        """While the block runs, the mastered clips of `texts` that are neither in memory
        nor in the cache are made MASTER_THREADS at a time (numpy releases the GIL), in the
        order given; `speech` takes each as soon as it is ready, waiting if need be.

        Plain clips are synthesized first (reported through `progress`). Yields the texts
        being mastered, in order. Leaving the block drops what has not begun and waits for
        what has, so no work outlives it; a clip made but not taken is dropped.
        """
        texts = list(dict.fromkeys(texts))
        if self._master is None:
            self.phrases.synthesize_all(texts, progress)
            yield []
            return
        missing = [
            text
            for text in texts
            if text not in self._mastered
            and text not in self._mastering  # an enclosing block is making it
            and self._mastered_from_cache(text) is None
        ]
        self.phrases.synthesize_all(missing, progress)
        if not missing:
            yield []
            return
        master = self._master
        pool = ThreadPoolExecutor(max_workers=MASTER_THREADS, thread_name_prefix="coach-master")
        try:
            for text in missing:
                # Every plain clip is in memory now: the workers only read it.
                clip = self.phrases.clip(text)
                self._mastering[text] = pool.submit(functools.partial(master, clip))
            yield missing
        finally:
            for text in missing:  # this block's own, first: nothing may wait for them now
                self._mastering.pop(text, None)
            pool.shutdown(wait=True, cancel_futures=True)

    def _mastered_key(self, text: str) -> str:
        book = self.phrases
        return phrase_key(book.engine.name, self._master_version(), book.voice, book.rate, text)

    def _mastered_from_cache(self, text: str) -> Samples | None:
        cache = self.phrases.cache
        if cache is None:
            return None
        samples = cache.get(self._mastered_key(text))
        if samples is None or len(samples) != len(self.phrases.clip(text)):
            return None
        samples.flags.writeable = False
        self._mastered[text] = samples
        return samples

    def _store_mastered(self, text: str, samples: Samples) -> Samples:
        if len(samples) != len(self.phrases.clip(text)):
            raise ValueError("mastering changed the length of a clip; its timing would be wrong")
        self.mastered_made += 1
        if self.phrases.cache is not None:
            self.phrases.cache.put(self._mastered_key(text), samples)
        samples.flags.writeable = False
        self._mastered[text] = samples
        return samples


def _spoken(timeline: Timeline) -> list[str]:
    """The texts of the timeline's phrases, in the order they are spoken."""
    return [clip.text for clip in timeline.clips if isinstance(clip, SpeechClip) and clip.text]


def open_sounds(voice: str | None = None, rate: int | None = None) -> SessionSounds:
    """The engine of `voice` (None: the best voice installed, see `default_voice`) at `rate`
    (None: the default), with the phrase cache, cleared first of temporary entries that a
    killed coach left behind."""
    from coach.files import remove_abandoned
    from coach.sound.mastering import MASTERING_ID, master_speech
    from coach.speech.cache import PhraseCache
    from coach.speech.voices import DEFAULT_RATE, open_voice

    engine, voice_id = open_voice(voice)
    cache = PhraseCache.default()
    remove_abandoned(cache.directory)  # only the coach writes there, so every name
    book = PhraseBook(engine, voice_id, DEFAULT_RATE if rate is None else rate, cache)
    return SessionSounds(book, master=master_speech, master_id=MASTERING_ID)
