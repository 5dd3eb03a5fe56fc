"""Live playback through simpleaudio, where it is installed (it has no Linux wheels).

simpleaudio already has the shape of coach.live.types.AudioOutput: `play_buffer` starts a clip on
its own thread and returns a PlayObject with `is_playing()` and `stop()`. This adapter only adds
the shared rules: one clip at a time, and CoachError when there is no device.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from coach.live.outputs import no_device_error
from coach.pcm import Samples
from coach.time import SAMPLE_RATE

if TYPE_CHECKING:
    from coach.live.types import PlayingClip


class SimpleaudioOutput:
    """AudioOutput over simpleaudio.play_buffer (implements coach.live.types.AudioOutput).

    Construction raises CoachError if simpleaudio is not installed or cannot play: it plays
    10 ms of silence to find out, since simpleaudio only opens the device when playing.
    """

    name = "simpleaudio"

    def __init__(self) -> None:
        try:
            import simpleaudio
        except ImportError as error:
            raise no_device_error(self.name, "the simpleaudio package is not installed") from error
        self._simpleaudio: Any = simpleaudio
        self._current: PlayingClip | None = None
        self._closed = False
        self._start(bytes(2 * SAMPLE_RATE // 100), SAMPLE_RATE)

    def play(self, samples: Samples, rate: int) -> PlayingClip:
        """Start playing mono `samples` at `rate` Hz now and return its PlayObject at once.

        Ends any clip still playing. Raises ValueError for a non-mono array, RuntimeError
        after close(), and CoachError if simpleaudio cannot play.
        """
        if self._closed:
            raise RuntimeError("play() on a closed SimpleaudioOutput")
        if samples.ndim != 1:
            raise ValueError(f"expected a mono clip (1-D samples), got shape {samples.shape}")
        if self._current is not None:
            self._current.stop()
        return self._start(np.ascontiguousarray(samples, dtype="<i2").tobytes(), rate)

    def close(self) -> None:
        """Stop the current clip. Safe to call twice."""
        if self._current is not None:
            self._current.stop()
            self._current = None
        self._closed = True

    def _start(self, pcm: bytes, rate: int) -> PlayingClip:
        try:
            clip: PlayingClip = self._simpleaudio.play_buffer(pcm, 1, 2, rate)
        # Its C extension raises SimpleaudioError, which is not exported under the same name in
        # every release; whatever it raises here means the device cannot play.
        except Exception as error:
            raise no_device_error(self.name, str(error) or type(error).__name__) from error
        self._current = clip
        return clip
