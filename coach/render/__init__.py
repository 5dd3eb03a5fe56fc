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
from coach.render.mp3 import write_mp3
from coach.render.wav import write_wav
from coach.sound.assembly import assemble_chunks, session_samples
from coach.sound.session_sounds import SessionSounds
from coach.time import format_length

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


WRITERS: dict[str, Writer] = {
    ".mp3": Writer(write_mp3, tagged=True),
    ".wav": Writer(write_wav, tagged=False),
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


def track_title(session: Session) -> str:
    """The title tag: routine, version and length, e.g. "Rest-stop stretch, 5-minute
    version (4:59)"."""
    parts = [session.routine.title]
    if session.fitted.changes and session.minutes is not None:
        parts.append(f"{session.minutes:g}-minute version")
    if session.fitted.options.brief:
        parts.append("brief")
    return ", ".join(parts) + f" ({format_length(session.timeline.total_ms)})"


def render_session(
    session: Session,
    sounds: SessionSounds,
    output: OutputPath,
    progress: EncodeProgress | None = None,
) -> Rendered:
    """Write the session's audio to `output` (.mp3 with chapters and tags, or .wav).

    The speech must already be prepared in `sounds` (it gave the timeline its lengths), and
    `output` checked with `coach.files.check_writable`. Raises CoachError for a name without
    .mp3/.wav or a full disk.
    """
    writer = WRITERS[output_format(output.path)]
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
