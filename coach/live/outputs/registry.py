"""The audio outputs by name, and opening one.

Backends are imported only when opened, so `coach --help` never loads an audio library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:
    from coach.live.types import AudioOutput


def _miniaudio() -> AudioOutput:
    from coach.live.outputs.miniaudio_out import MiniaudioOutput

    return MiniaudioOutput()


def _null() -> AudioOutput:
    from coach.live.outputs.null_out import NullOutput

    return NullOutput()


BACKENDS: dict[str, Callable[[], AudioOutput]] = {
    "miniaudio": _miniaudio,
    "null": _null,
}
"""Name -> factory that opens that output. A factory raises CoachError if it cannot open one."""


DEFAULT_BACKEND = "miniaudio"


def default_backend() -> str:
    """The backend `open_output(None)` uses."""
    return DEFAULT_BACKEND


def open_output(name: str | None) -> AudioOutput:
    """Open the audio output called `name` (None: `default_backend()`); the caller closes it.

    Raises CoachError for a name not in BACKENDS (listing the valid ones), and for a backend
    whose package is missing or whose device cannot be opened (see `no_device_error`).
    """
    chosen = default_backend() if name is None else name
    factory = BACKENDS.get(chosen)
    if factory is None:
        raise CoachError(
            f"There is no audio output called {chosen!r}. "
            f"Choose one of: {', '.join(sorted(BACKENDS))}."
        )
    return factory()
