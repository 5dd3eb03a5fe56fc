"""The sessions in a folder, known by their tags: what `coach serve` offers, and nothing else.

A file is offered only when it is a regular file directly in the folder (not a symbolic
link, not in a subfolder), its name ends in .mp3, and its ID3 tags carry the mark every
render writes (`coach.render.tags.SessionMark`); its name says nothing else about it. The
folder is looked at again whenever the page or the feed is asked for, so a session rendered
while the server runs is offered at once; a file's tags are read again only when its size,
time or inode changed.
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from coach.render.tags import SessionTags, read_session_tags

FileKey = tuple[int, int, int, int]
"""(device, inode, modification time in ns, size): what identifies a file's content while
the folder only ever gets files renamed into place, as every render does."""


@dataclass(frozen=True)
class SessionFile:
    """One file the coach rendered: a whole session, or one track of a split."""

    name: str
    """Its name in the folder."""
    tags: SessionTags
    key: FileKey
    modified: float
    """Its modification time (seconds since the epoch)."""

    @property
    def size(self) -> int:
        return self.key[3]

    @property
    def track(self) -> tuple[int, int] | None:
        """(number, total) for a split's track ("3/7"); None for a whole session."""
        number, slash, total = self.tags.track.partition("/")
        if not slash or not number.isdigit() or not total.isdigit():
            return None
        return int(number), int(total)

    @property
    def guid(self) -> str:
        """The feed's GUID: the session's identity, with the track's number for a track.
        The same session rendered again keeps it; any change to the session changes it."""
        track = self.track
        session_id = self.tags.mark.session_id
        return session_id if track is None else f"{session_id}-{track[0]:02d}"

    @property
    def etag(self) -> str:
        """A strong validator of this content (see `FileKey`)."""
        return "-".join(f"{part:x}" for part in self.key)


@dataclass(frozen=True)
class OfferedSession:
    """A session as the page shows it: one file, or a split's tracks in order."""

    files: tuple[SessionFile, ...]

    @property
    def first(self) -> SessionFile:
        return self.files[0]

    @property
    def split(self) -> bool:
        return self.first.track is not None

    @property
    def album(self) -> str:
        return self.first.tags.album

    @property
    def version(self) -> str:
        return self.first.tags.mark.version

    @property
    def length_ms(self) -> int:
        return sum(file.tags.length_ms for file in self.files)

    @property
    def size(self) -> int:
        return sum(file.size for file in self.files)


@dataclass(frozen=True)
class Snapshot:
    """The folder's sessions at one moment."""

    sessions: tuple[OfferedSession, ...]
    files: dict[str, SessionFile]
    """Every file offered, by name: the only names the server answers for."""
    left_out: int
    """MP3 files in the folder that are not offered: not the coach's sessions, or another
    copy of a session offered already."""

    def by_guid(self, guid: str) -> SessionFile | None:
        return next((file for file in self.files.values() if file.guid == guid), None)


class Catalog:
    """The sessions in `folder`. Safe to share between the server's threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._read: dict[str, tuple[FileKey, SessionFile | None]] = {}
        self._latest: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        """The sessions in the folder now (tags read only for files new or changed)."""
        with self._lock:
            read: dict[str, tuple[FileKey, SessionFile | None]] = {}
            regular, mp3_names = _mp3_files(self.folder)
            for name, key, modified in regular:
                earlier = self._read.get(name)
                if earlier is not None and earlier[0] == key:
                    read[name] = earlier
                else:
                    read[name] = (key, self._session_file(name, key, modified))
            self._read = read
            found = [file for _key, file in read.values() if file is not None]
            self._latest = _arrange(found, mp3_names)
            return self._latest

    def latest(self) -> Snapshot:
        """The last snapshot taken (a new one if none was)."""
        return self._latest or self.snapshot()

    def open(self, name: str) -> tuple[BinaryIO, SessionFile] | None:
        """The offered file called `name`, open for reading, and what it is; None when no
        file of that name is offered, or it changed since the folder was last looked at
        and is no longer a session."""
        for fresh in (False, True):
            snapshot = self.snapshot() if fresh else self.latest()
            offered = snapshot.files.get(name)
            if offered is None:
                continue
            file = _open_regular(self.folder, name)
            if file is None:
                continue
            if _key(os.fstat(file.fileno())) == offered.key:
                return file, offered
            file.close()
        return None

    def _session_file(self, name: str, key: FileKey, modified: float) -> SessionFile | None:
        file = _open_regular(self.folder, name)
        if file is None:
            return None
        with file:
            if _key(os.fstat(file.fileno())) != key:
                return None  # replaced while being looked at: the next look reads it
            tags = read_session_tags(file)
        return None if tags is None else SessionFile(name, tags, key, modified)


def _key(status: os.stat_result) -> FileKey:
    return (status.st_dev, status.st_ino, status.st_mtime_ns, status.st_size)


def _mp3_files(folder: Path) -> tuple[list[tuple[str, FileKey, float]], int]:
    """(name, key, modification time) of each regular .mp3 file directly in `folder`
    (symbolic links are not followed, whatever they point at), and how many names there
    end in .mp3, links and all."""
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.lower().endswith(".mp3")]
    except OSError:  # the folder went away: nothing to offer
        return [], 0
    regular = []
    for entry in entries:
        try:
            status = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(status.st_mode):
            regular.append((entry.name, _key(status), status.st_mtime))
    return regular, len(entries)


_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _open_regular(folder: Path, name: str) -> BinaryIO | None:
    """`name` in `folder` open for reading, if it is a regular file and not a symbolic
    link; None otherwise (gone, a link, a folder, a device, unreadable)."""
    if "/" in name or os.sep in name or name in ("", ".", ".."):
        return None
    try:
        descriptor = os.open(folder / name, os.O_RDONLY | _NO_FOLLOW)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            return None
    except OSError:
        os.close(descriptor)
        return None
    return os.fdopen(descriptor, "rb")


def _arrange(found: list[SessionFile], mp3_files: int) -> Snapshot:
    """The sessions of these files: each whole file one session, each split's tracks one;
    of two copies of the same session (or track), the newer. Whole sessions come first,
    then splits, each by title and then length."""
    newest: dict[tuple[str, int], SessionFile] = {}
    for file in sorted(found, key=lambda file: (file.modified, file.name)):
        track = file.track
        newest[(file.tags.mark.session_id, 0 if track is None else track[0])] = file
    wholes = [file for file in newest.values() if file.track is None]
    tracks: dict[str, list[SessionFile]] = {}
    for file in newest.values():
        if file.track is not None:
            tracks.setdefault(file.tags.mark.session_id, []).append(file)
    sessions = [OfferedSession((file,)) for file in wholes]
    sessions += [
        OfferedSession(tuple(sorted(files, key=lambda file: file.track or (0, 0))))
        for files in tracks.values()
    ]
    sessions.sort(key=lambda session: (session.split, session.album.casefold(), session.length_ms))
    offered = {file.name: file for session in sessions for file in session.files}
    return Snapshot(tuple(sessions), offered, mp3_files - len(offered))
