"""`atomic_write`: the product's atomic writer as an open binary file, for tests of it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from coach.files import atomic_path, check_writable


@contextlib.contextmanager
def atomic_write(path: Path | str) -> Iterator[BinaryIO]:
    """Check `path`, then write it through `atomic_path`, as an open binary file."""
    with atomic_path(check_writable(path)) as temporary, temporary.open("wb") as file:
        yield file
