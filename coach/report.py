"""What the commands print: timelines, a routine's check, the lists of routines and voices,
the cache's report and the summaries of what was written or served. Text only: what to
print is decided here, from values the other modules computed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.plan.routine import Exercise, Routine
from coach.plan.session import Session
from coach.plan.timeline import ChimeClip, SpanClip, SpeechClip, Timeline
from coach.time import format_clock, format_length, minutes_text, seconds_text
from coach.width import display_width, pad

if TYPE_CHECKING:
    from coach.preparation import Pack, RoutineLengths
    from coach.serve.catalog import Snapshot
    from coach.speech.types import SpeechEngine, Voice


def size_text(size: int) -> str:
    """A file's size for people: "2.7 MB", "480 kB"."""
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


# --- coach show -----------------------------------------------------------------------------


def timeline_text(timeline: Timeline, fit_line: str) -> str:
    """A readable listing: chapters, then each clip with its start time."""

    long_session = timeline.total_ms >= 3_600_000  # every line in h:mm:ss, so they line up

    def clock(ms: int) -> str:
        return format_clock(ms, hours=True) if long_session else format_clock(ms, width=2)

    chapter_starts = {chapter.start_ms: chapter for chapter in timeline.chapters}
    shown_chapters: set[str | None] = set()
    lines = [f"{timeline.title}: {format_length(timeline.total_ms)} ({fit_line})", ""]
    span_end = -1
    for clip in timeline.clips:
        chapter = chapter_starts.get(clip.start_ms)
        if chapter and chapter.title not in shown_chapters:
            shown_chapters.add(chapter.title)
            lines.append(f"{clock(clip.start_ms)}  == {chapter.title} ==")
        indent = "        " if clip.start_ms < span_end else "    "
        if isinstance(clip, SpeechClip):
            lines.append(f'{clock(clip.start_ms)}{indent}"{clip.text}"')
        elif isinstance(clip, ChimeClip):
            lines.append(f"{clock(clip.start_ms)}{indent}(chime: {clip.cue})")
        elif clip.kind != "rest":
            lines.append(f"{clock(clip.start_ms)}{indent}[{_span_text(clip)}]")
            span_end = clip.end_ms
    lines.append(f"{clock(timeline.total_ms)}  end")
    return "\n".join(lines)


def _span_text(clip: SpanClip) -> str:
    """ "hold 20 s, 2 of 4", "counted movement 9 s, 1 of 4", "move 5.5 s", "relax 2.2 s"."""
    if clip.kind == "hold":
        what = "counted movement" if clip.counted else "hold"
        step = f", {clip.step}" if clip.step else ""
        return f"{what} {seconds_text(clip.length_ms)}{step}"
    return f"{clip.kind} {seconds_text(clip.length_ms, 1)}"  # one grown to fit its words


def session_document(
    session: Session, engine: SpeechEngine, voice: str, *, brief: bool, minutes: float | None
) -> dict[str, Any]:
    """The session as a JSON-ready dict for `coach show --json`."""
    document = session.timeline.to_json()
    document["routine"] = session.routine.name
    document["voice"] = {"engine": engine.name, "id": voice}
    document["brief"] = brief
    document["minutes"] = minutes
    document["changes"] = list(session.fitted.changes)
    return document


# --- coach check and coach list -------------------------------------------------------------


def check_text(name_or_path: str, routine: Routine, lengths: RoutineLengths) -> list[str]:
    """`coach check`'s report: the routine's lengths (full, brief and shortest, measured
    with the voice), a line for each chapter of the full session, and notes on relaxes that
    grow and titles too long for a file name."""
    from coach.time import minutes_at_least

    full, brief, shortest = lengths.full, lengths.brief, lengths.shortest
    if brief is None:
        raise ValueError("a check measures the brief session too")
    least = minutes_at_least(shortest.length_ms)
    count = len(routine.exercises)
    lines = [
        (
            f'{name_or_path}: a valid routine, "{routine.title}", with {count} '
            f"exercise{'s' if count != 1 else ''}."
        ),
        (
            f"Full session {format_length(full.timeline.total_ms)}, brief "
            f"{format_length(brief.timeline.total_ms)}, shortest version "
            f"{format_length(shortest.length_ms)} (--minutes {least:g} or more)."
        ),
        "",
    ]
    width = max(display_width(chapter.title) for chapter in full.timeline.chapters)
    for chapter in full.timeline.chapters:
        detail = ""
        if chapter.exercise_id is not None:
            detail = _exercise_summary(routine.exercise(chapter.exercise_id))
        length = format_clock(chapter.end_ms - chapter.start_ms)  # as the time column
        lines.append(
            f"  {format_clock(chapter.start_ms, width=2)}  {pad(chapter.title, width)}  "
            f"{length:>5}  {detail}".rstrip()
        )
    notes = grown_relax_notes(routine, full.timeline)
    if notes:
        lines.append("")
        lines.extend(notes)
    return lines + _long_titles(full)


def _long_titles(session: Session) -> list[str]:
    """A warning for each title too long for a file name, with the name it gets."""
    from coach.render import shortened_names

    shortened = dict(shortened_names(session))
    if not shortened:
        return []
    return [
        "",
        "Warning: too long for a file name, so shortened where a file is named after it:",
    ] + [f"  {title!r} as {name!r}" for title, name in shortened.items()]


def grown_relax_notes(routine: Routine, timeline: Timeline) -> list[str]:
    """A line for each exercise whose relax had to grow to fit its words (the release, and
    the quiet a rest keeps): a relax is meant to be exactly as long as the file says."""
    from coach.plan.compiler import REST_FROM_MS, REST_QUIET_MS

    notes = []
    for exercise in routine.exercises:
        longest = max(
            (
                clip.length_ms
                for clip in timeline.clips
                if isinstance(clip, SpanClip)
                and clip.kind == "relax"
                and clip.exercise_id == exercise.id
            ),
            default=0,
        )
        if exercise.relax_ms and longest > exercise.relax_ms:
            words = (
                f"the chime, the release and {seconds_text(REST_QUIET_MS)} of quiet"
                if exercise.relax_ms >= REST_FROM_MS
                else "the chime and the release"
            )
            notes.append(
                f"Note: in {exercise.title}, {words} need more than "
                f"its relax of {seconds_text(exercise.relax_ms)}, so the relax grows to "
                f"{seconds_text(longest, 1)}. Shorten the release, or give a longer relax."
            )
    return notes


def _exercise_summary(exercise: Exercise) -> str:
    """ "3 reps a side, move 3.5 s, hold 4 s, relax 1 s" or "4 sets of 3 counted over 12 s,
    move 2 s"."""
    sides = " a side" if exercise.sides else ""
    if exercise.count:
        what = f"{exercise.reps} set{'s' if exercise.reps != 1 else ''}{sides} of "
        what += f"{exercise.count} counted over {seconds_text(exercise.hold_ms)}"
        what += f", move {seconds_text(exercise.move_ms)}"
    else:
        what = f"{exercise.reps} rep{'s' if exercise.reps != 1 else ''}{sides}"
        what += f", move {seconds_text(exercise.move_ms)}"
        if exercise.hold_ms:
            what += f", hold {seconds_text(exercise.hold_ms)}"
    if exercise.relax_ms:
        what += f", relax {seconds_text(exercise.relax_ms)}"
    return what


def routine_row(name: str, routine: Routine, lengths: RoutineLengths) -> tuple[str, ...]:
    """One built-in routine's cells in `coach list`."""
    return (
        name,
        routine.title,
        f"{len(routine.exercises)} exercises",
        f"full {format_length(lengths.full.timeline.total_ms)}",
        f"shortest {format_length(lengths.shortest.length_ms)}",
    )


def table_lines(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as lines of columns, padded to the widest cell of each (the last as it is)."""
    widths = [max(display_width(row[column]) for row in rows) for column in range(4)]
    return [
        "  ".join(pad(cell, width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in rows
    ]


# --- coach cache ----------------------------------------------------------------------------


def cache_text(directory: Path, count: int, size: int, *, variable: str) -> list[str]:
    """What the phrase cache holds, for `coach cache`."""
    return [
        f"Phrase cache: {directory}",
        f"{count} phrases, {size_text(size)}.",
        f"Empty it with `coach cache clear`; set {variable} to keep it elsewhere.",
    ]


def cache_cleared_text(directory: Path, count: int, size: int) -> str:
    """What `coach cache clear` did."""
    return (
        f"Emptied the phrase cache in {directory}: {count} phrases, {size_text(size)} freed. "
        "They are made again as sessions need them."
    )


# --- coach voices ---------------------------------------------------------------------------

ESPEAK_LICENCE = "GPL-3.0-or-later"
"""eSpeak NG's licence (the library espeakng-loader ships)."""

PIPER_LICENCE = "GPL-3.0-or-later"
"""piper-tts's licence (the runtime of the natural voice)."""


def voices_text(
    natural: list[Voice] | None,
    natural_licence: str,
    espeak: list[Voice],
    default: tuple[str, str],
    *,
    install_hint: str,
) -> list[str]:
    """Every voice, by engine: the natural (Piper) voices first (`natural` None when not
    installed), then eSpeak's, English first; each with what `--voice` takes, its name, and
    the licences; the `default` (engine name, voice id) marked."""
    width = max(len(v.id) for v in espeak)

    def mark(engine: str, voice: Voice) -> str:
        return "  (default)" if default == (engine, voice.id) else ""

    lines = ["Natural voice (Piper, neural; runtime piper-tts, " + PIPER_LICENCE + "):"]
    if natural is None:
        lines.append(f"  not installed. {install_hint}")
    lines.extend(
        f"  {voice.id.ljust(width)}  {voice.name}; voice licence {natural_licence}"
        f"{mark('piper', voice)}"
        for voice in natural or []
    )
    lines.append("  Any downloaded Piper voice: --voice PATH.onnx (with its .onnx.json beside it).")
    english = [v for v in espeak if v.is_english]
    others = [v for v in espeak if not v.is_english and v.is_for_speech]
    last = [v for v in espeak if not v.is_for_speech]  # a test voice, another alphabet
    lines.append(f"eSpeak NG voices (robotic, always installed; {ESPEAK_LICENCE}), English first:")
    lines.extend(
        f"  {voice.id.ljust(width)}  {voice.name}{mark('espeak', voice)}"
        for voice in english + others + last
    )
    return lines


# --- coach render ---------------------------------------------------------------------------


def rendered_text(out: Path, length_ms: int, size_bytes: int, chapters: int, fit: str) -> str:
    """The line `coach render` ends with."""
    chaptered = f", {chapters} chapters" if chapters else ""
    return f"Wrote {out}: {format_length(length_ms)}, {size_text(size_bytes)}{chaptered} ({fit})."


def split_text(
    session: Session,
    tracks: int,
    playlist: str,
    folder: Path,
    *,
    removed: tuple[str, ...],
    kept: tuple[str, ...],
) -> str:
    """The line `coach render --split` ends with."""
    return (
        f"Wrote {tracks} tracks and the playlist {playlist} in {folder}: "
        f"{format_length(session.timeline.total_ms)} ({session.describe_fit()})."
        f"{_earlier_split(removed, kept)}"
    )


def _earlier_split(removed: tuple[str, ...], kept: tuple[str, ...]) -> str:
    """What became of an earlier split's files, for the summary ("" when there were none)."""
    notes = ""
    if removed:
        notes += f" Removed the earlier split's {_files(len(removed))}."
    if kept:
        notes += (
            f" Left the earlier split's {_files(len(kept))} that changed since the coach wrote "
            f"them: {', '.join(kept)}."
        )
    return notes


def _files(count: int) -> str:
    return f"{count} other file{'s' if count != 1 else ''}"


def pack_text(pack: Pack, folder: Path, names: list[str]) -> list[str]:
    """`coach render --pack`'s lines: one a file, and a note for each length asked for that
    is the full session."""
    full = pack.sessions[-1]
    lines = [
        f"Wrote {folder / name}: {format_length(session.timeline.total_ms)} "
        f"({session.describe_fit()})."
        for session, name in zip(pack.sessions, names, strict=True)
    ]
    lines += [
        f"{minutes_text(length).capitalize()} is not shorter than the full session "
        f"({format_length(full.timeline.total_ms)}): that length is {names[-1]}."
        for length in pack.in_full
    ]
    return lines


# --- coach serve ----------------------------------------------------------------------------


def serving_text(snapshot: Snapshot, folder: Path) -> str:
    """ "Serving 4 sessions from FOLDER: 3 minutes, 5 minutes, 7 minutes and full; and the 7
    tracks of 5 minutes." """
    wholes = [session.version for session in snapshot.sessions if not session.split]
    splits = [
        f"the {len(session.files)} tracks of {session.version}"
        for session in snapshot.sessions
        if session.split
    ]
    count = len(snapshot.sessions)
    parts = [_and_list(wholes)] if wholes else []
    parts += [_and_list(splits)] if splits else []
    return (
        f"Serving {count} session{'s' if count != 1 else ''} from {folder}: {'; and '.join(parts)}."
    )


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def left_out_text(count: int) -> str:
    files = "file" if count == 1 else "files"
    return (
        f"Left out {count} other MP3 {files} there: only sessions the coach rendered into "
        "this folder are served (no links to elsewhere, no copies)."
    )


def open_text(address: str, qr: str) -> list[str]:
    """The address, its QR code (where the terminal can show it), and the feed's address."""
    import sys

    try:
        qr.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        qr = "(A QR code of it would show here on a terminal that shows Unicode.)"
    return [
        "On your phone, on the same Wi-Fi, open this address (or scan the code):",
        "",
        f"    {address}",
        "",
        qr.rstrip("\n"),
        "",
        f"Podcast app (for offline play, with chapters): add {address}feed.xml",
    ]
