"""Live playback through miniaudio (PulseAudio, ALSA, CoreAudio, WASAPI, ... found at run time).

How it works, and why (measured on a PulseAudio null sink and the ALSA `file` plugin):

- One PlaybackDevice is opened up front, so a missing sound card is reported before a session
  starts. `start()` hands it a generator that miniaudio pulls from its own thread, period by
  period; each pull reads the next samples from the source. The device runs from then on,
  through silences and pauses alike, so no phrase ever starts on a device that is waking up.
- The device buffer (PERIODS x PERIOD_MS, 150 ms) is what a continuous stream needs to reach
  PulseAudio without gaps on a busy machine, and small enough that a pause, a jump or quit
  is heard within about 100 ms. The player counts it in when it says where the session is.
- Once the source comes up short (the session's end, or a stop), the generator feeds TAIL_MS
  of silence before the device is stopped: stopping drops (ALSA) or freezes (PulseAudio) what
  is still buffered, which would cut the last few ms of sound.
- A small daemon thread stops the device once the tail has drained: miniaudio forbids
  stopping a device from inside its own callback.
- When the sound server dies or the device is unplugged, miniaudio simply stops pulling (its
  stop callback is not called on PulseAudio): `problem()` notices that no pull came for
  STALL_S (START_S while a new stream gets going), and the next `start()` opens the device
  afresh.

`_device_lock` serialises starting, stopping and replacing the device and is never taken by
the audio thread. The audio thread shares only plain attributes with the player's thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Generator, Sequence
from typing import Any

from coach.live.miniaudio_common import describe_failure, stderr_silenced
from coach.live.outputs.errors import no_device_error
from coach.live.types import SampleSource
from coach.time import SAMPLE_RATE, ms_to_samples

PERIOD_MS = 50
"""Length of each chunk miniaudio asks for."""

PERIODS = 3
"""Chunks in the device buffer. Set rather than left to the backend, so the buffer, and with it
the latency and the TAIL_MS needed, are known. On a busy 2-core machine, a stream into a
PulseAudio null sink had a gap of 5 to 50 ms every few seconds with 3 x 10 ms, now and then
with 4 x 25 ms, and once in a few minutes with 3 x 40 ms; none was seen with 3 x 50 ms. Keys
are still heard to act within about 100 ms (the server plays from less than all of it)."""

TAIL_MS = PERIODS * PERIOD_MS + 10
"""Silence fed after the last sample before stopping: the device buffer plus a margin for a
sound server's own, so the last sample reaches the speaker."""

STALL_S = 0.5
"""A running device that has not asked for sound for this long has gone away."""

START_S = 3.0
"""...but a device just started may take this long to begin: a sound server that has itself
just started asked for its first period, then for nothing more for 1.5 to 2 s."""

LOST = "the audio device went away"


class MiniaudioOutput:
    """AudioOutput over one miniaudio PlaybackDevice; see the module docstring for the design.

    Construction opens the device and raises CoachError (via no_device_error) if miniaudio is
    missing or no device opens, including when miniaudio would fall back to its silent "null"
    backend. `backends` restricts miniaudio to those backends, by name ("alsa", "pulseaudio",
    ...), in order of preference; None lets miniaudio choose. Call close() when done: it also
    ends the helper thread.
    """

    name = "miniaudio"
    latency_frames = ms_to_samples(PERIODS * PERIOD_MS)

    def __init__(self, backends: Sequence[str] | None = None) -> None:
        try:
            import miniaudio
        except ImportError as error:
            raise no_device_error("miniaudio", "the miniaudio package is not installed") from error
        self._miniaudio: Any = miniaudio
        try:
            self._backends = [miniaudio.Backend[name.upper()] for name in backends or ()]
        except KeyError as error:
            valid = ", ".join(backend.name.lower() for backend in miniaudio.Backend)
            raise ValueError(f"unknown miniaudio backend {error}; valid: {valid}") from None
        self._device_lock = threading.Lock()
        self._device: Any = self._open()
        self._running = False  # the device is started
        self._closed = False
        self._lost: str | None = None
        # Shared with the audio thread (each a single assignment, so no lock is needed):
        self._source: SampleSource | None = None
        self._ended = False  # the source came up short: feeding the tail
        self._tail_left = 0  # frames of silence still to feed before stopping
        self._last_pull = 0.0  # time.monotonic() of the device's last pull
        self._started_at = 0.0  # ... and of the last start()
        self._pulled = 0  # frames pulled since then
        self._checked_at = 0.0  # ... and of the last problem() check
        self._done = threading.Event()  # the source ended and its tail drained: stopped
        self._drained = threading.Event()  # wakes the stopper thread
        self._stopper = threading.Thread(
            target=self._stop_when_drained, name="coach-miniaudio-stopper", daemon=True
        )
        self._stopper.start()

    @property
    def backend(self) -> str:
        """The sound system miniaudio is playing through, e.g. "PulseAudio" or "ALSA"."""
        return str(self._device.backend) if self._device is not None else ""

    def devices(self) -> list[str]:
        """The names of the playback devices the same sound system offers ([] if it will not
        say). The coach plays to the system's default; the list helps to find a speaker."""
        miniaudio = self._miniaudio
        try:
            with stderr_silenced():
                playbacks = miniaudio.Devices(self._backends or None).get_playbacks()
            return [str(info["name"]) for info in playbacks]
        except (miniaudio.MiniaudioError, KeyError):
            return []

    def start(self, source: SampleSource) -> None:
        """Start the device pulling from `source`, and return at once.

        After a lost device, opens it afresh first. Raises RuntimeError after close() or while
        it still plays, and CoachError if the device cannot be opened or refuses to start.
        """
        with self._device_lock:
            if self._closed:
                raise RuntimeError("start() on a closed MiniaudioOutput")
            if self._running and self._lost is None and not self._done.is_set():
                raise RuntimeError("the MiniaudioOutput is already playing")
            if self._lost is not None or self._device is None:
                self._replace_device()
            self._stop_device()
            self._source, self._ended = source, False
            self._tail_left = ms_to_samples(TAIL_MS)
            self._done.clear()
            self._last_pull = self._checked_at = self._started_at = time.monotonic()
            self._pulled = 0
            feed = self._feed()
            next(feed)  # miniaudio sends frame counts, so the generator must be started
            try:
                self._device.start(feed)
            except self._miniaudio.MiniaudioError as error:
                raise no_device_error(self.name, f"the device failed to start: {error}") from error
            self._running = True

    def drain(self, timeout: float) -> bool:
        return self._done.wait(timeout)

    def problem(self) -> str | None:
        if self._lost is not None:
            return self._lost
        now = time.monotonic()
        since_check, self._checked_at = now - self._checked_at, now
        if not self._running or self._done.is_set():
            return None
        if since_check > STALL_S:
            # The checker itself was away (the process was stopped, say): give the device a
            # fresh chance rather than blame it for the gap.
            self._last_pull = now
            return None
        starting = self._pulled <= 2 * self.latency_frames and now - self._started_at < START_S
        if now - self._last_pull > STALL_S and not starting:
            self._lost = LOST
        return self._lost

    def close(self) -> None:
        """Stop at once, release the device and end the helper thread. Safe to call twice."""
        with self._device_lock:
            if self._closed:
                return
            self._closed = True
            self._stop_device()
            if self._device is not None:
                self._device.close()
                self._device = None
            self._source = None
        self._drained.set()
        self._stopper.join()

    # --- the player's thread, holding _device_lock ---------------------------------------------

    def _open(self) -> Any:
        """Open a mono 16-bit device, or raise no_device_error saying why not."""
        miniaudio = self._miniaudio
        try:
            # ALSA prints dozens of lines to stderr while it looks for a card that is not
            # there; the CoachError below says the same in one sentence.
            with stderr_silenced():
                device = miniaudio.PlaybackDevice(
                    output_format=miniaudio.SampleFormat.SIGNED16,
                    nchannels=1,
                    sample_rate=SAMPLE_RATE,
                    buffersize_msec=PERIOD_MS,
                    callback_periods=PERIODS,
                    backends=self._backends or None,
                    app_name="coach",
                )
        except miniaudio.MiniaudioError as error:
            raise no_device_error(self.name, describe_failure(error)) from error
        if str(device.backend).lower() == "null":
            device.close()
            raise no_device_error(self.name, "no sound system or sound card found")
        return device

    def _replace_device(self) -> None:
        """Close a lost device and open a new one (CoachError if none opens: stays lost)."""
        self._stop_device()
        if self._device is not None:
            with contextlib.suppress(self._miniaudio.MiniaudioError):
                self._device.close()
            self._device = None
        self._device = self._open()
        self._lost = None

    def _stop_device(self) -> None:
        """Stop the device if it runs."""
        if self._running and self._device is not None:
            # A device that fails to stop has stopped being usable; the next start reports it.
            with contextlib.suppress(self._miniaudio.MiniaudioError):
                self._device.stop()
        self._running = False

    # --- the stopper thread -----------------------------------------------------------------

    def _stop_when_drained(self) -> None:
        while True:
            self._drained.wait()
            self._drained.clear()
            with self._device_lock:
                if self._closed:
                    return
                if self._ended and self._tail_left <= 0 and self._running:
                    self._stop_device()
                    self._done.set()

    # --- the audio thread -------------------------------------------------------------------

    def _feed(self) -> Generator[bytes, int, None]:
        """The generator miniaudio pulls: sent a frame count, yields at most that many frames.

        Yielding fewer bytes than asked is fine: miniaudio zero-fills the rest.
        """
        frames = yield b""
        while True:
            frames = yield self._next_chunk(frames)

    def _next_chunk(self, frames: int) -> bytes:
        self._last_pull = time.monotonic()
        self._pulled += frames
        source = self._source
        data = b""
        silence = frames
        if not self._ended and source is not None:
            samples = source.read(frames)
            data = samples.astype("<i2", copy=False).tobytes()
            silence = frames - len(samples)
            self._ended = silence > 0
        if self._ended and self._tail_left > 0:
            # Frames asked for after the last sample was handed over: once they add up to the
            # whole buffer and then some, that sample has left it.
            self._tail_left -= silence
            if self._tail_left <= 0:
                self._drained.set()
        return data
