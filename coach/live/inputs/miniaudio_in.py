"""The microphone through miniaudio: the same device layer, and sound system, as playback.

One CaptureDevice, mono 16-bit at coach.time.SAMPLE_RATE (the sound system converts from
what the microphone gives), in PERIOD_MS blocks. miniaudio sends each block to a generator
on its own thread; the generator only hands it on (`deliver` queues it) and returns. As with
playback, a microphone that goes away simply stops delivering: `problem()` notices.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Generator
from typing import Any

import numpy as np

from coach.live.inputs.errors import no_microphone_error
from coach.live.miniaudio_common import describe_failure, stderr_silenced
from coach.pcm import Samples
from coach.time import SAMPLE_RATE

PERIOD_MS = 50
"""Length of each block the microphone delivers."""

STALL_S = 1.0
"""A running microphone that delivered nothing for this long has gone away..."""

START_S = 3.0
"""...but one just started may take this long to deliver its first block."""

LOST = "the microphone went away"


class MiniaudioMicrophone:
    """Microphone over one miniaudio CaptureDevice (implements coach.live.types.Microphone).

    Construction opens the device and raises CoachError (see no_microphone_error) if none
    opens, or if miniaudio would fall back to its silent "null" backend.
    """

    name = "miniaudio"

    def __init__(self, backends: list[str] | None = None) -> None:
        import miniaudio

        self._miniaudio: Any = miniaudio
        self._backends = [miniaudio.Backend[name.upper()] for name in backends or ()]
        try:
            with stderr_silenced():
                device = miniaudio.CaptureDevice(
                    input_format=miniaudio.SampleFormat.SIGNED16,
                    nchannels=1,
                    sample_rate=SAMPLE_RATE,
                    buffersize_msec=PERIOD_MS,
                    backends=self._backends or None,
                    app_name="coach",
                )
        except miniaudio.MiniaudioError as error:
            reason = describe_failure(error, "microphone")
            raise no_microphone_error(reason) from None
        if str(device.backend).lower() == "null":
            device.close()
            raise no_microphone_error("no sound system or microphone found")
        self._device: Any = device
        self._started_at = 0.0
        self._last_block = 0.0  # time.monotonic() of the last block (the device's thread)
        self._blocks = 0
        self._running = False

    @property
    def backend(self) -> str:
        """The sound system miniaudio captures through, e.g. "PulseAudio"."""
        return str(self._device.backend) if self._device is not None else ""

    def start(self, deliver: Callable[[Samples], None]) -> None:
        feed = self._feed(deliver)
        next(feed)
        self._started_at = self._last_block = time.monotonic()
        try:
            self._device.start(feed)
        except self._miniaudio.MiniaudioError as error:
            raise no_microphone_error(f"it failed to start: {error}") from None
        self._running = True

    def problem(self) -> str | None:
        if not self._running:
            return None
        now = time.monotonic()
        if self._blocks == 0:
            return LOST if now - self._started_at > START_S else None
        return LOST if now - self._last_block > STALL_S else None

    def close(self) -> None:
        if self._device is None:
            return
        with contextlib.suppress(self._miniaudio.MiniaudioError):
            if self._running:
                self._device.stop()
            self._device.close()
        self._device = None
        self._running = False

    def _feed(self, deliver: Callable[[Samples], None]) -> Generator[None, bytes, None]:
        """The generator miniaudio sends each captured block to, on its own thread."""
        while True:
            data = yield
            self._last_block = time.monotonic()
            self._blocks += 1
            deliver(np.frombuffer(bytes(data), dtype="<i2").astype(np.int16))
