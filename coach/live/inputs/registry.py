"""The microphones by name, and opening one.

Backends are imported only when opened, so `coach --help` never loads an audio library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

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
