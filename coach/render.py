"""Render a session to an MP3 (with chapters and tags) or a WAV file.

The file is written to a temporary file in the target folder and renamed into place, so an
interrupted render leaves any earlier file as it was and no partial file behind. Audio is
assembled and encoded a chunk at a time: memory does not grow with the session's length.
"""

from __future__ import annotations

import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from coach.assemble import assemble_chunks, session_samples
from coach.errors import CoachError
from coach.pcm import SAMPLE_RATE, Samples
from coach.session import Session
from coach.sounds import SessionSounds
from coach.timeline import format_clock

FORMATS = (".mp3", ".wav")
ARTIST = "coach"

EncodeProgress = Callable[[int, int], None]
"""Called with (samples done, samples in all) while encoding."""


@dataclass(frozen=True)
class Rendered:
    """What a render wrote."""

    path: Path
    length_ms: int
    size_bytes: int
    chapters: int


def output_format(path: Path) -> str:
    """ ".mp3" or ".wav" from the file name; CoachError for anything else."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
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
    return ", ".join(parts) + f" ({format_clock(session.timeline.total_ms)})"


def render_session(
    session: Session,
    sounds: SessionSounds,
    out: Path,
    progress: EncodeProgress | None = None,
) -> Rendered:
    """Write the session's audio to `out` (.mp3 with chapters and tags, or .wav).

    The speech must already be prepared in `sounds` (it gave the timeline its lengths).
    Raises CoachError for a name without .mp3/.wav, an unwritable place or a full disk.
    """
    from coach.atomic import atomic_path  # checks that `out` can be written, first thing

    kind = output_format(out)
    total = session_samples(session.timeline)
    chunks = assemble_chunks(session.timeline, sounds.audio)
    with atomic_path(out) as temporary:
        if kind == ".mp3":
            _write_mp3(temporary, chunks, total, progress)
            _tag(temporary, session)
        else:
            _write_wav(temporary, chunks, total, progress)
    chapters = len(session.timeline.chapters) if kind == ".mp3" else 0
    return Rendered(out, session.timeline.total_ms, out.stat().st_size, chapters)


def _write_mp3(
    path: Path, chunks: Iterable[Samples], total: int, progress: EncodeProgress | None
) -> None:
    from coach.mp3 import Mp3Encoder

    encoder = Mp3Encoder(SAMPLE_RATE)
    done = 0
    with open(path, "wb") as file:
        # The info frame (encoder delay and padding, for gapless decoding) is only known
        # at the end; write a placeholder of the same size now and overwrite it then.
        file.write(encoder.header())
        for chunk in chunks:
            file.write(encoder.encode(chunk))
            done += len(chunk)
            if progress:
                progress(done, total)
        file.write(encoder.flush())
        file.seek(0)
        file.write(encoder.header())


def _write_wav(
    path: Path, chunks: Iterable[Samples], total: int, progress: EncodeProgress | None
) -> None:
    done = 0
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(SAMPLE_RATE)
        file.setnframes(total)
        for chunk in chunks:
            file.writeframes(chunk.astype("<i2").tobytes())
            done += len(chunk)
            if progress:
                progress(done, total)


def _tag(path: Path, session: Session) -> None:
    from coach.tags import Chapter, write_tags

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
