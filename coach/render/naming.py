"""The names a session's files carry: their file names (tracks, playlist, packs) and the
titles and version written into their tags. Names only: nothing is written here."""

from __future__ import annotations

from collections.abc import Sequence

from coach.filenames import FileName, file_name
from coach.plan.session import Session
from coach.time import format_length


def track_title(session: Session) -> str:
    """The title tag: routine, version and length, e.g. "Rest-stop stretch, 5-minute
    version (4:59)"."""
    return f"{album_title(session)} ({format_length(session.timeline.total_ms)})"


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


def track_names(session: Session) -> list[FileName]:
    """The file name of each chapter's track, in order: "01 Before you start.mp3", ..."""
    return [
        file_name(chapter.title, ".mp3", prefix=f"{number:02d} ")
        for number, chapter in enumerate(session.timeline.chapters, start=1)
    ]


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


def pack_names(title: str, lengths: Sequence[float | None], *, brief: bool) -> list[FileName]:
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
    made.append((session.routine.title, pack_names(session.routine.title, [1.5], brief=True)[0]))
    return [(title, name.name) for title, name in made if name.shortened]
