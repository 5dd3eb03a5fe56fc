"""Render: a session to an MP3 (with chapters and tags) or a WAV file.

`WRITERS` maps a file name's ending to the writer for that kind of file; a new format is one
writer plus one entry. The file is written to a temporary file in the target folder and
renamed into place (`coach.files`), so an interrupted render leaves any earlier file as it
was and no partial file behind. Audio is assembled and encoded a chunk at a time: memory
does not grow with the session's length.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import CoachError
from coach.files import OutputFolder, OutputPath, atomic_path, replace_file
from coach.pcm import Samples
from coach.plan.session import Session
from coach.render import mp3, wav
from coach.sound.assembly import assemble_chunks, session_samples
from coach.sound.session_sounds import SessionSounds
from coach.time import format_clock, format_length, ms_to_samples, samples_to_ms

if TYPE_CHECKING:
    from coach.render.tags import Chapter, SessionMark

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


def track_title(session: Session) -> str:
    """The title tag: routine, version and length, e.g. "Rest-stop stretch, 5-minute
    version (4:59)"."""
    return f"{album_title(session)} ({format_length(session.timeline.total_ms)})"


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
            _tag(temporary, session, session_mark(session, sounds))
    chapters = len(session.timeline.chapters) if writer.tagged else 0
    path = output.path
    return Rendered(path, session.timeline.total_ms, path.stat().st_size, chapters)


@dataclass(frozen=True)
class Track:
    """One part of a session written as a file of its own, for a car's next/previous buttons."""

    number: int
    title: str
    path: Path
    length_ms: int


def render_tracks(
    session: Session,
    sounds: SessionSounds,
    folder: OutputFolder,
    progress: EncodeProgress | None = None,
) -> list[Track]:
    """Write one MP3 per chapter of the session into `folder` ("01 Before you start.mp3",
    "02 Neck release.mp3", ...), tagged with track numbers (n/total), album and title, and a
    playlist (`playlist_name`) listing them in order.

    Each file holds exactly its chapter's samples, so the files decoded one after another
    give the single render's samples. Each file is written atomically. Tracks and playlists
    an earlier split left in the folder, and that this one does not write again, are removed
    (only files our own playlists list), so the folder holds one session.
    """
    timeline = session.timeline
    total = session_samples(timeline)
    chapters = timeline.chapters
    album = album_title(session)
    mark = session_mark(session, sounds)
    tracks: list[Track] = []
    done = 0
    for number, chapter in enumerate(chapters, start=1):
        name = f"{number:02d} {safe_file_name(chapter.title)}.mp3"
        output = folder.file(name)
        start = ms_to_samples(chapter.start_ms)
        end = total if number == len(chapters) else ms_to_samples(chapter.end_ms)

        def report(part_done: int, _part_total: int, before: int = done) -> None:
            if progress:
                progress(before + part_done, total)

        with atomic_path(output) as temporary:
            chunks = assemble_chunks(timeline, sounds.audio, start=start, end=end)
            mp3.write_mp3(temporary, chunks, end - start, report)
            _write_tags(
                temporary,
                title=chapter.title,
                album=album,
                track=f"{number}/{len(chapters)}",
                chapters=[],
                mark=mark,
            )
        done += end - start
        tracks.append(Track(number, chapter.title, output.path, chapter.end_ms - chapter.start_ms))
    _write_playlist(folder, playlist_name(session), album, tracks)
    return tracks


def playlist_name(session: Session) -> str:
    """The split's playlist file name: the album's name, made safe for any file system."""
    return f"{safe_file_name(album_title(session))}.m3u8"


def _write_playlist(folder: OutputFolder, name: str, album: str, tracks: list[Track]) -> None:
    """The playlist of `tracks`; earlier splits' playlists in the folder, and their tracks
    that this split did not write again, are removed, so the folder holds one session."""
    earlier = _earlier_playlists(folder.path)
    lines = ["#EXTM3U", f"#PLAYLIST:{album}", f"#EXTART:{ARTIST}"]
    for track in tracks:
        lines.append(f"#EXTINF:{-(-track.length_ms // 1000)},{track.title}")
        lines.append(track.path.name)
    replace_file(folder.path / name, ("\n".join(lines) + "\n").encode("utf-8"))
    written = {track.path.name for track in tracks}
    for playlist, entries in earlier.items():
        for entry in entries:
            if entry not in written and entry.endswith(".mp3"):
                with contextlib.suppress(OSError):
                    (folder.path / entry).unlink()
        if playlist.name != name:
            with contextlib.suppress(OSError):
                playlist.unlink()


def _earlier_playlists(folder: Path) -> dict[Path, list[str]]:
    """Playlists that an earlier split wrote in `folder`, with the file names they list."""
    found = {}
    for path in sorted(folder.glob("*.m3u8")):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        if lines[:1] != ["#EXTM3U"] or f"#EXTART:{ARTIST}" not in lines[:4]:
            continue  # not one of ours: leave it and its files alone
        found[path] = [line for line in lines if line and not line.startswith("#")]
    return found


_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_file_name(title: str) -> str:
    """`title` as a file name every file system takes: no slashes, colons and the like, no
    dot or space at either end ("Neck release" stays as it is)."""
    cleaned = _UNSAFE_IN_NAMES.sub("-", title).strip(" .")
    return cleaned or "part"


def album_title(session: Session) -> str:
    """The album tag of a session's files: the routine's title, with the version when it is
    a shorter or brief one ("Rest-stop stretch, 5-minute version")."""
    parts = [session.routine.title]
    if session.fitted.changes and session.minutes is not None:
        parts.append(f"{session.minutes:g}-minute version")
    if session.fitted.options.brief:
        parts.append("brief")
    return ", ".join(parts)


def version_name(session: Session) -> str:
    """The version in words, as `coach serve` shows it: "full", "5 minutes", "brief",
    "5 minutes, brief"."""
    fitted = session.fitted.changes and session.minutes is not None
    brief = session.fitted.options.brief
    if not fitted:
        return "brief" if brief else "full"
    minutes = f"{session.minutes:g} minute{'' if session.minutes == 1 else 's'}"
    return f"{minutes}, brief" if brief else minutes


def session_mark(session: Session, sounds: SessionSounds) -> SessionMark:
    """The mark the session's files carry: its version, and its identity, a digest of
    everything that shapes its sound (the timeline, the voice and its mastering, the
    chimes' samples, the MP3 settings). No date goes in, so a render of the same session is
    the same file, and any change to the session gives another identity."""
    import hashlib
    import json

    from coach.render.tags import SessionMark

    timeline = session.timeline
    cues = sorted({clip.cue for clip in timeline.clips if clip.cue is not None})
    chimes = {cue: hashlib.sha256(sounds.chime(cue).tobytes()).hexdigest() for cue in cues}
    encoding = [mp3.DEFAULT_BITRATE_KBPS, mp3.DEFAULT_QUALITY]
    payload = [timeline.to_json(), sounds.phrases.identity(), chimes, encoding]
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()
    return SessionMark(digest, version_name(session))


def _tag(path: Path, session: Session, mark: SessionMark) -> None:
    from coach.render.tags import Chapter

    _write_tags(
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


def _write_tags(
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
