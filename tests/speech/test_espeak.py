"""The eSpeak engine: real synthesis, quiet stdout, voices, version, load errors, hang guard."""

from __future__ import annotations

import threading
import time
from importlib import metadata

import numpy as np
import pytest

from coach.errors import CoachError
from coach.pcm import Samples
from coach.speech.espeak import SYNTH_ATTEMPTS, EspeakEngine
from coach.speech.types import Voice
from coach.speech.voices import DEFAULT_VOICE, ENGINES, open_engine
from coach.time import SAMPLE_RATE

PHRASE = "Roll your shoulders back five times"


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    return EspeakEngine()


@pytest.mark.tts
def test_phrase_length_is_plausible_for_its_words(engine: EspeakEngine) -> None:
    samples, rate = engine.synthesize(PHRASE, DEFAULT_VOICE, 150)
    assert rate == SAMPLE_RATE
    assert samples.dtype == np.int16
    seconds_per_word = len(samples) / rate / len(PHRASE.split())
    assert 0.3 <= seconds_per_word <= 0.8
    assert np.abs(samples.astype(np.int32)).max() > 3000  # actually audible, not silence


@pytest.mark.tts
def test_faster_rate_gives_shorter_audio(engine: EspeakEngine) -> None:
    slow, _ = engine.synthesize(PHRASE, DEFAULT_VOICE, 100)
    fast, _ = engine.synthesize(PHRASE, DEFAULT_VOICE, 250)
    assert len(fast) < 0.6 * len(slow)


@pytest.mark.tts
def test_nothing_is_printed(engine: EspeakEngine, capfd: pytest.CaptureFixture[str]) -> None:
    engine.synthesize("Stop if anything hurts.", DEFAULT_VOICE, 150)
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


@pytest.mark.tts
def test_voices_include_english(engine: EspeakEngine) -> None:
    voices = engine.voices()
    assert all(isinstance(v, Voice) for v in voices)
    by_id = {v.id: v for v in voices}
    assert DEFAULT_VOICE in by_id
    assert by_id[DEFAULT_VOICE].language == "en-us"
    assert len(by_id) == len(voices)


@pytest.mark.tts
def test_unknown_voice_is_an_error_not_a_silent_fallback(engine: EspeakEngine) -> None:
    with pytest.raises(CoachError, match="coach voices"):
        engine.synthesize("Hello", "gmw/no-such-voice", 150)


def test_version_names_packages_and_library() -> None:
    version = EspeakEngine().version()
    assert f"pyttsx3 {metadata.version('pyttsx3')}" in version
    assert f"espeakng-loader {metadata.version('espeakng-loader')}" in version
    assert "libespeak-ng" in version


def test_registry_and_unknown_engine() -> None:
    assert isinstance(open_engine("espeak"), EspeakEngine)
    assert set(ENGINES) == {"espeak", "piper"}
    with pytest.raises(CoachError, match="espeak"):
        open_engine("festival")


def test_load_failure_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from coach.speech import espeak

    def broken(self: object) -> None:
        raise OSError("libespeak-ng.so.1: cannot open shared object file")

    monkeypatch.setattr(espeak._Bindings, "__init__", broken)
    espeak._load_bindings.cache_clear()
    try:
        with pytest.raises(CoachError, match="pip install pyttsx3 espeakng-loader"):
            EspeakEngine().voices()
    finally:
        espeak._load_bindings.cache_clear()


class _FakeLibrary:
    """Stands in for eSpeak NG: one English voice; `speak` waits for `release` if blocking,
    and returns no samples for its first `empty_runs` calls."""

    sample_rate = SAMPLE_RATE
    history_reset = True

    def __init__(self, *, block: bool = False, empty_runs: int = 0) -> None:
        self.release = threading.Event()
        self.block = block
        self.runs = 0
        self.empty_runs = empty_runs

    def list_voices(self) -> list[Voice]:
        return [Voice(id=DEFAULT_VOICE, name="English (America)", language="en-us")]

    def speak(self, text: str, voice: str, rate: int) -> bytes:
        self.runs += 1
        if self.block:
            self.release.wait(10)
        count = 0 if self.runs <= self.empty_runs else 2205
        wave: Samples = (np.sin(np.arange(count) * 0.3) * 8000).astype("<i2")
        return wave.tobytes()


def test_blank_text_is_an_empty_clip() -> None:
    fake = _FakeLibrary()
    samples, rate = EspeakEngine(library=fake).synthesize("  ", DEFAULT_VOICE, 150)
    assert len(samples) == 0
    assert rate == SAMPLE_RATE
    assert fake.runs == 0


def test_empty_synthesis_is_tried_again() -> None:
    fake = _FakeLibrary(empty_runs=2)
    samples, _ = EspeakEngine(library=fake).synthesize("Hello", DEFAULT_VOICE, 150)
    assert len(samples) == 2205
    assert fake.runs == 3


def test_always_empty_synthesis_is_an_error() -> None:
    fake = _FakeLibrary(empty_runs=100)
    with pytest.raises(CoachError, match="no audio"):
        EspeakEngine(library=fake).synthesize("Hello", DEFAULT_VOICE, 150)
    assert fake.runs == SYNTH_ATTEMPTS


def test_hang_becomes_an_error_quickly() -> None:
    fake = _FakeLibrary(block=True)
    engine = EspeakEngine(timeout_s=0.05, timeout_per_word_s=0.01, library=fake)
    try:
        started = time.monotonic()
        with pytest.raises(CoachError, match="did not finish"):
            engine.synthesize("one two three", DEFAULT_VOICE, 150)
        assert time.monotonic() - started < 1.0
        # eSpeak is in an unknown state now: later calls fail at once, without trying.
        with pytest.raises(CoachError, match="stopped responding"):
            engine.synthesize("four", DEFAULT_VOICE, 150)
        assert fake.runs == 1
    finally:
        fake.release.set()


def test_library_error_is_a_coach_error() -> None:
    class Failing(_FakeLibrary):
        def speak(self, text: str, voice: str, rate: int) -> bytes:
            raise RuntimeError("eSpeak could not select the voice")

    with pytest.raises(CoachError, match=r"failed to speak 'Hello'.*could not select"):
        EspeakEngine(library=Failing()).synthesize("Hello", DEFAULT_VOICE, 150)


@pytest.mark.tts
def test_synthesis_keeps_every_sample(engine: EspeakEngine) -> None:
    # pyttsx3's own driver sometimes saved an empty file for a short phrase; the
    # synchronous bindings must give audio every time, of a steady length.
    lengths = [len(engine.synthesize("Two of three.", DEFAULT_VOICE, 155)[0]) for _ in range(40)]
    assert min(lengths) > 0.8 * max(lengths)
    assert min(lengths) > SAMPLE_RATE // 2


HISTORY_PHRASES = [
    "Two of three.",
    "Breathe in, and relax completely.",
    "Exercise three of five: Shoulder rolls.",
    "Hold.",
    "Ten seconds left.",
]


@pytest.mark.tts
def test_each_phrase_sounds_the_same_whatever_was_spoken_before(engine: EspeakEngine) -> None:
    # eSpeak's wave generator carried two counters from phrase to phrase, so the same
    # phrase came out up to 40 samples longer or shorter after other phrases.
    assert engine.history_reset
    first = [engine.synthesize(text, DEFAULT_VOICE, 155)[0] for text in HISTORY_PHRASES]
    engine.synthesize("Something else entirely, at another pace?", "gmw/en-gb-scotland", 250)
    again = [engine.synthesize(text, DEFAULT_VOICE, 155)[0] for text in HISTORY_PHRASES[::-1]]
    for text, before, after in zip(HISTORY_PHRASES, first, again[::-1], strict=True):
        assert np.array_equal(before, after), text
    repeats = {
        engine.synthesize("Two of three.", DEFAULT_VOICE, 155)[0].tobytes() for _ in range(5)
    }
    assert len(repeats) == 1


@pytest.mark.tts
def test_a_new_process_speaks_the_same_samples(engine: EspeakEngine) -> None:
    import subprocess
    import sys

    code = (
        "import sys, hashlib; from coach.speech.espeak import EspeakEngine; e = EspeakEngine(); "
        "e.synthesize('Hold.', 'gmw/en-us', 155); "
        "samples = e.synthesize(sys.argv[1], 'gmw/en-us', 155)[0]; "
        "print(hashlib.sha256(samples.tobytes()).hexdigest())"
    )
    text = HISTORY_PHRASES[1]
    out = subprocess.run(
        [sys.executable, "-c", code, text], capture_output=True, text=True, check=True
    ).stdout.strip()
    import hashlib

    assert (
        out == hashlib.sha256(engine.synthesize(text, DEFAULT_VOICE, 155)[0].tobytes()).hexdigest()
    )
