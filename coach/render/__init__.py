"""Render: a session to an MP3 (with chapters and tags) or a WAV file.

`WRITERS` maps a file name's ending to the writer for that kind of file; a new format is one
writer plus one entry. The file is written to a temporary file in the target folder and
renamed into place (`coach.files`), so an interrupted render leaves any earlier file as it
was and no partial file behind. Audio is assembled and encoded a chunk at a time: memory
does not grow with the session's length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import CoachError
from coach.filenames import FileName, file_name
from coach.files import OutputPath, atomic_path
from coach.fileset import FileSet
from coach.pcm import Samples
from coach.plan.session import Session
from coach.plan.timeline import ChimeClip
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
    check_length(output.path, session.timeline.total_ms)
    with atomic_path(output) as temporary:
        chapters = write_session(session, sounds, temporary, progress, kind=output.path)
    path = output.path
    return Rendered(path, session.timeline.total_ms, path.stat().st_size, chapters)


def write_session(
    session: Session,
    sounds: SessionSounds,
    path: Path,
    progress: EncodeProgress | None = None,
    *,
    kind: Path | None = None,
) -> int:
    """Write the session's audio into the file at `path`, in the format `kind`'s name says
    (`path`'s own when None), tagged; the number of chapters it has (0 for a WAV)."""
    writer = WRITERS[output_format(kind or path)]
    total = session_samples(session.timeline)
    chunks = assemble_chunks(session.timeline, sounds.audio)
    writer.write(path, chunks, total, progress)
    if not writer.tagged:
        return 0
    _tag(path, session, session_mark(session, sounds))
    return len(session.timeline.chapters)


@dataclass(frozen=True)
class Track:
    """One part of a session written as a file of its own, for a car's next/previous buttons."""

    number: int
    title: str
    name: str
    """The file's name in the folder."""
    length_ms: int


def track_names(session: Session) -> list[FileName]:
    """The file name of each chapter's track, in order: "01 Before you start.mp3", ..."""
    return [
        file_name(chapter.title, ".mp3", prefix=f"{number:02d} ")
        for number, chapter in enumerate(session.timeline.chapters, start=1)
    ]


def render_tracks(
    session: Session,
    sounds: SessionSounds,
    files: FileSet,
    progress: EncodeProgress | None = None,
) -> list[Track]:
    """Write one MP3 per chapter of the session into the set `files` ("01 Before you
    start.mp3", "02 Neck release.mp3", ...), tagged with track numbers (n/total), album and
    title, and a playlist (`playlist_name`) listing them in order.

    Each file holds exactly its chapter's samples, so the files decoded one after another
    give the single render's samples. The files are staged in the set, which the caller
    commits: the folder then holds these and no earlier split's (`coach.fileset`).
    """
    timeline = session.timeline
    total = session_samples(timeline)
    chapters = timeline.chapters
    album = album_title(session)
    mark = session_mark(session, sounds)
    names = [made.name for made in track_names(session)]
    playlist = playlist_name(session)
    files.claim([*names, playlist])
    tracks: list[Track] = []
    done = 0
    for number, (chapter, name) in enumerate(zip(chapters, names, strict=True), start=1):
        start = ms_to_samples(chapter.start_ms)
        end = total if number == len(chapters) else ms_to_samples(chapter.end_ms)

        def report(part_done: int, _part_total: int, before: int = done) -> None:
            if progress:
                progress(before + part_done, total)

        with files.staged(name) as temporary:
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
        tracks.append(Track(number, chapter.title, name, chapter.end_ms - chapter.start_ms))
    with files.staged(playlist) as temporary:
        temporary.write_bytes(_playlist(album, tracks))
    return tracks


def playlist_name(session: Session) -> str:
    """The split's playlist file name: the album's name, made safe for any file system."""
    return file_name(album_title(session), ".m3u8").name


def length_label(minutes: float | None, width: int = 1) -> str:
    """How a file's name gives its length: "full", or the minutes with the whole part
    zero-padded to `width`, so names sort by length ("03 min", "05.5 min", "10 min").

    >>> length_label(None), length_label(5.5, 2), length_label(3, 2), length_label(12.25)
    ('full', '05.5 min', '03 min', '12.25 min')
    """
    if minutes is None:
        return "full"
    whole, dot, fraction = f"{minutes:.6g}".partition(".")
    if "e" in whole or "e" in fraction:  # a length of a million minutes, say
        whole, dot, fraction = f"{minutes:.0f}", "", ""
    return f"{whole.zfill(width)}{dot}{fraction} min"


def pack_names(title: str, lengths: Sequence[float | None], brief: bool) -> list[FileName]:
    """The file names of a pack of `lengths` (None: the full session), in that order:
    "Rest-stop stretch 05 min.mp3", ..., "Rest-stop stretch full.mp3", with "brief" before
    the length of a brief pack ("Rest-stop stretch brief 05 min.mp3"), so brief and full
    packs never share a name and each sorts by length. The title is shortened alike in
    every name when it must be."""
    width = max([2] + [len(f"{length:.0f}") for length in lengths if length is not None])
    labels = [(" brief " if brief else " ") + length_label(length, width) for length in lengths]
    longest = max(labels, key=lambda label: len(label.encode("utf-8")))
    stem = file_name(title, f"{longest}.mp3")
    base = stem.name[: -len(f"{longest}.mp3")]
    return [FileName(f"{base}{label}.mp3", stem.shortened) for label in labels]


def shortened_names(session: Session) -> list[tuple[str, str]]:
    """(title, file name) for each title of the session that a file name must shorten:
    its tracks' (`--split`), and the routine's in the playlist and a pack's files."""
    titles = [chapter.title for chapter in session.timeline.chapters]
    made = [*zip(titles, track_names(session), strict=True)]
    made.append((album_title(session), file_name(album_title(session), ".m3u8")))
    made.append((session.routine.title, pack_names(session.routine.title, [1.5], True)[0]))
    return [(title, name.name) for title, name in made if name.shortened]


def _playlist(album: str, tracks: list[Track]) -> bytes:
    """An extended M3U playlist of `tracks`, in UTF-8."""
    lines = ["#EXTM3U", f"#PLAYLIST:{album}", f"#EXTART:{ARTIST}"]
    for track in tracks:
        lines.append(f"#EXTINF:{-(-track.length_ms // 1000)},{track.title}")
        lines.append(track.name)
    return ("\n".join(lines) + "\n").encode("utf-8")


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
    cues = sorted({clip.cue for clip in timeline.clips if isinstance(clip, ChimeClip)})
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
