"""What a command synthesizes before it fits: for a shorter version, the phrases the fit
measures and the session says, made in batches; the same session whatever was made before."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from coach.pcm import Samples
from coach.preparation import SessionRequest, full_session_phrases, prepare_session
from coach.sound.session_sounds import SessionSounds
from coach.speech.cache import PhraseCache
from coach.speech.espeak import EspeakEngine
from coach.speech.phrases import PhraseBook
from coach.speech.voices import DEFAULT_VOICE
from support.paths import EXAMPLE
from support.timelines import text_of

pytestmark = pytest.mark.tts


class _CountingBook(PhraseBook):
    """A phrase book that notes how each phrase was made: one at a time, or in a batch."""

    def __init__(self, cache: PhraseCache | None) -> None:
        super().__init__(EspeakEngine(), DEFAULT_VOICE, 155, cache)
        self.one_at_a_time: list[str] = []
        self.batches: list[list[str]] = []

    def _synthesize(self, text: str) -> Samples:
        self.one_at_a_time.append(text)
        return super()._synthesize(text)

    def synthesize_all(
        self, texts: Iterable[str], progress: Callable[[int, int], None] | None = None
    ) -> None:
        texts = list(texts)
        self.batches.append([text for text in dict.fromkeys(texts) if text not in self._clips])
        super().synthesize_all(texts, progress)


class _CountingSounds(SessionSounds):
    phrases: _CountingBook


def _sounds(cache: PhraseCache | None = None) -> _CountingSounds:
    return _CountingSounds(_CountingBook(cache))


def test_a_shorter_version_makes_what_it_says_and_not_the_full_sessions_later_reps() -> None:
    sounds = _sounds()
    session = prepare_session(SessionRequest(minutes=5), progress=None, sounds=sounds).session
    book = sounds.phrases
    spoken = {text_of(clip) for clip in session.timeline.audible_clips() if clip.kind == "speech"}
    made = set(book._clips)
    assert spoken <= made
    full = set(full_session_phrases(session.routine))
    assert "Set three of four. Sit tall." in full - made
    assert len(full - spoken - made) >= 10  # the full session's phrases it never needed
    assert len(made) <= len(spoken) + 4  # the few it measured to rule versions out
    # All in batches (made several at a time by Piper), none one by one by the fit.
    assert book.one_at_a_time == []
    assert len(book.batches[0]) >= len(spoken) - 4


LONG = str(Path(__file__).parent / "data" / "long-routine.toml")


@pytest.mark.parametrize(
    ("routine", "minutes"), [(None, 3.0), (None, 4.5), (None, 6.0), (LONG, 2.0)]
)
def test_the_session_is_the_same_whatever_was_made_before(
    routine: str | None, minutes: float, tmp_path: Path
) -> None:
    """From nothing, from a book that holds the full session already, and from a cache
    that holds it: the same fit and timeline, and no phrase made one by one (the long
    routine's two minutes are a version the guess did not pick, whose words inside a hold
    are made in a batch of their own)."""
    fresh = _sounds()
    request = SessionRequest(routine=routine, minutes=minutes)
    expected = prepare_session(request, progress=None, sounds=fresh).session
    assert fresh.phrases.one_at_a_time == []

    full_first = _sounds()
    full_first.synthesize(full_session_phrases(expected.routine), None)
    same = prepare_session(request, progress=None, sounds=full_first).session
    assert same.timeline == expected.timeline
    assert same.fitted == expected.fitted

    cache = PhraseCache(tmp_path / "cache")
    _sounds(cache).synthesize(full_session_phrases(expected.routine), None)
    from_cache = _sounds(cache)
    again = prepare_session(request, progress=None, sounds=from_cache).session
    assert again.timeline == expected.timeline
    assert from_cache.phrases.one_at_a_time == []


def test_a_length_too_short_makes_what_finds_the_shortest_in_batches() -> None:
    from coach.errors import CoachError

    sounds = _sounds()
    with pytest.raises(CoachError, match="shortest version"):
        prepare_session(SessionRequest(minutes=0.5), progress=None, sounds=sounds)
    assert sounds.phrases.one_at_a_time == []
    from coach.routines import load_routine

    full = set(full_session_phrases(load_routine(None)))
    assert len(set(sounds.phrases._clips)) < len(full) / 2  # the most cut versions' phrases


@pytest.mark.parametrize("command", ["list", "check"])
def test_list_and_check_measure_the_shortest_version_in_batches(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coach import commands, preparation

    sounds = _sounds()
    monkeypatch.setattr(preparation, "open_sounds", lambda voice=None, rate=None: sounds)
    if command == "list":
        lines = commands.list_routines()
    else:
        lines = commands.check_routine("rest-stop", voice=None, rate=None, progress=None)
    assert any("shortest" in line for line in lines)
    assert sounds.phrases.one_at_a_time == []
    assert len(sounds.phrases.batches) >= 2  # the full session's, then the shortest's


def test_a_pack_makes_each_lengths_phrases_in_batches(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from coach import commands, preparation

    sounds = _sounds()
    monkeypatch.setattr(preparation, "open_sounds", lambda voice=None, rate=None: sounds)
    lines = commands.render(
        SessionRequest(),
        pack=tmp_path,
        pack_minutes=(3.0, 5.0),
        progress=None,
        encode_progress=None,
    )
    assert len(lines) == 3  # 3 and 5 minutes, and the full session
    assert sounds.phrases.one_at_a_time == []


@pytest.mark.tts
@pytest.mark.parametrize(
    "command",
    [
        ["check", str(EXAMPLE)],
        ["list"],
        ["show", str(EXAMPLE), "-m", "1.2"],
        ["show", "-m", "4"],
        ["render", "-q", "--pack", "PACK", "-m", "3", str(EXAMPLE)],
    ],
)
def test_every_phrase_synthesized_is_shown_in_progress(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a cold cache, check, list and show synthesize for many seconds, the fit's own
    batches included: each phrase is made inside a batch that reports progress (at a
    terminal, a bar), never in silence."""
    import coach.cli
    from coach.speech.cache import CACHE_DIR_ENV
    from coach.speech.phrases import PhraseBook
    from support.cli import run

    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(
        coach.cli, "progress_bar", lambda *_args, **_kwargs: lambda _done, _total: None
    )
    reported: list[bool] = []
    synthesize_all, store = PhraseBook.synthesize_all, PhraseBook._store

    def watched_synthesize_all(book: PhraseBook, texts: Any, progress: Any = None) -> None:
        book.reporting = progress is not None  # type: ignore[attr-defined]
        try:
            synthesize_all(book, texts, progress)
        finally:
            book.reporting = False  # type: ignore[attr-defined]

    def watched_store(book: PhraseBook, text: str, raw: Any) -> Any:
        reported.append(getattr(book, "reporting", False))
        return store(book, text, raw)

    monkeypatch.setattr(PhraseBook, "synthesize_all", watched_synthesize_all)
    monkeypatch.setattr(PhraseBook, "_store", watched_store)
    args = [str(tmp_path / "pack") if word == "PACK" else word for word in command]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert reported, "nothing was synthesized: the cache was not cold"
    assert all(reported), f"{reported.count(False)} of {len(reported)} phrases made in silence"
