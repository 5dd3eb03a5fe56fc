"""Writing a session to one file: `WRITERS` maps a file name's ending to the writer for
that kind of file (a new format is one writer plus one entry); the file is an MP3 with
chapters, tags and the session's mark, or a WAV. Audio is assembled and encoded a chunk at
a time, so memory does not grow with the session's length, and a file is written to a
temporary file beside it and renamed into place (`coach.files`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import CoachError
from coach.files import OutputPath, atomic_path
from coach.pcm import Samples
from coach.plan.session import Session
from coach.plan.timeline import ChimeClip
from coach.progress import Progress
from coach.render import mp3, wav
from coach.render.naming import track_title, version_name
from coach.sound.assembly import assemble_chunks, session_samples
from coach.sound.session_sounds import SessionSounds
from coach.time import format_clock, format_length, ms_to_samples, samples_to_ms

if TYPE_CHECKING:
    from coach.render.tags import Chapter, SessionMark

ARTIST = "coach"


@dataclass(frozen=True)
class Writer:
    """One kind of output file: how its samples are written, and whether it has chapters."""

    write: Callable[[Path, Iterable[Samples], int, Progress | None], None]
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


def check_length(path: Path, length_ms: int, *, at_least: bool = False) -> Writer:
    """The writer for the kind of file `path` names, if a session of `length_ms` fits in
    it; else CoachError. `at_least` when the length is only a lower bound (known before any
    speech)."""
    suffix = output_format(path)
    most = WRITERS[suffix].max_samples
    if ms_to_samples(length_ms) <= most:
        return WRITERS[suffix]
    length = f"more than {format_length(length_ms)}" if at_least else format_length(length_ms)
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


def render_session(
    session: Session,
    sounds: SessionSounds,
    output: OutputPath,
    progress: Progress | None = None,
    *,
    writer: Writer | None = None,
) -> Rendered:
    """Write the session's audio to `output` (.mp3 with chapters and tags, or .wav).

    The speech must already be prepared in `sounds` (it gave the timeline its lengths), and
    `output` checked with `coach.files.check_writable`. Raises CoachError for a name without
    .mp3/.wav, a session longer than the format holds (`check_length`, unless its `writer`
    is given, which says it was checked) or a full disk.
    """
    writer = writer or check_length(output.path, session.timeline.total_ms)
    with atomic_path(output) as temporary:
        chapters = write_session(session, sounds, temporary, writer, progress)
    path = output.path
    return Rendered(path, session.timeline.total_ms, path.stat().st_size, chapters)


def write_session(
    session: Session,
    sounds: SessionSounds,
    path: Path,
    writer: Writer,
    progress: Progress | None = None,
) -> int:
    """Write the session's audio into the file at `path` with `writer` (the one
    `check_length` gave), tagged; the number of chapters it has (0 for a WAV)."""
    total = session_samples(session.timeline)
    chunks = assemble_chunks(session.timeline, sounds.audio)
    writer.write(path, chunks, total, progress)
    if not writer.tagged:
        return 0
    _tag(path, session, session_mark(session, sounds))
    return len(session.timeline.chapters)


def session_mark(session: Session, sounds: SessionSounds) -> SessionMark:
    """The mark the session's files carry: its version, and its identity, a digest of
    everything that shapes its sound (the timeline, the voice and its mastering, the
    chimes' samples, the MP3 settings). No date goes in, so a render of the same session is
    the same file, and any change to the session gives another identity."""
    import hashlib
    import json

    from coach.render.tags import SessionMark

    timeline = session.timeline
    cues = sorted({clip.cue for clip in timeline.clips if isinstance(clip, ChimeClip)})
    chimes = {cue: hashlib.sha256(sounds.chime(cue).tobytes()).hexdigest() for cue in cues}
    encoding = [mp3.DEFAULT_BITRATE_KBPS, mp3.DEFAULT_QUALITY]
    payload = [timeline.to_json(), sounds.identity(), chimes, encoding]
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()
    return SessionMark(digest, version_name(session))


def _tag(path: Path, session: Session, mark: SessionMark) -> None:
    """The tags of a session's single file: its title, album, chapters and mark."""
    from coach.render.tags import Chapter

    write_file_tags(
        path,
        title=track_title(session),
        album=session.routine.title,
        track="1",
        chapters=[
            Chapter(chapter.title, chapter.start_ms, chapter.end_ms)
            for chapter in session.timeline.chapters
        ],
        mark=mark,
    )


def write_file_tags(
    path: Path,
    *,
    title: str,
    album: str,
    track: str,
    chapters: list[Chapter],
    mark: SessionMark,
) -> None:
    from coach.render.tags import write_tags

    write_tags(
        path, title=title, artist=ARTIST, album=album, track=track, chapters=chapters, mark=mark
    )
