"""ID3 tags and chapters for a rendered session, with mutagen.

Tags are ID3v2.3: car stereos and Windows read it, while ID3v2.4 support is patchy there.
Chapters follow the ID3v2 Chapter Frame Addendum: one CHAP frame per exercise (element ids
"ch0", "ch1", ...; times in milliseconds; a TIT2 sub-frame with the title) and one top-level,
ordered CTOC frame ("toc") listing them in play order. Two user-defined text frames (TXXX)
mark a file as a session the coach rendered (`SessionMark`): which session it is, and which
version ("full", "5 minutes", "brief"), so `coach serve` knows its files by their tags.

The written bytes depend only on the arguments: no dates or encoder names go in, the frame
order is fixed (mutagen's, then the CHAP frames moved last in time order, which is how
FFmpeg-based players list them), and the padding is a constant (mutagen's default reuses the
padding an earlier tag left, so a re-tagged file would differ from a fresh one).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from collections.abc import Sequence

TAG_PADDING_BYTES = 1024
"""Free space after the tag, so a user's tag editor can change a title without rewriting
the whole file."""

_TOC_ID = "toc"
_NO_OFFSET = 0xFFFFFFFF  # "byte offsets not given": players use the times


SESSION_TAG = "coach session"
"""The TXXX frame holding a session's identity (`SessionMark.session_id`)."""

VERSION_TAG = "coach version"
"""The TXXX frame holding the version's name (`SessionMark.version`)."""


@dataclass(frozen=True)
class SessionMark:
    """What marks a file as one of the coach's sessions."""

    session_id: str
    """A digest of everything that shapes the session's sound (the same for every track of a
    split): the same session always has the same one, and a changed session another."""
    version: str
    """Which version it is, in words: "full", "5 minutes", "brief", "5 minutes, brief"."""


@dataclass(frozen=True)
class Chapter:
    """One chapter: a title and its span in whole milliseconds from the start of the audio."""

    title: str
    start_ms: int
    end_ms: int


def _id3() -> Any:
    """mutagen.id3, imported when needed and typed loosely (mutagen's hints are partial)."""
    return importlib.import_module("mutagen.id3")


def _encoding(text: str) -> int:
    """ID3v2.3 text encoding for `text`: Latin-1 (0) when it fits, else UTF-16 (1)."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return 1
    return 0


def _check_chapters(chapters: Sequence[Chapter]) -> None:
    previous_end = 0
    for index, chapter in enumerate(chapters):
        if not 0 <= chapter.start_ms < chapter.end_ms <= _NO_OFFSET - 1:
            raise ValueError(f"chapter {index} ({chapter.title!r}) has an empty or bad span")
        if chapter.start_ms < previous_end:
            raise ValueError(f"chapter {index} ({chapter.title!r}) overlaps the one before")
        previous_end = chapter.end_ms


def write_tags(
    path: Path | str,
    *,
    title: str,
    artist: str,
    album: str,
    track: int | str,
    chapters: Sequence[Chapter],
    mark: SessionMark | None = None,
) -> None:
    """Replace every ID3 tag of the MP3 at `path` with these (title, artist, album, track
    number, chapters and the session's mark), in place.

    Chapters must be in order and must not overlap; ValueError otherwise. Any ID3v1 tag at
    the end of the file is removed. mutagen rewrites the file, so call this on the temporary
    file before it is moved into place (see `coach.files.atomic_path`).
    """
    id3 = _id3()
    _check_chapters(chapters)
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=_encoding(title), text=[title]))
    tags.add(id3.TPE1(encoding=_encoding(artist), text=[artist]))
    tags.add(id3.TALB(encoding=_encoding(album), text=[album]))
    tags.add(id3.TRCK(encoding=0, text=[str(track)]))
    if mark is not None:
        for description, value in ((SESSION_TAG, mark.session_id), (VERSION_TAG, mark.version)):
            tags.add(id3.TXXX(encoding=_encoding(value), desc=description, text=[value]))
    ids = [f"ch{index}" for index in range(len(chapters))]
    for element_id, chapter in zip(ids, chapters, strict=True):
        tags.add(
            id3.CHAP(
                element_id=element_id,
                start_time=chapter.start_ms,
                end_time=chapter.end_ms,
                start_offset=_NO_OFFSET,
                end_offset=_NO_OFFSET,
                sub_frames=[id3.TIT2(encoding=_encoding(chapter.title), text=[chapter.title])],
            )
        )
    if chapters:
        tags.add(
            id3.CTOC(
                element_id=_TOC_ID,
                flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[],
            )
        )
    tags.save(
        str(path),
        v1=0,  # remove any ID3v1 tag: it could only repeat a truncated title
        v2_version=3,
        padding=_fixed_padding,
    )
    _chapters_in_time_order(Path(path))


@dataclass(frozen=True)
class SessionTags:
    """What the tags of a rendered session say, read back."""

    title: str
    album: str
    track: str
    """The track number as written: "1", or "3/7" for a split's third track of seven."""
    chapters: tuple[Chapter, ...]
    mark: SessionMark
    length_ms: int
    """The audio's length, from the MP3's info frame (which counts LAME's delay and
    padding out)."""


_SESSION_ID = re.compile(r"[0-9a-f]{64}")


def read_session_tags(file: BinaryIO) -> SessionTags | None:
    """The tags of the MP3 open in `file`, if it is a session the coach rendered (it carries
    the `SessionMark`); None for any other file, an MP3 or not."""
    mutagen = importlib.import_module("mutagen")
    mp3 = importlib.import_module("mutagen.mp3")
    try:
        audio = mp3.MP3(file)
    except (mutagen.MutagenError, OSError, ValueError):
        return None
    tags = audio.tags
    if tags is None:
        return None
    session_id = _text(tags, f"TXXX:{SESSION_TAG}")
    version = _text(tags, f"TXXX:{VERSION_TAG}")
    if not _SESSION_ID.fullmatch(session_id) or not version:
        return None
    chapters = []
    for frame in sorted(tags.getall("CHAP"), key=lambda frame: frame.start_time):
        titles = frame.sub_frames.getall("TIT2")
        title = str(titles[0].text[0]) if titles and titles[0].text else ""
        chapters.append(Chapter(title, int(frame.start_time), int(frame.end_time)))
    return SessionTags(
        title=_text(tags, "TIT2"),
        album=_text(tags, "TALB"),
        track=_text(tags, "TRCK"),
        chapters=tuple(chapters),
        mark=SessionMark(session_id, version),
        length_ms=round(audio.info.length * 1000),
    )


def _text(tags: Any, key: str) -> str:
    """The first text of the frame `key`, or "" when there is none."""
    frame = tags.get(key)
    return str(frame.text[0]) if frame is not None and frame.text else ""


def _chapters_in_time_order(path: Path) -> None:
    """Rewrite the ID3v2.3 tag at the start of `path` with its CHAP frames last and in time
    order, in place (the tag keeps its size).

    mutagen writes frames sorted by their encoded size, and players built on FFmpeg list
    chapters in the order their frames sit in the file, not by start time or by the CTOC.
    The tag is the one `write_tags` just wrote: version 2.3, no unsynchronisation and no
    extended header, frames with 4-byte plain sizes, then zero padding.
    """
    with open(path, "r+b") as file:
        header = file.read(10)
        if header[:3] != b"ID3" or header[3] != 3 or header[5] != 0:
            raise ValueError(f"{path} does not start with the plain ID3v2.3 tag just written")
        size = _syncsafe(header[6:10])
        body = file.read(size)
        frames: list[bytes] = []
        at = 0
        while at + 10 <= len(body) and body[at] != 0:  # padding is zeros
            length = 10 + int.from_bytes(body[at + 4 : at + 8], "big")
            frames.append(body[at : at + length])
            at += length
        chapters = sorted(
            (frame for frame in frames if frame[:4] == b"CHAP"), key=_chapter_start_ms
        )
        others = [frame for frame in frames if frame[:4] != b"CHAP"]
        file.seek(10)
        file.write(b"".join(others + chapters) + body[at:])


def _syncsafe(data: bytes) -> int:
    """An ID3 header's size: 7 bits a byte."""
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
    return value


def _chapter_start_ms(frame: bytes) -> int:
    """A CHAP frame's start time: the 4 bytes after its zero-terminated element id."""
    data = frame[10:]
    after_id = data.index(b"\0") + 1
    return int.from_bytes(data[after_id : after_id + 4], "big")


def _fixed_padding(_info: Any) -> int:
    return TAG_PADDING_BYTES
