"""`coach doctor`: check each part the coach needs on this machine and say how to fix it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:
    from coach.speech.types import SpeechEngine


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str


def run_checks() -> list[Check]:
    """Every check, in order; none raises."""
    checks: list[tuple[str, Callable[[], str]]] = [
        ("python", _python),
        ("speech", _speech),
        ("phrase cache", _cache),
        ("mp3 encoder", _mp3),
        ("audio output", _audio),
    ]
    results = []
    for name, check in checks:
        try:
            results.append(Check(name, True, check()))
        except CoachError as error:
            results.append(Check(name, False, str(error)))
        except Exception as error:  # a doctor reports every failure instead of stopping
            results.append(Check(name, False, f"{type(error).__name__}: {error}"))
    return results


def _python() -> str:
    return f"Python {sys.version.split()[0]} at {sys.executable}"


def _speech() -> str:
    """eSpeak (always there) and the natural voice (when installed), each timed on a phrase."""
    from coach.speech import DEFAULT_RATE, DEFAULT_VOICE, check_voice, open_engine
    from coach.speech.piper import INSTALL_HINT, neural_installed

    engine = open_engine("espeak")
    voices = engine.voices()
    check_voice(engine, DEFAULT_VOICE)
    took, speed = _time_phrase(engine, DEFAULT_VOICE)
    same = "" if getattr(engine, "history_reset", True) else "; phrases may vary with history"
    parts = [
        (
            f"{engine.name} ({engine.version()}), {len(voices)} voices; a test phrase took "
            f"{took * 1000:.0f} ms ({speed:.0f}x real time){same}"
        )
    ]
    if neural_installed():
        piper = open_engine("piper")
        voice = piper.voices()[0].id
        started = time.perf_counter()
        piper.synthesize("Hold.", voice, DEFAULT_RATE)  # loads the model
        loaded = time.perf_counter() - started
        took, speed = _time_phrase(piper, voice)
        parts.append(
            f"natural voice {voice} (piper): model loaded in {loaded:.1f} s, a test phrase "
            f"took {took * 1000:.0f} ms ({speed:.0f}x real time)"
        )
    else:
        parts.append(f"the natural voice is not installed, so speech is robotic. {INSTALL_HINT}")
    return "; ".join(parts)


def _time_phrase(engine: SpeechEngine, voice: str) -> tuple[float, float]:
    """Seconds to synthesize a test phrase, and how many times faster than real time."""
    from coach.speech import DEFAULT_RATE

    started = time.perf_counter()
    samples, rate = engine.synthesize("Stop if anything hurts.", voice, DEFAULT_RATE)
    took = time.perf_counter() - started
    return took, (len(samples) / rate / took if took else float("inf"))


def _cache() -> str:
    from coach.speech.cache import default_cache_dir

    folder = default_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / ".doctor-probe"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise CoachError(
            f"{folder} is not writable ({error.strerror}); phrases will be synthesized on every "
            "run. Set COACH_CACHE_DIR to a writable folder."
        ) from None
    entries = list(folder.glob("*.wav"))
    size = sum(entry.stat().st_size for entry in entries)
    return f"{folder}: {len(entries)} phrases, {size / 1_000_000:.1f} MB"


def _mp3() -> str:
    import numpy as np

    from coach.render.mp3 import Mp3Encoder
    from coach.time import SAMPLE_RATE

    encoder = Mp3Encoder(SAMPLE_RATE)
    data = encoder.encode(np.zeros(SAMPLE_RATE, dtype=np.int16)) + encoder.flush()
    return f"lameenc works ({len(data)} bytes for a second of silence)"


def _audio() -> str:
    from coach.live.outputs import default_backend, open_output

    output = open_output(None)
    try:
        where = getattr(output, "backend", "")
        return f"{default_backend()}" + (f" through {where}" if where else "") + " opens"
    finally:
        output.close()
