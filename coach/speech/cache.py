"""A content-addressed cache of spoken phrases: one WAV file per phrase.

The speech engine is not deterministic (the same phrase synthesized twice gives slightly
different samples), so this cache is what makes renders byte-identical: once a phrase is
stored, every later run reuses exactly those samples, and a warm render synthesizes nothing.

The cache is an optimisation, never a point of failure: an unreadable entry is deleted and
treated as missing, and a cache folder that cannot be written only costs speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import wave
from pathlib import Path

from coach.errors import CoachError
from coach.files import replace_file
from coach.pcm import Samples, read_wav, wav_bytes
from coach.time import SAMPLE_RATE

__all__ = ["CACHE_DIR_ENV", "FORMAT_VERSION", "PhraseCache", "default_cache_dir", "phrase_key"]

FORMAT_VERSION = 1
"""Bump whenever what is stored for a phrase changes (trimming rules, sample format)."""

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

    Not safe for concurrent writers of the same key beyond what os.replace gives: the last
    complete file wins, and a reader never sees a half-written one.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._warned = False

    @classmethod
    def default(cls) -> PhraseCache:
        """The cache in `default_cache_dir()`."""
        return cls(default_cache_dir())

    def path(self, key: str) -> Path:
        """The file that holds (or would hold) the entry for `key`."""
        return self.directory / f"{key}.wav"

    def get(self, key: str) -> Samples | None:
        """The samples stored under `key`, or None if there are none.

        A damaged entry (garbage, truncated, wrong format) is deleted and reported as
        missing, so the caller synthesizes the phrase again and puts it back.
        """
        path = self.path(key)
        try:
            raw = path.read_bytes()
        except OSError:  # missing, or an unreadable folder: behave as an empty cache
            return None
        try:
            samples, rate = read_wav(raw)
        except (wave.Error, EOFError, ValueError):
            samples, rate = None, 0
        # Entries are written by wav_bytes, so an intact one reproduces its bytes exactly;
        # this also catches a truncated file, which the wave module reads without complaint.
        # An empty entry is damage too: no phrase is silent (an empty clip once came from
        # a failed synthesis, and would have timed a phrase at 0 ms).
        if (
            samples is None
            or not len(samples)
            or rate != SAMPLE_RATE
            or wav_bytes(samples, rate) != raw
        ):
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return samples

    def put(self, key: str, samples: Samples) -> None:
        """Store `samples` under `key`, through the same atomic writer as every output.

        If the folder cannot be created or written, warns once on stderr and carries on.
        """
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            replace_file(self.path(key), wav_bytes(samples, SAMPLE_RATE))
        except (OSError, CoachError) as exc:
            self._warn(exc)

    def usage(self) -> tuple[int, int]:
        """How many phrases the cache holds, and how many bytes they take."""
        count = size = 0
        for entry in self._entries():
            with contextlib.suppress(OSError):
                size += entry.stat().st_size
                count += 1
        return count, size

    def clear(self) -> tuple[int, int]:
        """Delete every phrase (and any temporary file left by an interrupted write); returns
        how many phrases were deleted and the bytes freed. The folder itself stays."""
        count = size = 0
        for entry in [*self._entries(), *self.directory.glob(".*.tmp")]:
            try:
                freed = entry.stat().st_size
                entry.unlink()
            except OSError:
                continue
            size += freed
            count += entry.suffix == ".wav"
        return count, size

    def _entries(self) -> list[Path]:
        try:
            return sorted(self.directory.glob("*.wav"))
        except OSError:
            return []

    def _warn(self, exc: OSError | CoachError) -> None:
        if self._warned:
            return
        self._warned = True
        print(
            f"coach: warning: cannot write the phrase cache in {self.directory} ({exc}); "
            f"speech will be synthesized again next time. Set {CACHE_DIR_ENV} to a writable "
            "folder to keep it.",
            file=sys.stderr,
        )
