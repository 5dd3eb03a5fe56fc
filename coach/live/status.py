"""What the status line shows during live play, worked out from the timeline alone.

The session's sections are its chapters, named as in the MP3 (the opening, one per exercise,
the closing). A timeline whose closing words have no chapter of their own gets a closing
section anyway, inside the last exercise's chapter, so that `n` there still goes to them.
`SessionMap` finds the sections once; `format_status` fits a status into a terminal's width.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace

from coach.live.types import ControlEvent, Status
from coach.plan.timeline import ChimeClip, Timeline
from coach.time import format_clock, seconds_left
from coach.width import cut_to_width, display_width

SESSION_COMPLETE = "Session complete. Well done."
END_CUE = "session-end"
"""The chime that ends every session; the closing words come just before it."""


@dataclass(frozen=True)
class Section:
    """A place `n` and `p` go to: a chapter's start, or the closing's."""

    title: str
    """The chapter's title, as in the MP3."""
    start_ms: int
    exercise: int | None
    """The exercise's number in the session (from 1), or None for the opening and closing."""
    closing: bool = False
    """The closing words and final chime: a chapter after the exercises, or (exercise set)
    the end of the last exercise's chapter."""


class SessionMap:
    """The sections of a session's timeline, and the status at any point in it.

    `closing_lines` is how many spoken lines the closing has (the routine's `closing`): they
    are the last speech before the final chime. The closing is a section of its own, so that
    `n` in the last exercise goes to it rather than past it.
    """

    def __init__(self, timeline: Timeline, closing_lines: int = 0) -> None:
        self.timeline = timeline
        self.exercises = sum(1 for c in timeline.chapters if c.exercise_id is not None)
        sections = []
        number = 0
        for chapter in timeline.chapters:
            if chapter.exercise_id is not None:
                number += 1
                sections.append(Section(chapter.title, chapter.start_ms, number))
            else:  # the opening, or after the exercises the closing
                sections.append(Section(chapter.title, chapter.start_ms, None, number > 0))
        closing = _closing_start(timeline, closing_lines)
        if (
            sections
            and not sections[-1].closing
            and closing is not None
            and closing > sections[-1].start_ms
        ):
            sections.append(replace(sections[-1], start_ms=closing, closing=True))
        self.sections = tuple(sections)
        self._starts = [section.start_ms for section in self.sections]

    def section_index(self, position_ms: int) -> int:
        """Index of the section that `position_ms` falls in (0 before the first starts)."""
        return max(bisect.bisect_right(self._starts, position_ms) - 1, 0)

    def status_at(self, position_ms: int, *, paused: bool = False, heard: str = "") -> Status:
        """The status line's content at `position_ms` into the session."""
        section = (
            self.sections[self.section_index(position_ms)]
            if self.sections
            else Section(self.timeline.title, 0, None)
        )
        step = ""
        hold_left: int | None = None
        for clip in self.timeline.clips:
            if clip.start_ms > position_ms:
                break
            step = clip.step
            if clip.kind == "hold" and position_ms < clip.end_ms:
                hold_left = clip.end_ms - position_ms
        if section.closing:
            step, hold_left = ("closing" if section.exercise else ""), None
        elif section.exercise is None:
            step = ""
        return Status(
            chapter=section.title,
            exercise=section.exercise,
            exercises=self.exercises,
            step=step,
            hold_left_ms=hold_left,
            session_left_ms=max(0, self.timeline.total_ms - position_ms),
            paused=paused,
            heard=heard,
        )


def _closing_start(timeline: Timeline, closing_lines: int) -> int | None:
    """Where the closing starts: `closing_lines` speech clips before the final chime."""
    audible = timeline.audible_clips()
    ends = [
        i for i, clip in enumerate(audible) if isinstance(clip, ChimeClip) and clip.cue == END_CUE
    ]
    if not ends:
        return None
    index = ends[-1]
    for _ in range(closing_lines):
        if index == 0 or audible[index - 1].kind != "speech":
            break
        index -= 1
    return audible[index].start_ms


PAUSED_LONG = "PAUSED: space to go on, q to quit"
PAUSED_SHORT = "PAUSED: space to go on"
PAUSED_WORD = "PAUSED"
ELLIPSIS = "\u2026"
SHORTEST_TITLE = 12
"""A chapter title is cut to fit, but not below this many columns."""


def format_status(status: Status, width: int | None = None) -> str:
    """The status as one line of at most `width` columns (None: no limit; a CJK character
    takes two, see `coach.width`), e.g.
    "Overhead stretch  |  exercise 2 of 5  |  2 of 4  |  hold 12 s  |  6:40 left".

    A voice command just heard comes first ("heard: coach pause  |  ...").

    To fit, it gives up first what matters least mid-stretch: the wide separators, the time
    left in the session, the exercise's number, the rep, what was heard and the longer pause
    hint; then it shortens the chapter's title, and only then cuts the line. The hold's
    countdown and "PAUSED" stay longest.
    """
    parts = {
        "heard": f"heard: {status.heard}" if status.heard else "",
        "paused": PAUSED_LONG if status.paused else "",
        "title": status.chapter,
        "where": f"exercise {status.exercise} of {status.exercises}" if status.exercise else "",
        "step": status.step,
        "hold": (
            f"hold {seconds_left(status.hold_left_ms)} s" if status.hold_left_ms is not None else ""
        ),
        "left": f"{format_clock(status.session_left_ms)} left",
    }
    separator = "  |  "

    def line() -> str:
        return separator.join(part for part in parts.values() if part)

    if width is None or display_width(line()) <= width:
        return line()
    separator = " | "
    steps: list[tuple[str, str | int]] = [
        ("left", ""),
        ("where", ""),
        ("step", ""),
        ("heard", ""),
        ("paused", PAUSED_SHORT if status.paused else ""),
        ("title", SHORTEST_TITLE),
        ("paused", PAUSED_WORD if status.paused else ""),
        ("title", SHORTEST_TITLE),
        ("title", 4),
    ]
    for name, shorter in steps:
        text = line()
        if display_width(text) <= width:
            return text
        if isinstance(shorter, int):  # cut the title, but to no fewer than this
            title = parts["title"]
            room = width - (display_width(text) - display_width(title))
            if shorter <= room < display_width(title):
                parts["title"] = cut_to_width(title, room - 1).rstrip() + ELLIPSIS
        else:
            parts[name] = shorter
    return cut_to_width(line(), max(width, 0)).rstrip()


def format_event(event: ControlEvent) -> str:
    """One line for the log of a session played off a terminal.

    >>> format_event(ControlEvent(42_000, "pause", "voice", "coach pause"))
    '0:42  pause  (voice: "coach pause")'
    >>> format_event(ControlEvent(75_500, "next", "key", "n"))
    '1:15  next  (key: n)'
    """
    detail = f'"{event.detail}"' if event.origin == "voice" else event.detail
    return f"{format_clock(event.at_ms)}  {event.what}  ({event.origin}: {detail})"
