"""Render: a session to an MP3 (with chapters and tags) or a WAV file.

`WRITERS` maps a file name's ending to the writer for that kind of file; a new format is one
writer plus one entry. The file is written to a temporary file in the target folder and
renamed into place (`coach.files`), so an interrupted render leaves any earlier file as it
was and no partial file behind. Audio is assembled and encoded a chunk at a time: memory
does not grow with the session's length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from coach.errors import CoachError
from coach.files import OutputPath, atomic_path
from coach.pcm import Samples
from coach.plan.session import Session
from coach.render import mp3, wav
from coach.sound.assembly import assemble_chunks, session_samples
from coach.sound.session_sounds import SessionSounds
from coach.time import format_clock, ms_to_samples, samples_to_ms

ARTIST = "coach"

EncodeProgress = Callable[[int, int], None]
"""Called with (samples done, samples in all) while encoding."""


@dataclass(frozen=True)
class Writer:
    """One kind of output file: how its samples are written, and whether it has chapters."""

    write: Callable[[Path, Iterable[Samples], int, EncodeProgress | None], None]
    """(path, chunks, total samples, progress): write the samples to the file at path."""
    tagged: bool
    """True when the file gets ID3 tags and one chapter per exercise."""
    max_samples: int
    """The longest audio the format can hold (its size fields are 32 bits)."""


WRITERS: dict[str, Writer] = {
    ".mp3": Writer(mp3.write_mp3, tagged=True, max_samples=mp3.MAX_SAMPLES),
    ".wav": Writer(wav.write_wav, tagged=False, max_samples=wav.MAX_SAMPLES),
}
"""File name ending (lower case) -> its writer."""


@dataclass(frozen=True)
class Rendered:
    """What a render wrote."""

    path: Path
    length_ms: int
    size_bytes: int
    chapters: int


def output_format(path: Path) -> str:
    """The file name's ending that picks its writer (".mp3", ".wav"); CoachError for others."""
    suffix = path.suffix.lower()
    if suffix not in WRITERS:
        raise CoachError(
            f"Can't tell what kind of file to write from the name {path.name!r}. "
            "Give a name ending in .mp3 (for a phone) or .wav."
        )
    return suffix


def check_length(path: Path, length_ms: int, *, at_least: bool = False) -> None:
    """CoachError if a session of `length_ms` is too long for the kind of file `path`
    names; `at_least` when the length is only a lower bound (known before any speech)."""
    suffix = output_format(path)
    most = WRITERS[suffix].max_samples
    if ms_to_samples(length_ms) <= most:
        return
    length = f"more than {format_clock(length_ms)}" if at_least else format_clock(length_ms)
    roomier = [
        f"{other} (up to {_longest(writer)})"
        for other, writer in WRITERS.items()
        if writer.max_samples > most
    ]
    instead = f"give a file name ending in {' or '.join(roomier)}, " if roomier else ""
    raise CoachError(
        f"This session is {length} long, but {suffix[1:].upper()} files hold at most "
        f"{_longest(WRITERS[suffix])}. To render it, {instead}ask for a shorter version "
        "with --minutes, or shorten the routine."
    )


def _longest(writer: Writer) -> str:
    """The longest session `writer`'s files can hold, as a clock time."""
    return format_clock(samples_to_ms(writer.max_samples) - 1)


def track_title(session: Session) -> str:
    """The title tag: routine, version and length, e.g. "Rest-stop stretch, 5-minute
    version (4:59)"."""
    parts = [session.routine.title]
    if session.fitted.changes and session.minutes is not None:
        parts.append(f"{session.minutes:g}-minute version")
    if session.fitted.options.brief:
        parts.append("brief")
    return ", ".join(parts) + f" ({format_clock(session.timeline.total_ms)})"


def render_session(
    session: Session,
    sounds: SessionSounds,
    output: OutputPath,
    progress: EncodeProgress | None = None,
) -> Rendered:
    """Write the session's audio to `output` (.mp3 with chapters and tags, or .wav).

    The speech must already be prepared in `sounds` (it gave the timeline its lengths), and
    `output` checked with `coach.files.check_writable`. Raises CoachError for a name without
    .mp3/.wav, a session longer than the format holds (`check_length`) or a full disk.
    """
    writer = WRITERS[output_format(output.path)]
    check_length(output.path, session.timeline.total_ms)
    total = session_samples(session.timeline)
    chunks = assemble_chunks(session.timeline, sounds.audio)
    with atomic_path(output) as temporary:
        writer.write(temporary, chunks, total, progress)
        if writer.tagged:
            _tag(temporary, session)
    chapters = len(session.timeline.chapters) if writer.tagged else 0
    path = output.path
    return Rendered(path, session.timeline.total_ms, path.stat().st_size, chapters)


def _tag(path: Path, session: Session) -> None:
    from coach.render.tags import Chapter, write_tags

    write_tags(
        path,
        title=track_title(session),
        artist=ARTIST,
        album=session.routine.title,
        track=1,
        chapters=[
            Chapter(chapter.title, chapter.start_ms, chapter.end_ms)
            for chapter in session.timeline.chapters
        ],
    )
