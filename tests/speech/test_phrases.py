"""The phrase book: trimmed clips, measured lengths, the cache round trip, validation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from coach.errors import CoachError
from coach.pcm import Samples
from coach.speech.cache import PhraseCache
from coach.speech.espeak import EspeakEngine
from coach.speech.phrases import PhraseBook
from coach.speech.trimming import (
    LEAD_MARGIN_MS,
    TRAIL_MARGIN_MS,
    TRIM_THRESHOLD_DBFS,
    trim_silence,
)
from coach.speech.types import Voice
from coach.speech.voices import DEFAULT_VOICE, RATE_RANGE
from coach.time import SAMPLE_RATE, ms_to_samples, samples_to_ms

TEXTS = [
    "Only do this while parked, engine off.",
    "Stop if anything hurts.",
    "Slowly tilt your head to the left and hold.",
    "Three",
]
THRESHOLD = 32768 * 10 ** (TRIM_THRESHOLD_DBFS / 20)


def _edge_silence_ms(samples: Samples) -> tuple[float, float]:
    """Milliseconds of below-threshold samples at the start and at the end."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > THRESHOLD)
    lead = int(loud[0])
    trail = len(samples) - 1 - int(loud[-1])
    return lead * 1000 / SAMPLE_RATE, trail * 1000 / SAMPLE_RATE


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    return EspeakEngine()


# -- with the real engine ---------------------------------------------------------------


@pytest.mark.tts
def test_clip_is_trimmed_to_the_words(engine: EspeakEngine, tmp_path: Path) -> None:
    book = PhraseBook(engine, DEFAULT_VOICE, 150, PhraseCache(tmp_path))
    for text in TEXTS:
        raw, _ = engine.synthesize(text, DEFAULT_VOICE, 150)
        clip = book.clip(text)
        assert clip.dtype == np.int16
        lead, trail = _edge_silence_ms(clip)
        assert lead <= LEAD_MARGIN_MS + 1
        assert trail <= TRAIL_MARGIN_MS + 1
        # eSpeak pads about 0.4 s of silence after the words; that is what goes.
        assert 300 <= samples_to_ms(len(raw) - len(clip)) <= 500
        words = len(text.split())
        assert 0.25 * words <= len(clip) / SAMPLE_RATE <= 0.8 * words + 0.2
        assert book.speech_ms(text) == samples_to_ms(len(clip))


@pytest.mark.tts
def test_warm_cache_gives_identical_samples_without_synthesis(
    engine: EspeakEngine, tmp_path: Path
) -> None:
    cold = PhraseBook(engine, DEFAULT_VOICE, 155, PhraseCache(tmp_path))
    cold.synthesize_all(TEXTS)
    assert (cold.synthesized, cold.cache_hits) == (len(TEXTS), 0)

    warm = PhraseBook(engine, DEFAULT_VOICE, 155, PhraseCache(tmp_path))
    warm.synthesize_all(TEXTS)
    for text in TEXTS:
        np.testing.assert_array_equal(warm.clip(text), cold.clip(text))
    assert (warm.synthesized, warm.cache_hits) == (0, len(TEXTS))


@pytest.mark.tts
def test_cache_key_includes_rate(engine: EspeakEngine, tmp_path: Path) -> None:
    PhraseBook(engine, DEFAULT_VOICE, 150, PhraseCache(tmp_path)).synthesize_all(["Three"])
    other = PhraseBook(engine, DEFAULT_VOICE, 200, PhraseCache(tmp_path))
    other.synthesize_all(["Three"])
    assert other.synthesized == 1


@pytest.mark.tts
def test_damaged_cache_entry_is_remade(engine: EspeakEngine, tmp_path: Path) -> None:
    PhraseBook(engine, DEFAULT_VOICE, 150, PhraseCache(tmp_path)).synthesize_all(["Three"])
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(entry.read_bytes()[:100])  # truncated mid-samples

    book = PhraseBook(engine, DEFAULT_VOICE, 150, PhraseCache(tmp_path))
    clip = book.clip("Three")
    assert book.synthesized == 1
    assert len(clip) > SAMPLE_RATE // 10
    # ... and put back whole: the next book reads it.
    again = PhraseBook(engine, DEFAULT_VOICE, 150, PhraseCache(tmp_path))
    np.testing.assert_array_equal(again.clip("Three"), clip)
    assert again.synthesized == 0


@pytest.mark.tts
def test_unwritable_cache_still_synthesizes(
    engine: EspeakEngine, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    book = PhraseBook(engine, DEFAULT_VOICE, 150, PhraseCache(blocker / "cache"))
    book.synthesize_all(TEXTS[:2])
    assert book.synthesized == 2
    assert len(book.clip(TEXTS[0])) > SAMPLE_RATE
    out, err = capfd.readouterr()
    assert out == ""
    assert err.count("warning") == 1


@pytest.mark.tts
def test_unknown_voice_lists_valid_ones_english_first(engine: EspeakEngine) -> None:
    with pytest.raises(CoachError) as caught:
        PhraseBook(engine, "gmw/en-uss", 150, None)
    message = str(caught.value)
    assert "Did you mean gmw/en-us" in message
    assert "coach voices" in message
    english = message.index("English voices:")
    assert "gmw/en-gb-scotland" in message[english:]
    assert english < message.index("Other voices:")
    assert "\n" not in message


# -- with a fake engine: exact, deterministic edges -------------------------------------


class _FakeEngine:
    """Returns a 440 Hz tone padded with known silence, at a chosen sample rate."""

    name = "fake"

    def __init__(self, rate: int = SAMPLE_RATE, lead_ms: int = 50, trail_ms: int = 400) -> None:
        self.rate = rate
        self.lead_ms = lead_ms
        self.trail_ms = trail_ms
        self.calls: list[str] = []

    def version(self) -> str:
        return "1"

    def voices(self) -> list[Voice]:
        return [Voice("fake/en", "Fake English", "en"), Voice("fake/de", "Fake German", "de")]

    def synthesize(self, text: str, voice: str, rate: int) -> tuple[Samples, int]:
        self.calls.append(text)
        tone_samples = self.rate * 100 * len(text) // 1000  # 100 ms per character
        t = np.arange(tone_samples) / self.rate
        tone = np.round(10_000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        lead = np.zeros(self.rate * self.lead_ms // 1000, dtype=np.int16)
        trail = np.zeros(self.rate * self.trail_ms // 1000, dtype=np.int16)
        return np.concatenate([lead, tone, trail]), self.rate

    def synthesize_many(
        self, texts: Sequence[str], voice: str, rate: int
    ) -> Iterator[tuple[int, tuple[Samples, int]]]:
        for index, text in enumerate(texts):
            yield index, self.synthesize(text, voice, rate)


def test_trim_keeps_exactly_the_margins() -> None:
    book = PhraseBook(_FakeEngine(), "fake/en", 150, None)
    clip = book.clip("abc")  # 300 ms of tone
    margins = ms_to_samples(LEAD_MARGIN_MS) + ms_to_samples(TRAIL_MARGIN_MS)
    # The tone's first sample is sin(0) = 0, so the loud part starts a sample later.
    assert abs(len(clip) - (SAMPLE_RATE * 300 // 1000 + margins)) <= 2
    lead, trail = _edge_silence_ms(clip)
    assert abs(lead - LEAD_MARGIN_MS) <= 0.2
    assert abs(trail - TRAIL_MARGIN_MS) <= 0.2


def test_margins_never_reach_past_the_audio() -> None:
    book = PhraseBook(_FakeEngine(lead_ms=0, trail_ms=0), "fake/en", 150, None)
    assert abs(len(book.clip("ab")) - SAMPLE_RATE * 200 // 1000) <= 1


def test_silent_and_blank_text_give_empty_clips() -> None:
    assert len(trim_silence(np.full(1000, 50, dtype=np.int16))) == 0
    book = PhraseBook(_FakeEngine(), "fake/en", 150, None)
    assert len(book.clip("")) == 0
    assert book.speech_ms("") == 0


def test_an_engine_at_another_rate_is_refused() -> None:
    # Engines deliver the session's rate; a clip at another rate would be timed wrongly.
    book = PhraseBook(_FakeEngine(rate=44_100), "fake/en", 150, None)
    with pytest.raises(ValueError, match="44100 Hz"):
        book.clip("abcd")


def test_each_text_is_synthesized_once_and_clips_are_shared() -> None:
    engine = _FakeEngine()
    book = PhraseBook(engine, "fake/en", 150, None)
    first = book.clip("abc")
    assert book.clip("abc") is first
    assert book.speech_ms("abc") == samples_to_ms(len(first))
    assert engine.calls == ["abc"]
    assert not first.flags.writeable


def test_synthesize_all_reports_progress_over_distinct_missing_texts(tmp_path: Path) -> None:
    engine = _FakeEngine()
    PhraseBook(engine, "fake/en", 150, PhraseCache(tmp_path)).clip("cached")
    book = PhraseBook(engine, "fake/en", 150, PhraseCache(tmp_path))
    calls: list[tuple[int, int]] = []

    def record(done: int, total: int) -> None:
        calls.append((done, total))

    book.synthesize_all(["a", "cached", "b", "a", "b", "c"], record)
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert engine.calls == ["cached", "a", "b", "c"]
    assert (book.synthesized, book.cache_hits) == (3, 1)
    calls.clear()
    book.synthesize_all(["a", "b", "c", "cached"], record)
    assert calls == []
    assert (book.synthesized, book.cache_hits) == (3, 1)


@pytest.mark.parametrize("rate", [RATE_RANGE[0] - 1, RATE_RANGE[1] + 1, 0, -150, True, 150.0])
def test_bad_rate_is_an_error(rate: int) -> None:
    with pytest.raises(CoachError, match=f"from {RATE_RANGE[0]} to {RATE_RANGE[1]}"):
        PhraseBook(_FakeEngine(), "fake/en", rate, None)


@pytest.mark.parametrize("rate", RATE_RANGE)
def test_rate_bounds_are_inclusive(rate: int) -> None:
    PhraseBook(_FakeEngine(), "fake/en", rate, None)


def test_unknown_voice_error_for_any_engine() -> None:
    with pytest.raises(CoachError) as caught:
        PhraseBook(_FakeEngine(), "nope", 150, None)
    message = str(caught.value)
    assert message.index("fake/en") < message.index("fake/de")
    assert "coach voices" in message
