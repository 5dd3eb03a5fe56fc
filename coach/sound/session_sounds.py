"""The session's sounds: its spoken phrases (mastered) and chimes, with their exact lengths.

`SessionSounds` is the real `SpeechLengths` (a `KnownLengths`, so the fit can tell which
phrases are made already): the timeline is built from the measured length of each
synthesized (and cached) clip, so `coach show`, the MP3 and live play agree to the
millisecond. It is also the audio source that assembly reads clips from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

from coach.pcm import Samples
from coach.plan.timeline import ChimeClip, Clip, SpeechClip, Timeline
from coach.speech.phrases import PhraseBook
from coach.time import samples_to_ms

Progress = Callable[[int, int], None]
"""Called with (done, total) while phrases are synthesized or mastered."""


class SessionSounds:
    """Spoken phrases (from a PhraseBook) and chimes, with their exact lengths."""

    def __init__(self, phrases: PhraseBook) -> None:
        self.phrases = phrases
        self._chimes: dict[str, Samples] = {}

    def speech_ms(self, text: str) -> int:
        return self.phrases.speech_ms(text)

    def known_speech_ms(self, text: str) -> int | None:
        return self.phrases.known_speech_ms(text)

    def cue_ms(self, name: str) -> int:
        return samples_to_ms(len(self.chime(name)))

    def speech(self, text: str) -> Samples:
        """The mastered clip of `text`, as heard."""
        return self.phrases.mastered(text)

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

    def prepare(self, texts: Iterable[str], progress: Progress | None) -> None:
        """Synthesize every phrase not yet cached, for its length (see PhraseBook.prepare)."""
        self.phrases.prepare(texts, progress)

    def prepare_audio(self, timeline: Timeline, progress: Progress | None) -> None:
        """Master every phrase the timeline speaks, before anything is played or written.

        Live play does this before it starts, so the stream, which asks for clips on the
        device's thread, only ever reads them from memory."""
        self.phrases.prepare_mastered(_spoken(timeline), progress)

    @contextlib.contextmanager
    def mastering_ahead(self, timeline: Timeline, progress: Progress | None) -> Iterator[None]:
        """While the block runs, the timeline's phrases are mastered in the order they are
        spoken, on worker threads, and `audio` waits for one not ready yet: a render
        encodes the start of the session while later phrases are mastered. `progress`
        reports any phrase still to synthesize (see PhraseBook.mastering_ahead)."""
        with self.phrases.mastering_ahead(_spoken(timeline), progress):
            yield


def _spoken(timeline: Timeline) -> list[str]:
    """The texts of the timeline's phrases, in the order they are spoken."""
    return [clip.text for clip in timeline.clips if isinstance(clip, SpeechClip) and clip.text]


def open_sounds(voice: str | None = None, rate: int | None = None) -> SessionSounds:
    """The engine of `voice` (None: the best voice installed, see `default_voice`) at `rate`
    (None: the default), with the phrase cache, cleared first of temporary entries that a
    killed coach left behind."""
    from coach.files import remove_abandoned
    from coach.sound.mastering import MASTERING_ID, master_speech
    from coach.speech import DEFAULT_RATE, open_voice
    from coach.speech.cache import PhraseCache

    engine, voice_id = open_voice(voice)
    cache = PhraseCache.default()
    remove_abandoned(cache.directory)  # only the coach writes there, so every name
    book = PhraseBook(
        engine,
        voice_id,
        DEFAULT_RATE if rate is None else rate,
        cache,
        master=master_speech,
        master_id=MASTERING_ID,
    )
    return SessionSounds(book)
