"""The session's sounds: each phrase mastered once and cached, ahead of the render or not,
and every clip heard exactly as long as the timeline says."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from coach.pcm import Samples
from coach.plan.timeline import SpeechClip
from coach.preparation import SessionRequest, prepare_session
from coach.sound.session_sounds import SessionSounds
from coach.speech.cache import PhraseCache
from coach.speech.phrases import PhraseBook
from coach.speech.types import Voice
from coach.time import SAMPLE_RATE, samples_to_ms


class _ToneEngine:
    """A fake engine: a tone whose length grows with the number of words."""

    name = "tone"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def version(self) -> str:
        return "tone 1"

    def voices(self) -> list[Voice]:
        return [Voice("tone", "Tone", "en")]

    def synthesize(self, text: str, voice: str, rate: int) -> tuple[Samples, int]:
        self.calls.append(text)
        count = len(text.split()) * SAMPLE_RATE // 4
        tone = (np.sin(np.arange(count) * 0.2) * 10_000).astype(np.int16)
        return tone, SAMPLE_RATE

    def synthesize_many(
        self, texts: Sequence[str], voice: str, rate: int
    ) -> Iterator[tuple[int, tuple[Samples, int]]]:
        for index, text in enumerate(texts):
            yield index, self.synthesize(text, voice, rate)


def _louder(samples: Samples) -> Samples:
    return (samples.astype(np.int32) // 2).astype(np.int16)


def _sounds(
    cache: Path | None,
    master: Callable[[Samples], Samples] | None = _louder,
    master_id: str = "m",
    engine: _ToneEngine | None = None,
) -> SessionSounds:
    book = PhraseBook(
        engine or _ToneEngine(), "tone", 155, None if cache is None else PhraseCache(cache)
    )
    return SessionSounds(book, master=master, master_id=master_id)


def test_each_phrase_is_mastered_once_and_cached(tmp_path: Path) -> None:
    texts = ["Breathe in.", "Hold it there.", "Breathe in."]
    sounds = _sounds(tmp_path, master_id="halve v1")
    sounds.master_phrases(texts)
    assert sounds.mastered_made == 2
    for text in set(texts):
        np.testing.assert_array_equal(sounds.speech(text), _louder(sounds.phrases.clip(text)))
    assert sounds.speech("Hold it there.") is sounds.speech("Hold it there.")  # kept in memory
    assert sounds.mastered_made == 2
    again = _sounds(tmp_path, master_id="halve v1")
    again.master_phrases(texts)
    assert (again.phrases.synthesized, again.mastered_made) == (0, 0)
    np.testing.assert_array_equal(again.speech("Hold it there."), sounds.speech("Hold it there."))
    other = _sounds(tmp_path, master_id="halve v2")
    other.master_phrases(texts)
    assert (other.phrases.synthesized, other.mastered_made) == (0, 2)  # new id: made again


def test_a_mastered_clip_asked_for_twice_is_mastered_once() -> None:
    made: list[int] = []

    def counted(samples: Samples) -> Samples:
        made.append(len(samples))
        return _louder(samples)

    sounds = _sounds(None, counted)
    first = sounds.speech("one two")
    assert sounds.speech("one two") is first
    assert made == [len(sounds.phrases.clip("one two"))]


def test_without_mastering_the_plain_clip_is_heard() -> None:
    sounds = _sounds(None, master=None)
    assert sounds.speech("one two") is sounds.phrases.clip("one two")
    assert sounds.mastered_made == 0


def test_lengths_come_from_plain_clips_without_mastering(tmp_path: Path) -> None:
    sounds = _sounds(tmp_path)
    assert sounds.speech_ms("Two of three.") > 0
    assert sounds.mastered_made == 0


def test_mastering_that_changes_length_is_refused() -> None:
    sounds = _sounds(None, master=lambda s: s[:-1], master_id="shorter")
    with pytest.raises(ValueError, match="length"):
        sounds.speech("Hold.")


def test_a_cached_mastered_clip_of_another_length_is_not_used(tmp_path: Path) -> None:
    sounds = _sounds(tmp_path)
    sounds.speech("a b")
    cache = PhraseCache(tmp_path)
    cache.put(sounds._mastered_key("a b"), np.zeros(3, dtype=np.int16))
    again = _sounds(tmp_path)
    np.testing.assert_array_equal(again.speech("a b"), _louder(again.phrases.clip("a b")))
    assert again.mastered_made == 1


def test_progress_reports_synthesis_then_mastering(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    sounds = _sounds(tmp_path)
    sounds.master_phrases(["a b", "c d e"], lambda done, total: calls.append((done, total)))
    assert calls == [(0, 2), (1, 2), (2, 2), (0, 2), (1, 2), (2, 2)]


def test_every_clip_heard_is_as_long_as_the_timeline_says(tmp_path: Path) -> None:
    sounds = _sounds(tmp_path)
    session = prepare_session(SessionRequest(minutes=5), progress=None, sounds=sounds).session
    clips = session.timeline.audible_clips()
    assert any(isinstance(clip, SpeechClip) for clip in clips)
    sounds.master_all(session.timeline, None)
    made = sounds.mastered_made
    assert made == len({clip.text for clip in clips if isinstance(clip, SpeechClip)})
    for clip in clips:
        assert samples_to_ms(len(sounds.audio(clip))) == clip.length_ms, clip
    assert sounds.mastered_made == made  # all were mastered up front


def test_mastering_ahead_gives_what_mastering_first_gives(tmp_path: Path) -> None:
    texts = ["a b", "c d e", "f", "a b", "g h i j"]
    first = _sounds(tmp_path / "one")
    first.master_phrases(texts)
    ahead = _sounds(tmp_path / "two")
    with ahead.mastering_phrases_ahead(texts) as making:
        assert making == ["a b", "c d e", "f", "g h i j"]  # distinct, in the order given
        for text in texts:
            np.testing.assert_array_equal(ahead.speech(text), first.speech(text))
    assert ahead.mastered_made == 4
    # What was made went to the cache like any mastered clip.
    again = _sounds(tmp_path / "two")
    with again.mastering_phrases_ahead(texts) as making:
        assert making == []
    assert (again.phrases.synthesized, again.mastered_made) == (0, 0)


def test_mastering_ahead_works_while_the_caller_waits_and_stops_with_the_block(
    tmp_path: Path,
) -> None:
    """The clips are made on other threads, two at a time in the order given, ahead of
    being asked for; leaving the block drops what has not begun and leaves no thread
    behind."""
    texts = [" ".join("w" * (count + 1)) for count in range(8)]  # 1 to 8 words
    started: list[tuple[int, str]] = []
    release = threading.Event()
    first = len(_sounds(tmp_path).phrases.clip(texts[0]))

    def slow_master(samples: Samples) -> Samples:
        started.append((len(samples), threading.current_thread().name))
        if len(samples) != first:
            release.wait(5)  # all but the first wait until the block is left
        return _louder(samples)

    sounds = _sounds(tmp_path, slow_master)
    book = sounds.phrases
    before = threading.active_count()
    with sounds.mastering_phrases_ahead(texts):
        deadline = time.monotonic() + 5
        while len(started) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        np.testing.assert_array_equal(sounds.speech(texts[0]), _louder(book.clip(texts[0])))
        opener = threading.Timer(0.2, release.set)  # lets the two that began finish
        opener.start()
    opener.join()
    assert [length for length, _ in started] == [len(book.clip(t)) for t in texts[:3]]
    assert all(name.startswith("coach-master") for _, name in started)
    assert threading.active_count() == before
    assert sounds.mastered_made == 1  # the two made but not taken are dropped


def test_a_failure_while_mastering_ahead_reaches_the_caller(tmp_path: Path) -> None:
    def broken(samples: Samples) -> Samples:
        raise ValueError("the limiter broke")

    sounds = _sounds(tmp_path, broken)
    with (
        pytest.raises(ValueError, match="the limiter broke"),
        sounds.mastering_phrases_ahead(["a b"]),
    ):
        sounds.speech("a b")


def test_mastering_ahead_inside_another_makes_each_clip_once(tmp_path: Path) -> None:
    texts = [" ".join("w" * (count + 1)) for count in range(6)]
    made: list[int] = []

    def counted(samples: Samples) -> Samples:
        made.append(len(samples))
        return _louder(samples)

    sounds = _sounds(tmp_path, counted)
    book = sounds.phrases
    with sounds.mastering_phrases_ahead(texts) as outer:
        assert outer == texts
        sounds.master_phrases(texts[2:])  # the outer block is making these already
        for text in texts:
            np.testing.assert_array_equal(sounds.speech(text), _louder(book.clip(text)))
    assert sorted(made) == sorted(len(book.clip(text)) for text in texts)
    assert sounds.mastered_made == len(texts)
