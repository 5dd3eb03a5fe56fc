"""Speech: text to trimmed clips of known length, through an engine, a cache and a phrase book.

`ENGINES` maps an engine name to a zero-argument factory; a new backend is one class
implementing `coach.speech.types.SpeechEngine` plus one entry here. Nothing heavy is imported
at module level (pyttsx3 and the eSpeak NG library load on first use), so importing
`coach.speech` costs nothing for commands such as `coach --help` or `coach list`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:
    from coach.speech.types import SpeechEngine

__all__ = [
    "DEFAULT_ENGINE",
    "DEFAULT_RATE",
    "DEFAULT_VOICE",
    "ENGINES",
    "RATE_RANGE",
    "check_voice",
    "open_engine",
]


def _espeak() -> SpeechEngine:
    # Imported here, not at the top, so the registry itself stays free to import.
    from coach.speech.espeak import EspeakEngine

    return EspeakEngine()


ENGINES: dict[str, Callable[[], SpeechEngine]] = {"espeak": _espeak}
"""Every speech engine by name; the factory loads nothing heavy."""

DEFAULT_ENGINE = "espeak"
"""The engine used when none is asked for: offline, installs from pip wheels alone."""

DEFAULT_VOICE = "gmw/en-us"
"""eSpeak NG's General American voice.

Among eSpeak's English voices it has the most conservative vowel set and the crispest
consonants, which is what matters for short instructions heard over road noise in a
parked car; the default "gmw/en" (British) and the regional variants are fine but
less neutral for a general audience.
"""

DEFAULT_RATE = 155
"""Words per minute: a calm coaching pace, a little under conversational speed."""

RATE_RANGE = (80, 300)
"""Inclusive bounds for `--rate`: below 80 eSpeak drawls, above 300 it is hard to follow."""


def open_engine(name: str = DEFAULT_ENGINE) -> SpeechEngine:
    """Build the speech engine registered as `name`.

    Raises CoachError naming the valid engines when `name` is unknown. The engine may
    load its library lazily, so a missing library is reported on first use, also as a
    CoachError.
    """
    try:
        factory = ENGINES[name]
    except KeyError:
        valid = ", ".join(sorted(ENGINES))
        raise CoachError(f"Unknown speech engine {name!r}. Valid engines: {valid}.") from None
    return factory()


_VOICES_SHOWN = 10
"""How many non-English voices an unknown-voice error names before summarising the rest."""


def check_voice(engine: SpeechEngine, voice: str) -> None:
    """The one check of a voice name: CoachError unless `engine` has `voice`, naming close
    matches, the English voices and some others, and `coach voices`."""
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
