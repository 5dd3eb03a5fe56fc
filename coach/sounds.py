"""What a session sounds like: its spoken phrases and chimes, ready to place on the timeline.

`SessionSounds` is the real `SpeechLengths`: the timeline is built from the measured length
of each synthesized (and cached) clip, so `coach show`, the MP3 and live play agree to the
millisecond.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from coach.pcm import SAMPLE_RATE, Samples
from coach.speech.phrases import PhraseBook
from coach.timeline import Timeline

SPEECH_LUFS = -14.5
"""Loudness each phrase is mastered to. The session's target is -16 LUFS integrated; the
quiet edges of phrases, short words and the softer chimes pull the whole track about
1.5 LU under its phrases (measured -15.8 to -16.7 LUFS across voices, rates and lengths)."""
SPEECH_CEILING_DBTP = -2.5
"""True-peak ceiling for each phrase. The session must stay at or under -1 dBTP after MP3
decoding, and the encoder adds up to about 0.8 dB of overshoot."""
SPEECH_TOP_HZ = 8_000
"""Speech is low-passed here before mastering. eSpeak's clicks reach up to the Nyquist
frequency; the MP3 encoder cuts them off and their peaks then overshoot the ceiling by
up to 1.7 dB after decoding. Nothing a listener needs lies above 8 kHz."""
FADE_MS = 3
MASTERING_ID = (
    f"mastered {SPEECH_LUFS} LUFS {SPEECH_CEILING_DBTP} dBTP lowpass {SPEECH_TOP_HZ} Hz "
    f"fade {FADE_MS} ms v2"
)


def master_speech(samples: Samples) -> Samples:
    """A trimmed phrase band-limited, at the session's loudness, with no click at either end."""
    from scipy.signal import butter, sosfiltfilt

    from coach.loudness import master_clip

    lowpass = butter(8, SPEECH_TOP_HZ, btype="lowpass", fs=SAMPLE_RATE, output="sos")
    smooth = np.clip(np.round(sosfiltfilt(lowpass, samples.astype(np.float64))), -32768, 32767)
    mastered = master_clip(smooth.astype(np.int16), SAMPLE_RATE, SPEECH_LUFS, SPEECH_CEILING_DBTP)
    return fade_edges(mastered, FADE_MS)


def fade_edges(samples: Samples, fade_ms: int) -> Samples:
    """Short raised-cosine fade in and out, so a clip that starts at full level doesn't click."""
    count = min(len(samples) // 2, SAMPLE_RATE * fade_ms // 1000)
    if count < 2:
        return samples
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, count))
    shaped = samples.astype(np.float64)
    shaped[:count] *= ramp
    shaped[-count:] *= ramp[::-1]
    return np.round(shaped).astype(np.int16)


class SessionSounds:
    """Spoken phrases (from a PhraseBook) and chimes, with their exact lengths."""

    def __init__(self, phrases: PhraseBook) -> None:
        self.phrases = phrases
        self._cues: dict[str, Samples] = {}

    def speech_ms(self, text: str) -> int:
        return self.phrases.speech_ms(text)

    def cue_ms(self, name: str) -> int:
        from coach.pcm import samples_to_ms

        return samples_to_ms(len(self.cue(name)))

    def speech(self, text: str) -> Samples:
        """The mastered clip of `text`, as heard."""
        return self.phrases.finished(text)

    def cue(self, name: str) -> Samples:
        if name not in self._cues:
            from coach.cues import load_cue

            self._cues[name] = load_cue(name)
        return self._cues[name]

    def audio(self, kind: str, text: str) -> Samples:
        """The samples of an audible timeline clip (kind "speech" or "chime")."""
        return self.speech(text) if kind == "speech" else self.cue(text)

    def prepare(self, texts: Iterable[str], progress: Callable[[int, int], None] | None) -> None:
        """Synthesize every phrase not yet cached, for its length (see PhraseBook.prepare)."""
        self.phrases.prepare(texts, progress)

    def prepare_audio(
        self, timeline: Timeline, progress: Callable[[int, int], None] | None
    ) -> None:
        """Master every phrase the timeline speaks, before anything is played or written."""
        texts = [clip.text for clip in timeline.audible_clips() if clip.kind == "speech"]
        self.phrases.prepare_finished([text for text in texts if text], progress)


def open_sounds(voice: str | None = None, rate: int | None = None) -> SessionSounds:
    """The default engine with `voice` and `rate` (None: the defaults) and the phrase cache."""
    from coach.speech import DEFAULT_RATE, DEFAULT_VOICE, open_engine
    from coach.speech.cache import PhraseCache

    book = PhraseBook(
        open_engine(),
        voice or DEFAULT_VOICE,
        rate or DEFAULT_RATE,
        PhraseCache.default(),
        finish=master_speech,
        finish_id=MASTERING_ID,
    )
    return SessionSounds(book)
