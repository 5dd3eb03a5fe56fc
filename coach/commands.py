"""What each command does, below the command line: one function a command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.fit import full_session, shortest_session
from coach.routine import Routine, builtin_names, load_routine
from coach.session import Session, build_session
from coach.timeline import Timeline, format_clock

if TYPE_CHECKING:
    from coach.sounds import SessionSounds
    from coach.types import AudioOutput


Progress = Callable[[int, int], None]


def open_voice(voice: str | None, rate: int | None) -> SessionSounds:
    """The speech the commands plan and play with."""
    from coach.sounds import open_sounds

    return open_sounds(voice, rate)


def list_routines(progress: Progress | None = None) -> list[str]:
    """One line per built-in routine: name, title, full and shortest length."""
    lengths = open_voice(None, None)
    rows = []
    for name in builtin_names():
        routine = load_routine(name)
        lengths.prepare(full_session_phrases(routine, False), progress)
        full = full_session(routine, False, lengths)
        shortest = shortest_session(routine, False, lengths)
        rows.append(
            (
                name,
                routine.title,
                f"{len(routine.exercises)} exercises",
                f"full {format_clock(full.length_ms)}",
                f"shortest {format_clock(shortest.length_ms, round_up=True)}",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[4]
        for row in rows
    ]


def prepared_session(
    routine_name: str | None,
    sounds: SessionSounds,
    *,
    minutes: float | None,
    brief: bool,
    progress: Progress | None,
) -> Session:
    """Load the routine, synthesize its full script's phrases (with progress), then fit."""
    routine = load_routine(routine_name)
    sounds.prepare(full_session_phrases(routine, brief), progress)
    return build_session(None, routine=routine, lengths=sounds, minutes=minutes, brief=brief)


def full_session_phrases(routine: Routine, brief: bool) -> list[str]:
    """Every phrase of the full session, to synthesize ahead of fitting."""
    from coach.compiler import CompileOptions, compile_routine

    return compile_routine(routine, CompileOptions(brief=brief)).phrases()


def voice_lines() -> list[str]:
    """The voices of the speech engine, English first: id, then name."""
    from coach.speech import DEFAULT_VOICE, open_engine

    voices = open_engine().voices()
    english = [v for v in voices if v.is_english]
    others = [v for v in voices if not v.is_english]
    width = max(len(v.id) for v in voices)
    lines = []
    for voice in english + others:
        mark = "  (default)" if voice.id == DEFAULT_VOICE else ""
        lines.append(f"{voice.id.ljust(width)}  {voice.name}{mark}")
    return lines


def render_to_file(
    routine_name: str | None,
    out: Path,
    *,
    minutes: float | None,
    brief: bool,
    voice: str | None,
    rate: int | None,
    progress: Progress | None,
    encode_progress: Progress | None,
) -> str:
    """Render the session to `out`; return the one-line summary."""
    from coach.atomic import check_writable
    from coach.render import output_format, render_session

    # Both before any synthesis, so a bad path fails at once; the place first, so a
    # folder given as the output is named as a folder rather than as a bad file name.
    check_writable(out)
    output_format(out)
    sounds = open_voice(voice, rate)
    session = prepared_session(
        routine_name, sounds, minutes=minutes, brief=brief, progress=progress
    )
    sounds.prepare_audio(session.timeline, progress)
    rendered = render_session(session, sounds, out, encode_progress)
    size = rendered.size_bytes
    size_text = f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"
    chapters = f", {rendered.chapters} chapters" if rendered.chapters else ""
    return (
        f"Wrote {out}: {format_clock(rendered.length_ms)}, {size_text}{chapters} "
        f"({describe_fit(session)})."
    )


KEY_HELP = "Keys: space pause/resume, n next exercise, p restart exercise, q quit."


def play_live(
    routine_name: str | None,
    *,
    minutes: float | None,
    brief: bool,
    voice: str | None,
    rate: int | None,
    backend: str | None,
    confirmed: bool,
    progress: Progress | None,
    confirm: Callable[[], bool],
    say: Callable[[str], None],
) -> str:
    """Play the session live; return the closing line.

    The audio device is opened first (no device fails at once, suggesting a render), then
    the speech is prepared, then the user confirms they are parked (unless `confirmed`).
    """
    import sys

    from coach.audio import open_output
    from coach.errors import CoachError
    from coach.player import SESSION_COMPLETE, NoKeys, Player
    from coach.terminal import StatusLine, TerminalKeys

    interactive = sys.stdin.isatty()
    if not confirmed and not interactive:
        raise CoachError(
            "coach play needs you to confirm that you are parked with the engine off. Run it "
            "in a terminal and press Enter when ready, or pass --yes."
        )
    output = open_output(backend)
    try:
        sounds = open_voice(voice, rate)
        session = prepared_session(
            routine_name, sounds, minutes=minutes, brief=brief, progress=progress
        )
        sounds.prepare_audio(session.timeline, progress)
        say(
            f"{session.routine.title}: {format_clock(session.timeline.total_ms)} "
            f"({describe_fit(session)})."
        )
        if not confirmed and not confirm():
            return "Not started."
        _warm_up(output)
        status = StatusLine()
        if interactive:
            say(KEY_HELP)
            with TerminalKeys() as keys:
                try:
                    report = Player(
                        session.timeline, sounds.audio, output, keys=keys, show=status
                    ).run()
                finally:
                    status.close()
        else:
            report = Player(session.timeline, sounds.audio, output, keys=NoKeys()).run()
    finally:
        output.close()
    return SESSION_COMPLETE if report.finished else "Stopped."


WARM_UP_MS = 200


def _warm_up(output: AudioOutput) -> None:
    """Play a moment of silence before the session, so the sound system has opened its
    stream before the first clip is due (the first stream on PulseAudio started 80 ms late)."""
    import time

    import numpy as np

    from coach.pcm import SAMPLE_RATE, ms_to_samples

    clip = output.play(np.zeros(ms_to_samples(WARM_UP_MS), dtype=np.int16), SAMPLE_RATE)
    deadline = time.monotonic() + 2.0
    while clip.is_playing() and time.monotonic() < deadline:
        time.sleep(0.01)


def describe_fit(session: Session) -> str:
    """ "Full session" or what the fitter changed, for the summary line."""
    if session.minutes is None:
        return "full session"
    if not session.fitted.changes:
        return (
            f"full session: {session.minutes:g} minutes is not shorter than the full "
            f"{format_clock(session.fitted.length_ms)}, which is the longest version"
        )
    return f"fitted to {session.minutes:g} minutes: {session.fitted.summary()}"


def show_session(
    routine_name: str | None,
    *,
    minutes: float | None,
    brief: bool,
    as_json: bool,
    voice: str | None = None,
    rate: int | None = None,
    progress: Progress | None = None,
) -> str | dict[str, Any]:
    """The session as readable text, or as a JSON-ready dict (with measured speech lengths,
    so the times are the render's and live play's)."""
    sounds = open_voice(voice, rate)
    session = prepared_session(
        routine_name, sounds, minutes=minutes, brief=brief, progress=progress
    )
    if as_json:
        document = session.timeline.to_json()
        document["routine"] = session.routine.name
        document["brief"] = brief
        document["minutes"] = minutes
        document["changes"] = list(session.fitted.changes)
        return document
    return format_timeline(session.timeline, describe_fit(session))


def clock(ms: int) -> str:
    """mm:ss, for the time column of `coach show`."""
    return format_clock(ms, width=2)


def format_timeline(timeline: Timeline, fit_line: str) -> str:
    """A readable listing: chapters, then each clip with its start time."""
    chapter_starts = {chapter.start_ms: chapter for chapter in timeline.chapters}
    shown_chapters: set[str | None] = set()
    lines = [f"{timeline.title}: {format_clock(timeline.total_ms)} ({fit_line})", ""]
    hold_end = -1
    for clip in timeline.clips:
        chapter = chapter_starts.get(clip.start_ms)
        if chapter and chapter.title not in shown_chapters:
            shown_chapters.add(chapter.title)
            lines.append(f"{clock(clip.start_ms)}  == {chapter.title} ==")
        inside_hold = clip.start_ms < hold_end
        indent = "        " if inside_hold else "    "
        if clip.kind == "speech":
            lines.append(f'{clock(clip.start_ms)}{indent}"{clip.text}"')
        elif clip.kind == "chime":
            lines.append(f"{clock(clip.start_ms)}{indent}(chime: {clip.text})")
        elif clip.kind == "hold":
            what = "counted movement" if clip.counted else "hold"
            step = f", {clip.step}" if clip.step else ""
            lines.append(
                f"{clock(clip.start_ms)}{indent}[{what} {clip.length_ms / 1000:g} s{step}]"
            )
            hold_end = clip.end_ms
    lines.append(f"{clock(timeline.total_ms)}  end")
    return "\n".join(lines)
