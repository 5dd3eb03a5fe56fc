"""Live playback through miniaudio (PulseAudio, ALSA, CoreAudio, WASAPI, ... found at run time).

How it works, and why (measured on a PulseAudio null sink and the ALSA `file` plugin):

- One PlaybackDevice is opened up front, so a missing sound card is reported before a session
  starts, and it runs only while there is something to play: started by `play()`, stopped once
  the clip has drained. A device that streams silence between clips wakes Python every period
  through long holds, and against a sink that does not pace (ALSA `file` -> `null`, used in
  tests) it spins writing hundreds of MB.
- `play()` hands the clip to the generator miniaudio pulls from its own thread, starting the
  device if it is stopped. That call takes under 1 ms (about 4 ms for the first start on ALSA)
  and the first period is pulled at once; onsets landed within a few ms of schedule.
- The device buffer is small (PERIODS x PERIOD_MS), so a stop is heard within ~15 ms.
- After a clip's last sample the generator feeds TAIL_MS of silence before the device is
  stopped: stopping drops (ALSA) or freezes (PulseAudio) what is still buffered, which cut the
  last ~5 ms of every clip without it (or would replay it in front of the next clip).
- A stop fades out over FADE_MS, since cutting a waveform mid-cycle clicks.
- A small daemon thread stops the device once the tail has drained: miniaudio forbids stopping
  a device from inside its own callback.

Locks: `_device_lock` serialises starting, stopping and replacing the device and is never taken
by the audio thread; `_state_lock` guards what the generator reads and is never held across a
call into miniaudio, because `device.stop()` waits for the callback, which may be waiting on it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from typing import Any

import numpy as np

from coach.live.outputs import no_device_error
from coach.pcm import Samples
from coach.time import SAMPLE_RATE, ms_to_samples

PERIOD_MS = 10
"""Length of each chunk miniaudio asks for; bounds how soon a new clip or a stop takes effect."""

PERIODS = 3
"""Chunks in the device buffer. Set rather than left to the backend, so the buffer, and with it
the stop latency and the TAIL_MS needed, are known."""

TAIL_MS = 60
"""Silence fed after each clip before stopping: the device buffer (PERIODS x PERIOD_MS) plus
margin for a sound server's own buffer, so the last sample reaches the speaker."""

FADE_MS = 5
"""Fade-out applied when a clip is stopped part-way."""

STALL_S = 1.0
"""How long after its due end a clip counts as finished even if the device never asked for it
(a device that died mid-session must not leave the player waiting forever)."""


class MiniaudioClip:
    """A clip started by MiniaudioOutput (implements coach.live.types.PlayingClip)."""

    def __init__(self, output: MiniaudioOutput, pcm: bytes, rate: int) -> None:
        self._output = output
        self.pcm = pcm
        """Little-endian 16-bit mono samples, as handed to the device."""
        self.done = threading.Event()
        """Set once the clip's sound has finished: drained, stopped, replaced, or closed."""
        self._give_up_at = time.monotonic() + len(pcm) / 2 / rate + TAIL_MS / 1000 + STALL_S

    def is_playing(self) -> bool:
        """True until the clip's last sample has left the device buffer, or it was stopped.

        Also False once STALL_S has passed after the clip was due to end, in case the device
        stopped asking for audio.
        """
        return not self.done.is_set() and time.monotonic() < self._give_up_at

    def stop(self) -> None:
        """Fade the clip out now (heard within ~PERIODS x PERIOD_MS); no-op once finished."""
        self._output._stop_clip(self)


class MiniaudioOutput:
    """AudioOutput over one miniaudio PlaybackDevice; see the module docstring for the design.

    Construction opens the device and raises CoachError (via no_device_error) if miniaudio is
    missing or no device opens, including when miniaudio would fall back to its silent "null"
    backend. `backends` restricts miniaudio to those backends, by name ("alsa", "pulseaudio",
    ...), in order of preference; None lets miniaudio choose. Call close() when done: it also
    ends the helper thread.
    """

    name = "miniaudio"

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
        self._state_lock = threading.Lock()
        self._rate = SAMPLE_RATE
        self._device: Any = self._open(SAMPLE_RATE)
        self._running = False
        self._closed = False
        # What the generator feeds, guarded by _state_lock:
        self._sounding: MiniaudioClip | None = None  # clip whose sound is in the feed
        self._pcm = b""  # bytes to feed: a clip's samples, or the fade of a stopped one
        self._offset = 0  # next byte of _pcm to feed
        self._tail_left = 0  # frames of silence to feed after _pcm; 0 = idle, may stop
        self._drained = threading.Event()  # wakes the stopper thread
        self._stopper = threading.Thread(
            target=self._stop_when_drained, name="coach-miniaudio-stopper", daemon=True
        )
        self._stopper.start()

    @property
    def backend(self) -> str:
        """The sound system miniaudio is playing through, e.g. "PulseAudio" or "ALSA"."""
        return str(self._device.backend)

    def play(self, samples: Samples, rate: int) -> MiniaudioClip:
        """Start playing mono `samples` at `rate` Hz now and return at once.

        Ends any clip still playing. Raises ValueError for a non-mono array, RuntimeError
        after close(), and CoachError if the device refuses to start (e.g. unplugged).
        """
        if samples.ndim != 1:
            raise ValueError(f"expected a mono clip (1-D samples), got shape {samples.shape}")
        clip = MiniaudioClip(self, np.ascontiguousarray(samples, dtype="<i2").tobytes(), rate)
        with self._device_lock:
            if self._closed:
                raise RuntimeError("play() on a closed MiniaudioOutput")
            if rate != self._rate:
                self._reopen(rate)
            with self._state_lock:
                replaced = self._sounding
                self._sounding, self._pcm, self._offset = clip, clip.pcm, 0
                self._tail_left = ms_to_samples(TAIL_MS, rate)
            if replaced is not None:
                replaced.done.set()
            if not self._running:
                feed = self._feed()
                next(feed)  # miniaudio sends frame counts, so the generator must be started
                try:
                    self._device.start(feed)
                except self._miniaudio.MiniaudioError as error:
                    clip.done.set()
                    raise no_device_error(
                        self.name, f"the device failed to start: {error}"
                    ) from error
                self._running = True
        return clip

    def close(self) -> None:
        """Stop any clip, release the device and end the helper thread. Safe to call twice."""
        with self._device_lock:
            if self._closed:
                return
            self._closed = True
            with self._state_lock:
                sounding, self._sounding = self._sounding, None
                self._pcm, self._offset, self._tail_left = b"", 0, 0
            if sounding is not None:
                sounding.done.set()
            self._stop_device()
            self._device.close()
        self._drained.set()
        self._stopper.join()

    # --- called from the player's thread -------------------------------------------------

    def _stop_clip(self, clip: MiniaudioClip) -> None:
        with self._state_lock:
            if clip is self._sounding:
                # Feed a short fade of what would have come next, then the usual silent tail,
                # so the cut neither clicks nor is left in the buffer when the device stops.
                rest = np.frombuffer(self._pcm, dtype="<i2", offset=self._offset)
                fade = rest[: ms_to_samples(FADE_MS, self._rate)]
                ramp = np.linspace(1.0, 0.0, len(fade) + 1, endpoint=False)[1:]
                self._pcm = np.round(fade * ramp).astype("<i2").tobytes()
                self._offset = 0
                self._tail_left = ms_to_samples(TAIL_MS, self._rate)
                self._sounding = None
        clip.done.set()

    def _open(self, rate: int) -> Any:
        """Open a mono 16-bit device at `rate`, or raise no_device_error saying why not."""
        miniaudio = self._miniaudio
        try:
            # ALSA prints dozens of lines to stderr while it looks for a card that is not
            # there; the CoachError below says the same in one sentence.
            with _stderr_silenced():
                device = miniaudio.PlaybackDevice(
                    output_format=miniaudio.SampleFormat.SIGNED16,
                    nchannels=1,
                    sample_rate=rate,
                    buffersize_msec=PERIOD_MS,
                    callback_periods=PERIODS,
                    backends=self._backends or None,
                    app_name="coach",
                )
        except miniaudio.MiniaudioError as error:
            raise no_device_error(self.name, _describe(error)) from error
        if str(device.backend).lower() == "null":
            device.close()
            raise no_device_error(self.name, "no sound system or sound card found")
        return device

    def _reopen(self, rate: int) -> None:
        """Replace the device with one at `rate`. Caller holds _device_lock.

        The new device is opened first, so if that fails the old one is still usable.
        """
        device = self._open(rate)
        self._stop_device()
        self._device.close()
        self._device, self._rate = device, rate

    def _stop_device(self) -> None:
        """Stop the device if it runs. Caller holds _device_lock, not _state_lock."""
        if self._running:
            # A device that fails to stop has stopped being usable; the next play() reports it.
            with contextlib.suppress(self._miniaudio.MiniaudioError):
                self._device.stop()
            self._running = False

    # --- the stopper thread -------------------------------------------------------------

    def _stop_when_drained(self) -> None:
        while True:
            self._drained.wait()
            self._drained.clear()
            with self._device_lock:
                if self._closed:
                    return
                with self._state_lock:
                    idle = self._tail_left <= 0
                if idle:
                    self._stop_device()

    # --- the audio thread ---------------------------------------------------------------

    def _feed(self) -> Generator[bytes, int, None]:
        """The generator miniaudio pulls: sent a frame count, yields at most that many frames.

        Yielding fewer bytes than asked is fine: miniaudio zero-fills the rest.
        """
        frames = yield b""
        while True:
            frames = yield self._next_chunk(frames)

    def _next_chunk(self, frames: int) -> bytes:
        with self._state_lock:
            chunk = self._pcm[self._offset : self._offset + 2 * frames]
            self._offset += len(chunk)
            silence = frames - len(chunk) // 2
            if silence > 0 and self._tail_left > 0:
                # Frames asked for after the last sample was handed over: once they add up to
                # the whole buffer and then some, that sample has left it.
                self._tail_left -= silence
                if self._tail_left <= 0:
                    if self._sounding is not None:
                        self._sounding.done.set()
                        self._sounding = None
                    self._pcm, self._offset = b"", 0
                    self._drained.set()
            return chunk


def _describe(error: Exception) -> str:
    """A few words for a miniaudio failure to open a device."""
    text = str(error.args[0]) if error.args else str(error)
    if "init device" in text:
        return "no sound card found, or it is in use"
    if "context" in text:
        return "no sound system found"
    return text


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration (C libraries write there directly).

    Does nothing where descriptor 2 cannot be duplicated (no console, e.g. a GUI launcher).
    """
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
