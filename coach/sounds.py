"""What a session sounds like: its spoken phrases and chimes, ready to place on the timeline.

`SessionSounds` is the real `SpeechLengths`: the timeline is built from the measured length
of each synthesized (and cached) clip, so `coach show`, the MP3 and live play agree to the
millisecond.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import cache

import numpy as np
import numpy.typing as npt

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
SPEECH_LOWPASS_ORDER = 8
"""Order of the Butterworth low-pass, applied forwards and backwards (zero phase)."""
FADE_MS = 3
MASTERING_ID = (
    f"mastered {SPEECH_LUFS} LUFS {SPEECH_CEILING_DBTP} dBTP lowpass {SPEECH_TOP_HZ} Hz "
    f"fade {FADE_MS} ms v3"
)
"""Names what `master_speech` does, in the cache key of mastered clips: change it (the
version at the end) whenever the output would change. v3: the low-pass and the meters in
numpy; the low-pass leaves silence rather than scipy's odd extension beyond the clip, which
changes samples within 2 ms of either end."""

_LOWPASS_REACH = 256
"""Samples kept on each side of the low-pass impulse response (peak 0.72 at 22,050 Hz). It
is under 3e-8 a hundred samples out and at float noise (2e-17) past 256: all it leaves out
adds up to 5e-15, under 1e-9 of an int16 step for a full-scale input."""


@cache
def _lowpass_kernel(top_hz: float, rate: int) -> npt.NDArray[np.float64]:
    """Zero-phase low-pass at `top_hz` as a symmetric FIR of 2 * _LOWPASS_REACH + 1 taps.

    Its frequency response is |H|^2 of the order-SPEECH_LOWPASS_ORDER digital Butterworth
    low-pass (bilinear transform, pre-warped cut-off), which is what filtering forwards and
    backwards with that IIR filter applies (scipy's sosfiltfilt). The bilinear transform
    maps the analogue prototype's 1 / (1 + (f / fc)^(2N)) to the same formula in
    tan(pi f / rate) / tan(pi fc / rate), so the response is exact, not an approximation of
    the IIR filter. Read-only, shared between calls.
    """
    grid = 16 * _LOWPASS_REACH  # sampling the response here aliases nothing measurable
    frequency = np.arange(grid // 2 + 1) / grid  # cycles per sample
    # tan reaches ~1e16 at the Nyquist bin, whose 16th power overflows; capped at 1e3 the
    # gain there is 1e-48 instead of 0, which no output can show.
    ratio = np.minimum(np.tan(np.pi * frequency) / math.tan(math.pi * top_hz / rate), 1e3)
    power = 1.0 / (1.0 + ratio ** (2 * SPEECH_LOWPASS_ORDER))
    response = np.fft.irfft(power, grid)  # real and even: centred on sample 0, wrapped
    kernel = np.roll(response, _LOWPASS_REACH)[: 2 * _LOWPASS_REACH + 1]
    kernel.flags.writeable = False
    return kernel


def band_limit(samples: Samples, top_hz: float = SPEECH_TOP_HZ) -> Samples:
    """`samples` low-passed at `top_hz` with zero phase (no delay), same length, int16.

    See `_lowpass_kernel` for the response. Samples outside the clip count as silence: a
    trimmed phrase was cut out of the engine's silence (see trim_silence), so that is what
    really lay there. numpy only (FFT convolution).
    """
    from coach.loudness import fft_convolve

    kernel = _lowpass_kernel(top_hz, SAMPLE_RATE)
    padded = np.concatenate((samples.astype(np.float64), np.zeros(_LOWPASS_REACH)))
    # The kernel is causal with its centre at _LOWPASS_REACH: drop that delay.
    smooth = fft_convolve(padded, kernel)[_LOWPASS_REACH:]
    return np.clip(np.round(smooth), -32768, 32767).astype(np.int16)


def master_speech(samples: Samples) -> Samples:
    """A trimmed phrase band-limited, at the session's loudness, with no click at either end.

    Same length as `samples`. Uses numpy only: a cold render (every phrase to master) must
    not pay for importing scipy.
    """
    from coach.loudness import master_clip

    smooth = band_limit(samples)
    mastered = master_clip(smooth, SAMPLE_RATE, SPEECH_LUFS, SPEECH_CEILING_DBTP)
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
        DEFAULT_VOICE if voice is None else voice,
        DEFAULT_RATE if rate is None else rate,
        PhraseCache.default(),
        finish=master_speech,
        finish_id=MASTERING_ID,
    )
    return SessionSounds(book)
