"""What a caller may choose of the speech: its rate and its voice, each checked one way.

The engines check a voice with `check_voice`, the phrase book a rate with `valid_rate`, and
the command line and the settings file use the same checks with their own wording.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:
    from coach.speech.types import SpeechEngine, Voice

__all__ = [
    "DEFAULT_RATE",
    "NEURAL_VOICE",
    "RATE_RANGE",
    "check_voice",
    "short_names",
    "valid_rate",
]

NEURAL_VOICE = "joe"
"""The natural voice, Piper's US English "joe", used by default wherever it is installed."""

DEFAULT_RATE = 155
"""Words per minute: a calm coaching pace, a little under conversational speed."""

RATE_RANGE = (80, 300)
"""Inclusive bounds for `--rate`: below 80 eSpeak drawls, above 300 it is hard to follow."""


def valid_rate(value: object) -> int | None:
    """`value` if it is a speaking rate (a whole number of words per minute within
    RATE_RANGE; True and False are not numbers here), else None. Each caller words its own
    error (`--rate`, the settings file, the phrase book)."""
    low, high = RATE_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


_VOICES_SHOWN = 10
"""How many non-English voices an unknown-voice error names before summarising the rest."""


def short_names(voice: Voice) -> set[str]:
    """What a voice may be called besides its id: "en-us" for "gmw/en-us", and its language."""
    return {voice.id.rsplit("/", 1)[-1], voice.language.lower()}


def check_voice(engine: SpeechEngine, voice: str) -> None:
    """The one check of a voice id: CoachError unless `engine` has `voice`, naming close
    matches, the English voices and some others, the natural voice, and `coach voices`."""
    voices = engine.voices()
    ids = [v.id for v in voices]
    if voice in ids:
        return
    offered = [v for v in voices if v.is_for_speech]
    english = [v.id for v in offered if v.is_english]
    others = [v.id for v in offered if not v.is_english]
    parts = [f"No voice is called {voice!r}."]
    by_name = {name: v.id for v in offered for name in sorted(short_names(v)) if name}
    by_name.update({v.id: v.id for v in offered})
    if engine.name != "piper":
        by_name[NEURAL_VOICE] = NEURAL_VOICE
    close = list(
        dict.fromkeys(
            by_name[name]
            for name in difflib.get_close_matches(voice.lower(), list(by_name), n=6, cutoff=0.6)
        )
    )[:3]
    if close:
        parts.append(f"Did you mean {' or '.join(close)}?")
    if english:
        parts.append(f"English voices: {', '.join(english)}.")
    if others:
        shown = ", ".join(others[:_VOICES_SHOWN])
        rest = len(others) - _VOICES_SHOWN
        more = f", and {rest} more" if rest > 0 else ""
        parts.append(f"Other voices: {shown}{more}.")
    if engine.name != "piper":
        parts.append(
            f"The natural voice is {NEURAL_VOICE!r}; a Piper voice file is its .onnx path."
        )
    parts.append("Run `coach voices` to list them all with their names.")
    raise CoachError(" ".join(parts))
