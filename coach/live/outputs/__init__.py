"""Audio outputs for live play: one registry, one way to open a device, one error for "no sound".

Every backend implements `coach.live.types.AudioOutput`: a device that, once started, pulls
one continuous stream from a source on its own clock. Backends are imported only when opened,
so `coach --help` never loads an audio library.

There is no simpleaudio backend: simpleaudio can only play whole buffers, each as a new
stream on the device, which is what streaming replaced (a stream that starts late, and a
first syllable lost on speakers that wake up slowly). miniaudio ships wheels for every
platform, so it is the one real backend everywhere.
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


def no_device_error(backend: str, reason: str) -> CoachError:
    """The one-paragraph error for an output that cannot play: what failed, why, what to do.

    `reason` is the underlying cause in a few words, e.g. "no sound card found".
    """
    return CoachError(
        f"No audio device could be opened ({backend}: {reason}). "
        "Check that speakers or headphones are connected and not in use by another program, "
        "or make a file to play on your phone instead: coach render -o session.mp3"
    )
