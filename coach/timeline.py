"""The Timeline: every clip of a session at an absolute start, in integer milliseconds.

Built from a Script and the lengths of its phrases and chimes. It is the single truth about
when things happen: the renderer, the live player and `coach show` all read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from coach.script import Chapter, Cue, Event, Hold, Rest, Say, Script, Step
from coach.types import SpeechLengths

ClipKind = Literal["speech", "chime", "hold", "rest"]


@dataclass(frozen=True)
class Clip:
    """One thing in the session: a phrase, a chime, or a stretch of silence (hold, rest).

    Speech said inside a hold is a separate "speech" clip lying within the hold clip.
    """

    start_ms: int
    end_ms: int
    kind: ClipKind
    text: str | None = None
    """The words, for speech; the chime's name, for chimes."""
    exercise_id: str | None = None
    exercise: str | None = None
    step: str = ""
    counted: bool = False
    """For holds: a counted movement rather than a still hold."""

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def audible(self) -> bool:
        """True for clips that make sound (speech and chimes)."""
        return self.kind in ("speech", "chime")


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

    def audible_clips(self) -> list[Clip]:
        """The clips that make sound, in order of start time."""
        return [clip for clip in self.clips if clip.audible]

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
                    "text": clip.text if clip.kind == "speech" else None,
                    "cue": clip.text if clip.kind == "chime" else None,
                    "exercise": clip.exercise_id,
                    "step": clip.step or None,
                }
                for clip in self.clips
            ],
        }


def session_length_ms(script: Script, lengths: SpeechLengths) -> int:
    """Total length of the session the script describes (cheaper than building it)."""
    return events_length_ms(script.events, lengths)


def events_length_ms(events: Iterable[Event], lengths: SpeechLengths) -> int:
    """Total length of a run of events, as build_timeline would place them."""
    total = 0
    for event in events:
        match event:
            case Say(text=text):
                total += lengths.speech_ms(text)
            case Hold(ms=ms) | Rest(ms=ms):
                total += ms
            case Cue(name=name):
                total += lengths.cue_ms(name)
    return total


def build_timeline(script: Script, lengths: SpeechLengths) -> Timeline:
    """Place every event of `script` at an absolute time, using measured `lengths`.

    Holds and rests are exact. Words inside a hold start at their planned offset, moved
    earlier if they would run past the hold's end or later if they would overlap the word
    before; a word that cannot fit at all is left out rather than lengthen the hold.
    """
    clips: list[Clip] = []
    chapters: list[tuple[str, str | None, int]] = []
    now = 0
    exercise_id: str | None = None
    exercise: str | None = None
    step = ""

    def add(
        start: int, end: int, kind: ClipKind, text: str | None = None, counted: bool = False
    ) -> None:
        clips.append(Clip(start, end, kind, text, exercise_id, exercise, step, counted))

    for event in script.events:
        match event:
            case Chapter(title=title, exercise_id=chapter_id):
                chapters.append((title, chapter_id, now))
                exercise_id = chapter_id
                exercise = title if chapter_id else None
                step = ""
            case Step(label=label):
                step = label
            case Say(text=text):
                end = now + lengths.speech_ms(text)
                add(now, end, "speech", text)
                now = end
            case Cue(name=name):
                end = now + lengths.cue_ms(name)
                add(now, end, "chime", name)
                now = end
            case Rest(ms=ms):
                if ms:
                    add(now, now + ms, "rest")
                now += ms
            case Hold(ms=ms, words=words, counted=counted):
                end = now + ms
                add(now, end, "hold", counted=counted)
                earliest = now
                for word in words:
                    word_ms = lengths.speech_ms(word.text)
                    start = min(max(now + word.at_ms, earliest), end - word_ms)
                    if start < earliest:
                        continue
                    add(start, start + word_ms, "speech", word.text)
                    earliest = start + word_ms
                now = end
    spans = tuple(
        ChapterSpan(
            title, chapter_id, start, chapters[index + 1][2] if index + 1 < len(chapters) else now
        )
        for index, (title, chapter_id, start) in enumerate(chapters)
    )
    return Timeline(script.title, tuple(clips), spans, now)


def format_clock(ms: int, *, round_up: bool = False, width: int = 1) -> str:
    """Milliseconds as m:ss, e.g. 125_400 -> "2:05": rounded down to the second, or up with
    `round_up` (for a minimum that must be met); minutes zero-padded to `width` digits."""
    seconds = -(-ms // 1000) if round_up else ms // 1000
    return f"{seconds // 60:0{width}d}:{seconds % 60:02d}"
