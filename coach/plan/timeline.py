"""The Timeline: every clip of a session at an absolute start, in integer milliseconds.

Built from a Script and the lengths of its phrases and chimes. It is the single truth about
when things happen: the renderer, the live player and `coach show` all read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from coach.plan.lengths import SpeechLengths, event_ms, events_length_ms
from coach.plan.script import (
    Chapter,
    Cue,
    Event,
    Hold,
    HoldWord,
    Move,
    Relax,
    Rest,
    Say,
    Script,
    Step,
)

SpanKind = Literal["move", "hold", "relax", "rest"]
ClipKind = Literal["speech", "chime", "move", "hold", "relax", "rest"]


@dataclass(frozen=True)
class _Placed:
    """Where a clip lies in the session, and which exercise and step it belongs to."""

    start_ms: int
    end_ms: int
    exercise_id: str | None = field(default=None, kw_only=True)
    exercise: str | None = field(default=None, kw_only=True)
    """The exercise's title."""
    step: str = field(default="", kw_only=True)

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class SpeechClip(_Placed):
    """A phrase said. Words said inside a move, a hold or a relax are speech clips lying
    within that span."""

    text: str
    kind: ClassVar[Literal["speech"]] = "speech"
    audible: ClassVar[bool] = True


@dataclass(frozen=True)
class ChimeClip(_Placed):
    """A chime, by name (the relax's chime lies at its start)."""

    cue: str
    kind: ClassVar[Literal["chime"]] = "chime"
    audible: ClassVar[bool] = True


@dataclass(frozen=True)
class SpanClip(_Placed):
    """A span of time: a move (from the first word of a rep's cue to the start of its hold),
    a hold, a relax or a rest."""

    kind: SpanKind
    counted: bool = False
    """For holds: a counted movement rather than a still hold."""
    audible: ClassVar[bool] = False


Clip = SpeechClip | ChimeClip | SpanClip
"""One thing in the session: a phrase, a chime, or a span of time."""
AudibleClip = SpeechClip | ChimeClip
"""A clip that makes sound."""


@dataclass(frozen=True)
class ChapterSpan:
    """A chapter of the session: the opening or one exercise."""

    title: str
    exercise_id: str | None
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Timeline:
    """The clips of a session, in order of start time, and its chapters."""

    title: str
    clips: tuple[Clip, ...]
    chapters: tuple[ChapterSpan, ...]
    total_ms: int

    def audible_clips(self) -> list[AudibleClip]:
        """The clips that make sound, in order of start time."""
        return [clip for clip in self.clips if isinstance(clip, SpeechClip | ChimeClip)]

    def to_json(self) -> dict[str, Any]:
        """A plain dict for `coach show --json`."""
        return {
            "title": self.title,
            "total_ms": self.total_ms,
            "chapters": [
                {
                    "title": c.title,
                    "exercise": c.exercise_id,
                    "start_ms": c.start_ms,
                    "end_ms": c.end_ms,
                }
                for c in self.chapters
            ],
            "clips": [
                {
                    "start_ms": clip.start_ms,
                    "end_ms": clip.end_ms,
                    "kind": clip.kind,
                    "text": clip.text if isinstance(clip, SpeechClip) else None,
                    "cue": clip.cue if isinstance(clip, ChimeClip) else None,
                    "exercise": clip.exercise_id,
                    "step": clip.step or None,
                }
                for clip in self.clips
            ],
        }


@dataclass(frozen=True)
class _ChapterStart:
    title: str
    exercise_id: str | None
    start_ms: int


@dataclass
class _Placement:
    """Where the timeline builder is: the time, the chapter and step, what is placed so far."""

    now: int = 0
    exercise_id: str | None = None
    exercise: str | None = None
    step: str = ""
    clips: list[Clip] = field(default_factory=list)
    chapter_starts: list[_ChapterStart] = field(default_factory=list)

    def where(self) -> dict[str, Any]:
        """The exercise and step a clip placed now belongs to."""
        return {"exercise_id": self.exercise_id, "exercise": self.exercise, "step": self.step}

    def say(self, start: int, end: int, text: str) -> None:
        self.clips.append(SpeechClip(start, end, text, **self.where()))

    def chime(self, start: int, end: int, cue: str) -> None:
        self.clips.append(ChimeClip(start, end, cue, **self.where()))

    def span(self, start: int, end: int, kind: SpanKind, *, counted: bool = False) -> None:
        self.clips.append(SpanClip(start, end, kind, counted, **self.where()))

    def chapter(self, title: str, exercise_id: str | None) -> None:
        self.chapter_starts.append(_ChapterStart(title, exercise_id, self.now))
        self.exercise_id = exercise_id
        self.exercise = title if exercise_id else None
        self.step = ""

    def chapters(self) -> tuple[ChapterSpan, ...]:
        """Each chapter runs until the next one starts; the last until the end."""
        ends = [start.start_ms for start in self.chapter_starts[1:]] + [self.now]
        return tuple(  # strict=False: a script without chapters has one end and no start
            ChapterSpan(start.title, start.exercise_id, start.start_ms, end)
            for start, end in zip(self.chapter_starts, ends, strict=False)
        )


def build_timeline(script: Script, lengths: SpeechLengths) -> Timeline:
    """Place every event of `script` at an absolute time, using measured `lengths`.

    Every event moves the time on by `event_ms` (the rule the fitter measures with too), so
    holds, relaxes and rests are exact. Words inside a hold are placed by
    `_place_hold_words`; a move's by `_place_move`, a relax's by `_place_relax`.
    """
    place = _Placement()
    _place_run(place, script.events, lengths)
    return Timeline(script.title, tuple(place.clips), place.chapters(), place.now)


def _place_run(place: _Placement, events: Iterable[Event], lengths: SpeechLengths) -> None:
    """Place `events` one after another from `place.now`, moving it on past them."""
    for event in events:
        length = event_ms(event, lengths)
        match event:
            case Chapter(title=title, exercise_id=exercise_id):
                place.chapter(title, exercise_id)
            case Step(label=label):
                place.step = label
            case Say(text=text):
                place.say(place.now, place.now + length, text)
            case Cue(name=name):
                place.chime(place.now, place.now + length, name)
            case Rest():
                if length:
                    place.span(place.now, place.now + length, "rest")
            case Hold(words=words, counted=counted):
                place.span(place.now, place.now + length, "hold", counted=counted)
                _place_hold_words(place, words, place.now + length, lengths)
            case Move():
                _place_move(place, event, place.now + length, lengths)
                continue  # _place_move leaves place.now at the move's end
            case Relax():
                _place_relax(place, event, place.now + length, lengths)
                continue  # _place_relax leaves place.now at the relax's end
        place.now += length


def _place_move(place: _Placement, move: Move, end: int, lengths: SpeechLengths) -> None:
    """A move from `place.now` to `end`: its cue from the start, its "Hold." ending at `end`
    (so the hold starts exactly there), quiet in between while the user moves."""
    place.span(place.now, end, "move")
    _place_run(place, move.cue, lengths)
    place.now = end - events_length_ms(move.go, lengths)
    _place_run(place, move.go, lengths)
    place.now = end


def _place_relax(place: _Placement, relax: Relax, end: int, lengths: SpeechLengths) -> None:
    """A relax from `place.now` to `end`: its chime and release from the start, then quiet."""
    place.span(place.now, end, "relax")
    _place_run(place, relax.release, lengths)
    place.now = end


def _place_hold_words(
    place: _Placement, words: tuple[HoldWord, ...], end: int, lengths: SpeechLengths
) -> None:
    """Words inside a hold that starts at `place.now` and ends at `end`: each at its planned
    offset, moved earlier if it would run past the end or later if it would overlap the word
    before; a word that cannot fit at all is left out rather than lengthen the hold."""
    earliest = place.now
    for word in words:
        word_ms = lengths.speech_ms(word.text)
        start = min(max(place.now + word.at_ms, earliest), end - word_ms)
        if start < earliest:
            continue
        place.say(start, start + word_ms, word.text)
        earliest = start + word_ms
