"""A content-addressed cache of spoken phrases: one WAV file per phrase.

Synthesis gives the same samples for the same phrase whatever was synthesized before (see
the engines), so the cache only saves time: a warm render synthesizes nothing, and a render
from an empty cache gives the same bytes as one from a full cache.

Every entry carries a SHA-256 checksum of its samples in a chunk of its own after the
samples (players skip it), and an entry is used only if it is exactly what this module
writes for the samples it holds, checksum included. So an entry whose samples rotted on
disk, or that was cut short, garbled, emptied or replaced by a folder, is deleted and made
again (with a warning, once a run) rather than played as noise.

The cache is an optimisation, never a point of failure: a damaged entry is treated as
missing, and a cache folder that cannot be written only costs speed. Only regular files
are read, without following a link or waiting on a pipe (`coach.files.read_own_file`), so
a link to /dev/zero, a FIFO or a folder at an entry's name is damage like any other. And
the cache touches only names of its own making (`ENTRY_NAME`: a SHA-256 key and ".wav"),
so `clear` empties it, never a user's files that share its folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import struct
import sys
from pathlib import Path

import numpy as np

from coach.errors import CoachError, visible
from coach.files import UnexpectedFileError, read_own_file, remove_abandoned, replace_file
from coach.pcm import WAV_HEADER_BYTES, Samples, sample_bytes, wav_header
from coach.time import SAMPLE_RATE

__all__ = [
    "CACHE_DIR_ENV",
    "DIGESTS_FILE",
    "ENTRY_NAME",
    "FORMAT_VERSION",
    "PhraseCache",
    "default_cache_dir",
    "entry_bytes",
    "phrase_key",
    "read_entry",
]

FORMAT_VERSION = 2
"""Bump whenever what is stored for a phrase changes (trimming rules, sample format)."""

_CHECKSUM_CHUNK = b"csum"
"""The RIFF chunk after the samples that holds their SHA-256 digest."""

MAX_ENTRY_BYTES = 32_000_000
"""No phrase is this long (12 minutes of speech); a bigger file at an entry's name is damage."""

ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.wav")
"""The name of a cache entry: its key, then ".wav". The cache touches no other name."""

DIGESTS_FILE = "file-digests.json"
"""Beside the phrases: the SHA-256 of each Piper voice file hashed before (see
`coach.speech.piper.file_digest`), which `clear` removes too."""


def entry_bytes(samples: Samples) -> bytes:
    """The bytes of a cache entry: a mono 16-bit WAV at SAMPLE_RATE, then the checksum."""
    data = sample_bytes(samples)
    checksum = _CHECKSUM_CHUNK + struct.pack("<I", 32) + hashlib.sha256(data).digest()
    return wav_header(len(samples), SAMPLE_RATE, len(checksum)) + data + checksum


def read_entry(raw: bytes) -> Samples | None:
    """The samples of an intact entry, or None for anything else.

    Intact means the bytes are exactly `entry_bytes` of the samples they hold: the header,
    the length, and the checksum of the samples all agree. No phrase is silent, so an entry
    without samples is damage too (it once came from a failed synthesis).
    """
    if len(raw) <= WAV_HEADER_BYTES or raw[36:40] != b"data":
        return None
    (size,) = struct.unpack_from("<I", raw, 40)
    if size == 0 or size % 2 or WAV_HEADER_BYTES + size > len(raw):
        return None
    samples = np.frombuffer(raw, dtype="<i2", count=size // 2, offset=WAV_HEADER_BYTES)
    if entry_bytes(samples) != raw:
        return None
    return samples.astype(np.int16, copy=True)


CACHE_DIR_ENV = "COACH_CACHE_DIR"
"""Environment variable that replaces the per-user cache folder (phrases go in `phrases/`)."""


def default_cache_dir() -> Path:
    """Where phrases are cached: `$COACH_CACHE_DIR/phrases`, else the user cache folder's.

    On Linux that is `~/.cache/coach/phrases`.
    """
    root = os.environ.get(CACHE_DIR_ENV)
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("coach")
    return Path(root) / "phrases"


def phrase_key(engine: str, engine_version: str, voice: str, rate: int, text: str) -> str:
    """The cache key of one phrase: a sha256 hex digest of everything that shapes its audio.

    JSON encoding keeps the fields apart, so ("a b", "c") and ("a", "b c") never collide.
    """
    fields = [FORMAT_VERSION, SAMPLE_RATE, engine, engine_version, voice, rate, text]
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class PhraseCache:
    """One mono 16-bit WAV at SAMPLE_RATE per key in `directory` (created on first write).

    Any number of processes may share it: an entry is written to a temporary file and
    renamed into place, so a reader never sees a half-written one, and writers of the same
    key write the same bytes (synthesis does not depend on history), so which one wins
    does not matter.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.repaired = 0
        """Damaged entries found (and deleted) by `get` so far."""
        self._warned = False
        self._warned_damage = False

    @classmethod
    def default(cls) -> PhraseCache:
        """The cache in `default_cache_dir()`."""
        return cls(default_cache_dir())

    def path(self, key: str) -> Path:
        """The file that holds (or would hold) the entry for `key`."""
        return self.directory / f"{key}.wav"

    def get(self, key: str) -> Samples | None:
        """The samples stored under `key`, or None if there are none.

        A damaged entry (see `read_entry`; a link, a pipe, a device, a folder or a file far
        too large in its place too) is deleted and reported as missing, so the caller
        synthesizes the phrase again and puts it back.
        """
        path = self.path(key)
        try:
            raw = read_own_file(path, MAX_ENTRY_BYTES)
        except UnexpectedFileError:
            self._drop(path)
            return None
        except OSError:  # an unreadable folder or file: behave as an empty cache
            return None
        if raw is None:
            return None
        samples = read_entry(raw)
        if samples is None:
            self._drop(path)
        return samples

    def _drop(self, path: Path) -> None:
        """Delete a damaged entry (a link itself, never what it points to), and say so
        once a run."""
        self.repaired += 1
        _remove(path)
        if not self._warned_damage:
            self._warned_damage = True
            print(
                visible(
                    f"coach: warning: a damaged entry in the phrase cache in {self.directory} "
                    "was deleted and is being made again. If this keeps happening, check the "
                    "disk."
                ),
                file=sys.stderr,
            )

    def put(self, key: str, samples: Samples) -> None:
        """Store `samples` under `key`, through the same atomic writer as every output.

        If the folder cannot be created or written, warns once on stderr and carries on.
        """
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            replace_file(self.path(key), entry_bytes(samples))
        except (OSError, CoachError) as exc:
            self._warn(exc)

    def usage(self) -> tuple[int, int]:
        """How many phrases the cache holds, and how many bytes they take."""
        count = size = 0
        for entry in self._entries():
            count += 1
            size += _regular_size(entry)
        return count, size

    def clear(self) -> tuple[int, int]:
        """Delete every entry (names of the cache's own making only: a user's files in the
        folder stay), what a killed coach left half-written, and the voice files' digests;
        returns how many phrases were deleted and the bytes freed (of regular files: a link
        is removed, never followed). The folder itself stays."""
        count = size = 0
        digests = self.directory.parent / DIGESTS_FILE
        for entry in [*self._entries(), digests]:
            freed = _regular_size(entry)
            if _remove(entry):
                size += freed
                count += entry.name != DIGESTS_FILE
        remove_abandoned(self.directory)  # only the coach writes temporary files there
        return count, size

    def _entries(self) -> list[Path]:
        """The entries in the folder: only names of the cache's own making."""
        try:
            with os.scandir(self.directory) as found:
                return sorted(
                    self.directory / entry.name
                    for entry in found
                    if ENTRY_NAME.fullmatch(entry.name)
                )
        except OSError:
            return []

    def _warn(self, exc: OSError | CoachError) -> None:
        if self._warned:
            return
        self._warned = True
        print(
            visible(
                f"coach: warning: cannot write the phrase cache in {self.directory} ({exc}); "
                f"speech will be synthesized again next time. Set {CACHE_DIR_ENV} to a "
                "writable folder to keep it."
            ),
            file=sys.stderr,
        )


def _regular_size(path: Path) -> int:
    """The size of the regular file at `path`; 0 for a link, anything else, or nothing."""
    try:
        found = path.lstat()
    except OSError:
        return 0
    return found.st_size if stat.S_ISREG(found.st_mode) else 0


def _remove(path: Path) -> bool:
    """Remove what is at `path` (a link itself, never what it points to; a folder with what
    is in it); True if something was removed."""
    try:
        if stat.S_ISDIR(path.lstat().st_mode):
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError:
        return False
    return True
