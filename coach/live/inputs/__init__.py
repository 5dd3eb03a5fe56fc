"""Microphones for listening during live play: one registry, one way to open one, one error.

Every backend implements `coach.live.types.Microphone`. Backends are imported only when
opened, so `coach --help` never loads an audio library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:
    from coach.live.types import Microphone


def _miniaudio() -> Microphone:
    from coach.live.inputs.miniaudio_in import MiniaudioMicrophone

    return MiniaudioMicrophone()


MICROPHONES: dict[str, Callable[[], Microphone]] = {"miniaudio": _miniaudio}
"""Name -> factory that opens that microphone; a factory raises CoachError (see
`no_microphone_error`) if it cannot."""

DEFAULT_MICROPHONE = "miniaudio"


def open_microphone(name: str | None = None) -> Microphone:
    """Open the microphone called `name` (None: the default); the caller closes it."""
    return MICROPHONES[name or DEFAULT_MICROPHONE]()


def no_microphone_error(reason: str) -> CoachError:
    """The one-paragraph message for a microphone that cannot listen: what failed, why, and
    that the keys still work."""
    return CoachError(
        f"The microphone could not be opened ({reason}), so the coach is not listening. "
        "The keys work as usual. Check that a microphone is connected, allowed and not in use "
        "by another program, then start again to use your voice."
    )
