"""The eSpeak engine: real synthesis, quiet stdout, voices, version, load errors, hang guard."""

from __future__ import annotations

import threading
import time
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from coach.errors import CoachError
from coach.pcm import SAMPLE_RATE, wav_bytes
from coach.speech import DEFAULT_VOICE, ENGINES, open_engine
from coach.speech.espeak import SYNTH_ATTEMPTS, EspeakEngine
from coach.types import Voice

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


def test_blank_text_is_an_empty_clip() -> None:
    samples, rate = EspeakEngine(tts=_FakeTts()).synthesize("  ", DEFAULT_VOICE, 150)
    assert len(samples) == 0
    assert rate == SAMPLE_RATE


def test_version_names_packages_and_library() -> None:
    version = EspeakEngine().version()
    assert f"pyttsx3 {metadata.version('pyttsx3')}" in version
    assert f"espeakng-loader {metadata.version('espeakng-loader')}" in version
    assert "libespeak-ng" in version


def test_registry_and_unknown_engine() -> None:
    assert isinstance(open_engine("espeak"), EspeakEngine)
    assert set(ENGINES) == {"espeak"}
    with pytest.raises(CoachError, match="espeak"):
        open_engine("festival")


def test_load_failure_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import espeakng_loader

    monkeypatch.setattr(espeakng_loader, "get_library_path", lambda: "/nonexistent/libespeak.so")
    with pytest.raises(CoachError, match="pip install pyttsx3 espeakng-loader"):
        EspeakEngine().voices()


class _FakeTts:
    """Stands in for pyttsx3.Engine: one English voice; runAndWait waits for `release`."""

    def __init__(self, block: bool = False, empty_runs: int = -1) -> None:
        self.release = threading.Event()
        self.block = block
        self.runs = 0
        self.empty_runs = empty_runs
        """Runs that write a WAV with no samples before one with audio (-1: write none)."""
        self.filename = ""

    def setProperty(self, name: str, value: str | float) -> None:
        pass

    def getProperty(self, name: str) -> Any:
        assert name == "voices"
        return [SimpleNamespace(id=DEFAULT_VOICE, name="English (America)", languages=["en-us"])]

    def save_to_file(self, text: str, filename: str) -> None:
        self.filename = filename

    def runAndWait(self) -> None:
        self.runs += 1
        if self.block:
            self.release.wait(10)
        if self.empty_runs >= 0:
            count = 0 if self.runs <= self.empty_runs else 2205
            samples = (np.sin(np.arange(count) * 0.3) * 8000).astype(np.int16)
            Path(self.filename).write_bytes(wav_bytes(samples))


def test_empty_synthesis_is_tried_again() -> None:
    fake = _FakeTts(empty_runs=2)
    samples, _ = EspeakEngine(tts=fake).synthesize("Hello", DEFAULT_VOICE, 150)
    assert len(samples) == 2205
    assert fake.runs == 3


def test_always_empty_synthesis_is_an_error() -> None:
    fake = _FakeTts(empty_runs=100)
    with pytest.raises(CoachError, match="no audio"):
        EspeakEngine(tts=fake).synthesize("Hello", DEFAULT_VOICE, 150)
    assert fake.runs == SYNTH_ATTEMPTS


def test_hang_becomes_an_error_quickly() -> None:
    fake = _FakeTts(block=True)
    engine = EspeakEngine(timeout_s=0.05, timeout_per_word_s=0.01, tts=fake)
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


def test_missing_output_file_is_an_error() -> None:
    # The fake "finishes" without writing the WAV, as a broken driver might.
    with pytest.raises(CoachError, match="no usable audio"):
        EspeakEngine(tts=_FakeTts()).synthesize("Hello", DEFAULT_VOICE, 150)
