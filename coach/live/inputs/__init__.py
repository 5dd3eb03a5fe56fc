"""Microphones for listening during live play: one registry, one way to open one, one error.

Every backend implements `coach.live.types.Microphone`. Backends are imported only when
opened, so `coach --help` never loads an audio library.
"""

from coach.live.inputs.errors import no_microphone_error
from coach.live.inputs.registry import DEFAULT_MICROPHONE, MICROPHONES, open_microphone

__all__ = ["DEFAULT_MICROPHONE", "MICROPHONES", "no_microphone_error", "open_microphone"]
