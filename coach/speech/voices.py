"""The voices: which engine speaks a voice, and which voice is used when none is given.

`ENGINES` maps an engine name to a zero-argument factory; a new backend is one class
implementing `coach.speech.types.SpeechEngine` plus one entry here. Nothing heavy is imported
at module level (pyttsx3, the eSpeak NG library, piper and onnxruntime load on first use),
so importing this module costs nothing for commands such as `coach --help` or `coach list`.

Two engines: Piper (a natural neural voice, the optional `neural` extra) and eSpeak NG
(robotic but always installed). `open_voice` turns what `--voice` was given into an engine
and the voice's id: a bundled Piper voice's name ("joe"), the path of a Piper `.onnx`
file, or an eSpeak voice by id ("gmw/en-us") or short name ("en-us", "en"). With none
given, the best voice installed is used (`default_voice`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from coach.errors import CoachError
from coach.speech.choices import (
    DEFAULT_RATE,
    NEURAL_VOICE,
    RATE_RANGE,
    check_voice,
    short_names,
    valid_rate,
)

if TYPE_CHECKING:
    from coach.speech.types import SpeechEngine

__all__ = [
    "DEFAULT_ENGINE",
    "DEFAULT_RATE",
    "DEFAULT_VOICE",
    "ENGINES",
    "NEURAL_VOICE",
    "RATE_RANGE",
    "VOICE_ENV",
    "best_voice",
    "check_voice",
    "default_voice",
    "is_piper_voice",
    "open_engine",
    "open_voice",
    "resolve_voice",
    "valid_rate",
]


def _espeak() -> SpeechEngine:
    # Imported here, not at the top, so the registry itself stays free to import.
    from coach.speech.espeak import EspeakEngine

    return EspeakEngine()


def _piper() -> SpeechEngine:
    from coach.speech.piper import PiperEngine

    return PiperEngine()


ENGINES: dict[str, Callable[[], SpeechEngine]] = {"espeak": _espeak, "piper": _piper}
"""Every speech engine by name, each with its default voice; the factory loads nothing heavy
(the Piper one raises CoachError, saying how to install it, when it is not installed)."""

DEFAULT_ENGINE = "espeak"
"""The engine that is always there: offline, installs from pip wheels alone."""

VOICE_ENV = "COACH_VOICE"
"""Environment variable naming the voice to use when `--voice` is not given (the voice
setting's variable in `coach.config`)."""

DEFAULT_VOICE = "gmw/en-us"
"""eSpeak NG's General American voice: the default where the natural voice is not installed.

Among eSpeak's English voices it has the most conservative vowel set and the crispest
consonants, which is what matters for short instructions heard over road noise in a
parked car; the default "gmw/en" (British) and the regional variants are fine but
less neutral for a general audience.
"""


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


def best_voice() -> str:
    """The best voice installed: the natural voice, else eSpeak's General American voice."""
    from coach.speech.piper import neural_installed

    return NEURAL_VOICE if neural_installed() else DEFAULT_VOICE


def default_voice() -> str:
    """The voice used when none is asked for: `$COACH_VOICE` if set, else `best_voice()`.

    The command line reads the voice setting (`coach.config`: the environment, then the
    settings file) before it gets here; this reads the environment variable itself too, so
    code that opens speech without the settings (the benchmarks, the tests) follows it.
    """
    chosen = os.environ.get(VOICE_ENV, "").strip()
    return chosen or best_voice()


def is_piper_voice(voice: str) -> bool:
    """True for what names a Piper voice: a bundled voice's name or a `.onnx` path."""
    from coach.speech.piper import BUNDLED_VOICES

    return voice.strip().lower() in BUNDLED_VOICES or voice.lower().endswith(".onnx")


def open_voice(voice: str | None = None) -> tuple[SpeechEngine, str]:
    """The engine for `voice` (None: `default_voice()`) and the voice's id in it.

    Raises CoachError, saying what to do, for a voice that is not installed, a Piper voice
    file that is missing or broken, or an unknown name (with near matches).
    """
    chosen = default_voice() if voice is None else voice
    try:
        if is_piper_voice(chosen):
            from coach.speech.piper import BUNDLED_VOICES, PiperEngine

            bundled = chosen.strip().lower()  # "JOE" is joe, as eSpeak's names are caseless
            engine: SpeechEngine = PiperEngine(bundled if bundled in BUNDLED_VOICES else chosen)
            return engine, engine.voices()[0].id
        engine = open_engine("espeak")
        return engine, resolve_voice(engine, chosen)
    except CoachError as error:
        if voice is None and os.environ.get(VOICE_ENV, "").strip():
            raise CoachError(f"{error} (The voice came from ${VOICE_ENV}.)") from None
        raise


def resolve_voice(engine: SpeechEngine, voice: str) -> str:
    """The id of `engine`'s voice called `voice`: its id, or a short name that only one
    voice has ("en-us" is "gmw/en-us", "en" is "gmw/en"), in any case. CoachError (see
    `check_voice`) otherwise."""
    voices = engine.voices()
    wanted = voice.strip().lower()
    for candidate in voices:
        if candidate.id == voice or candidate.id.lower() == wanted:
            return candidate.id
    if not wanted:  # an empty name is no voice at all, not the first voice without a language
        check_voice(engine, voice)
    matches = [candidate.id for candidate in voices if wanted in short_names(candidate)]
    # An exact short name first ("en" is gmw/en's own name before it is a language).
    own = [candidate.id for candidate in voices if candidate.id.rsplit("/", 1)[-1] == wanted]
    if len(own) == 1:
        return own[0]
    if len(matches) == 1:
        return matches[0]
    check_voice(engine, voice)
    return voice
