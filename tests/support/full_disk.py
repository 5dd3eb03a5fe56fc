"""A disk that fills up: for the tests of writing output files."""

from __future__ import annotations

import errno
import os
from typing import Any

import pytest


class FullDisk:
    """A file whose writes fail with ENOSPC once `room` bytes are written."""

    def __init__(self, file: Any, room: int) -> None:
        self._file = file
        self._room = room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return int(self._file.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def fill_disk_after(monkeypatch: pytest.MonkeyPatch, room: int) -> None:
    """Make the MP3 writer's file run out of disk space after `room` bytes."""
    import builtins

    import coach.render.mp3

    def opener(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        file = builtins.open(path, mode, *args, **kwargs)  # noqa: SIM115
        return FullDisk(file, room) if "w" in mode else file

    monkeypatch.setattr(coach.render.mp3, "open", opener, raising=False)


def fill_disk_at_file(monkeypatch: pytest.MonkeyPatch, number: int) -> None:
    """Make the MP3 writer run out of disk space in the `number`-th file it writes (the
    third track of a split, say), after the first few bytes of it."""
    import builtins

    import coach.render.mp3

    opened = 0

    def opener(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        nonlocal opened
        file = builtins.open(path, mode, *args, **kwargs)  # noqa: SIM115
        if "w" not in mode:
            return file
        opened += 1
        return FullDisk(file, 100) if opened == number else file

    monkeypatch.setattr(coach.render.mp3, "open", opener, raising=False)
