"""Timelines changed for a test: the same session, shaped another way."""

from __future__ import annotations

from dataclasses import replace

from coach.plan.timeline import Timeline


def without_closing_chapter(timeline: Timeline) -> Timeline:
    """The same session as though its closing words had no chapter of their own (they are
    then the end of the last exercise's chapter)."""
    *chapters, last = timeline.chapters
    assert last.exercise_id is None, "the last chapter is not the closing"
    chapters[-1] = replace(chapters[-1], end_ms=last.end_ms)
    return replace(timeline, chapters=tuple(chapters))
