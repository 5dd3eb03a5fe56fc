"""The session as one continuous stream for the audio device: the render's samples, live.

`SessionStream` is the SampleSource an output pulls. Its samples come from the same chunked
assembly as the MP3 (`coach.sound.assembly`), silence included, so the speakers hear what
the file holds. The device's pulls are the session's clock: every read is noted (which
device frames carried which session samples), so `heard()` says which sample of the session
is being heard now, and pausing or quitting freezes time exactly where the sound stopped.

Pause, a jump (next, previous, resume) and stop take effect on the next read, with a short
fade of what would have come next so that nothing clicks. While paused, and before the
session is released, the stream gives silence: the device keeps running, so the next sound
does not land on a device that is still waking up.

`read()` runs on the output's thread and everything else on the player's; one lock guards
what they share, and nothing slow happens under it (a jump's first chunk is assembled
before the lock is taken).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from coach.pcm import Samples
from coach.plan.timeline import Timeline
from coach.sound.assembly import AudioSource, assemble_chunks, session_samples
from coach.time import SAMPLE_RATE, ms_to_samples

LIVE_CHUNK_SAMPLES = SAMPLE_RATE // 2
"""Half a second a chunk: each read assembles at most this much, so no read is slow."""

FADE_MS = 5
"""Fade-out when the sound is cut (pause, jump, quit): long enough not to click."""

LEAD_IN_MS = 250
"""Silence the device plays before the session's first sample: a sound system, or a Bluetooth
speaker, that is just waking up drops the start of what it is given."""

State = Literal["held", "playing", "paused", "ended"]


@dataclass
class _Mark:
    """Device frames [device_frame, device_frame + frames) carried session samples from
    `sample` on (`advancing`), or silence while the session stood at `sample`."""

    device_frame: int
    frames: int
    sample: int
    advancing: bool


@dataclass
class _Then:
    """What happens once a fade-out has been read: pause, jump to `sample`, or end."""

    kind: Literal["pause", "jump", "end"]
    sample: int = 0
    chunks: Iterator[Samples] | None = None
    first: Samples | None = None


_EMPTY: Samples = np.zeros(0, dtype=np.int16)


class SessionStream:
    """The session's samples for an output to pull (implements coach.live.types.SampleSource).

    It starts held (silence, the session at its first sample) until `release()`.
    """

    def __init__(
        self,
        timeline: Timeline,
        audio: AudioSource,
        *,
        chunk_samples: int = LIVE_CHUNK_SAMPLES,
        fade_ms: int = FADE_MS,
        lead_in_ms: int = LEAD_IN_MS,
    ) -> None:
        self.timeline = timeline
        self.total = session_samples(timeline)
        """Samples in the whole session."""
        self._audio = audio
        self._chunk_samples = chunk_samples
        self._fade = np.linspace(1.0, 0.0, ms_to_samples(fade_ms) + 1)[1:]
        self._lead_in = ms_to_samples(lead_in_ms)
        self._lock = threading.Lock()
        # Guarded by _lock:
        self._state: State = "held"
        self._cursor = 0  # the session sample that comes next
        self._chunks: Iterator[Samples] | None
        self._chunks, self._chunk = self._prepare(0)
        self._offset = 0  # next sample of _chunk
        self._silence_first = 0  # frames of silence to give before the next session sample
        self._fade_at = len(self._fade)  # next sample of the fade; len(_fade): not fading
        self._then: _Then | None = None  # what follows the fade
        self._device_frames = 0  # frames read so far: the device's clock
        self._marks: deque[_Mark] = deque(maxlen=64)
        self._overlay: Samples = _EMPTY  # a sound mixed into the next reads (see overlay())
        self._overlay_at = 0

    # --- the player's side ------------------------------------------------------------------

    @property
    def state(self) -> State:
        """held (not released yet), playing, paused, or ended (a read came up short)."""
        with self._lock:
            return self._state

    @property
    def device_frames(self) -> int:
        """Frames the device has read so far, silence included: the device's own clock."""
        with self._lock:
            return self._device_frames

    def heard(self, latency_frames: int) -> int:
        """The session sample being heard now, with `latency_frames` between a read and the
        speaker. While paused, the sample the session stopped at."""
        with self._lock:
            frame = self._device_frames - latency_frames
            for mark in reversed(self._marks):
                if mark.device_frame <= frame:
                    if not mark.advancing:
                        return mark.sample
                    return mark.sample + min(frame - mark.device_frame, mark.frames)
            return self._marks[0].sample if self._marks else self._cursor

    def release(self) -> None:
        """Start the session, once the device has played at least the lead-in of silence."""
        with self._lock:
            if self._state == "held":
                self._silence_first = max(0, self._lead_in - self._device_frames)
                self._state = "playing"

    def pause(self, *, fade: bool = True) -> int:
        """Fade out and give silence from now on; return the session sample the sound stopped
        at (where the fade begins). Paused already: where it stopped. Without `fade`, pause
        at once (the device went away: nothing would hear the fade)."""
        with self._lock:
            if self._state == "playing" and not fade:
                stopped = self._then.sample if self._fading and self._then else self._cursor
                if self._then is not None and self._then.kind == "end":
                    self._state = "ended"
                    return self._cursor
                self._fade_at, self._then = len(self._fade), None
                self._silence_first = 0
                self._state, self._cursor, self._chunks = "paused", stopped, None
                return stopped
            if self._state == "playing":
                if self._silence_first and not self._fading:  # nothing is sounding yet
                    self._silence_first = 0
                    self._state = "paused"
                    self._chunks = None
                    return self._cursor
                # Mid-fade, stop where the sound was going (a jump's target, say).
                going_to = self._then.sample if self._fading and self._then else self._cursor
                then = self._fade_then(_Then("pause", going_to))
                return then.sample if then.kind == "pause" else self._cursor
            if self._state == "held":
                self._state = "paused"
            return self._cursor

    def play_from(self, sample: int, *, lead_in: bool = False) -> None:
        """Go on from session sample `sample`: at once when paused, after a fade when playing.
        With `lead_in`, the device first plays LEAD_IN_MS of silence (after a new start)."""
        sample = max(0, min(sample, self.total))
        chunks, first = self._prepare(sample)
        with self._lock:
            if self._state == "ended":
                return
            if self._state == "playing" and not self._silence_first:
                self._fade_then(_Then("jump", sample, chunks, first))
                return
            self._jump(sample, chunks, first)
            self._state = "playing"
            if lead_in:
                self._silence_first = self._lead_in

    def overlay(self, sound: Samples) -> None:
        """Mix `sound` into what the device plays from its next read on, whatever the
        session does meanwhile (plays, pauses, jumps or ends): an acknowledgement. The stream
        ends only once it has been given whole. A new sound replaces one still playing."""
        with self._lock:
            self._overlay, self._overlay_at = sound, 0

    def stop(self) -> None:
        """Fade out and end: the next read after the fade comes up short."""
        with self._lock:
            if self._state == "ended":
                return
            if self._state == "playing" and not self._silence_first:
                self._fade_then(_Then("end"))
                return
            self._state = "ended"

    # --- the output's side ------------------------------------------------------------------

    def read(self, frames: int) -> Samples:
        """The next `frames` samples; fewer once the session or a stop has ended it."""
        pieces: list[Samples] = []
        with self._lock:
            left = frames
            while left > 0 and self._state != "ended":
                if self._state in ("held", "paused"):
                    pieces.append(self._silence(left))
                    left = 0
                elif self._silence_first:
                    count = min(left, self._silence_first)
                    self._silence_first -= count
                    pieces.append(self._silence(count))
                    left -= count
                elif self._fading:
                    count = min(left, len(self._fade) - self._fade_at)
                    taken = self._take(count)
                    ramp = self._fade[self._fade_at : self._fade_at + len(taken)]
                    pieces.append(np.round(taken * ramp).astype(np.int16))
                    self._fade_at += len(taken)
                    left -= len(taken)
                    if len(taken) < count:
                        self._fade_at = len(self._fade)
                    if not self._fading:
                        self._after_fade()
                else:
                    taken = self._take(left)
                    pieces.append(taken)
                    left -= len(taken)
                    if left:
                        self._state = "ended"
            if self._overlay_at < len(self._overlay):
                return self._mix_overlay(pieces, frames)
        if not pieces:
            return _EMPTY
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    # --- inside the lock ----------------------------------------------------------------------

    def _mix_overlay(self, pieces: list[Samples], frames: int) -> Samples:
        """The read's samples with the overlay's next ones mixed in; after the session's end,
        silence carries what is left of the overlay (up to `frames`)."""
        read = np.concatenate(pieces) if pieces else _EMPTY
        left = len(self._overlay) - self._overlay_at
        if len(read) < frames:  # ended: play out the overlay
            padding = min(frames, len(read) + left) - len(read)
            read = np.concatenate([read, self._silence(padding)])
        count = min(len(read), left)
        mixed = read.astype(np.int32)
        mixed[:count] += self._overlay[self._overlay_at : self._overlay_at + count]
        self._overlay_at += count
        return np.clip(mixed, -32768, 32767).astype(np.int16)

    @property
    def _fading(self) -> bool:
        return self._fade_at < len(self._fade)

    def _fade_then(self, then: _Then) -> _Then:
        """Fade out, then do `then`; returns what the fade now leads to. Mid-fade, `then`
        takes the place of what was to follow, unless that is the end, which stands."""
        if not self._fading:
            self._fade_at = 0
            self._then = then
        elif self._then is None or self._then.kind != "end":
            self._then = then
        assert self._then is not None
        return self._then

    def _after_fade(self) -> None:
        then, self._then = self._then, None
        assert then is not None
        if then.kind == "pause":
            self._state = "paused"
            self._cursor = then.sample
            self._chunks = None
        elif then.kind == "jump":
            assert then.chunks is not None
            assert then.first is not None
            self._jump(then.sample, then.chunks, then.first)
        else:
            self._state = "ended"

    def _jump(self, sample: int, chunks: Iterator[Samples], first: Samples) -> None:
        self._cursor = sample
        self._chunks, self._chunk, self._offset = chunks, first, 0

    def _silence(self, count: int) -> Samples:
        self._note(count, advancing=False)
        return np.zeros(count, dtype=np.int16)

    def _take(self, count: int) -> Samples:
        """Up to `count` session samples from the cursor (fewer only at the session's end)."""
        pieces = []
        need = count
        while need:
            if self._offset >= len(self._chunk):
                following = next(self._chunks, None) if self._chunks is not None else None
                if following is None:
                    self._chunks, self._chunk, self._offset = None, _EMPTY, 0
                    break
                self._chunk, self._offset = following, 0
            piece = self._chunk[self._offset : self._offset + need]
            self._offset += len(piece)
            need -= len(piece)
            pieces.append(piece)
        taken = count - need
        if taken:
            self._note(taken, advancing=True)
            self._cursor += taken
        if not pieces:
            return _EMPTY
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    def _note(self, frames: int, *, advancing: bool) -> None:
        """Record that the next `frames` device frames carry this; merged with the last mark
        when they simply continue it, so a long hold is one mark."""
        last = self._marks[-1] if self._marks else None
        if (
            last is not None
            and last.advancing == advancing
            and last.device_frame + last.frames == self._device_frames
            and (last.sample + last.frames if advancing else last.sample) == self._cursor
        ):
            last.frames += frames
        else:
            self._marks.append(_Mark(self._device_frames, frames, self._cursor, advancing))
        self._device_frames += frames

    # --- outside the lock ---------------------------------------------------------------------

    def _prepare(self, sample: int) -> tuple[Iterator[Samples], Samples]:
        """The assembly from `sample` on, with its first chunk already made."""
        chunks = assemble_chunks(self.timeline, self._audio, self._chunk_samples, start=sample)
        return chunks, next(chunks, _EMPTY)
