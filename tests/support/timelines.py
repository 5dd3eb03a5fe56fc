"""Timelines changed for a test: the same session, shaped another way."""

from __future__ import annotations

from dataclasses import replace

from coach.plan.timeline import ChimeClip, Clip, SpeechClip, Timeline


def without_closing_chapter(timeline: Timeline) -> Timeline:
    """The same session as though its closing words had no chapter of their own (they are
    then the end of the last exercise's chapter)."""
    *chapters, last = timeline.chapters
    assert last.exercise_id is None, "the last chapter is not the closing"
    chapters[-1] = replace(chapters[-1], end_ms=last.end_ms)
    return replace(timeline, chapters=tuple(chapters))


def text_of(clip: Clip) -> str | None:
    """The words of a speech clip; None for any other clip."""
    return clip.text if isinstance(clip, SpeechClip) else None


def cue_of(clip: Clip) -> str | None:
    """The name of a chime clip; None for any other clip."""
    return clip.cue if isinstance(clip, ChimeClip) else None


def sound_of(clip: Clip) -> str | None:
    """What a clip sounds like, in a word: the words said, or the chime's name."""
    return text_of(clip) or cue_of(clip)
