"""Live play: the session streamed to an audio output, with pause, skip, back and quit.

The device owns the clock. The player hands the output one `SessionStream` and from then on
only steers it: where the session stands is the stream's `heard()` (the frames the device has
actually played), never a timer of the player's own, so a slow device, a busy machine or a
stopped process cannot make the status line or the keys run ahead of the sound.

Between keys the player sleeps in the key source's `wait`, waking a few times a second to
refresh the status line and to check that the device is still playing; the device's thread
does the rest. Pausing fades out and stands still; resuming goes back to the start of an
instruction that was cut off. `n` and `p` jump in the stream to the next section or back
(a second `p` soon after goes to the section before), and quit fades out and stops.

With a `Voice` (see `coach.live.listener`), commands heard are acted on like their keys, but
"coach pause" only pauses and "coach go on" only goes on; each is acknowledged with the
"heard" chime, mixed over whatever is playing, and the status line says what was heard.
Every control, by key or voice, can be reported to `on_event` (a log, off a terminal).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from coach.errors import CoachError
from coach.live.status import SessionMap
from coach.live.stream import FADE_MS, LEAD_IN_MS, SessionStream
from coach.live.types import (
    CONTINUED,
    GO_ON,
    HOLD,
    NEXT,
    PAUSE,
    PREVIOUS,
    QUIT,
    SUSPEND,
    AudioOutput,
    ControlEvent,
    Display,
    Heard,
    KeySource,
    SampleSource,
    Status,
    Voice,
)
from coach.pcm import Samples
from coach.plan.timeline import Timeline
from coach.sound.assembly import AudioSource
from coach.time import SAMPLE_RATE, ms_to_samples, samples_to_ms

__all__ = ["CONTINUED", "NEXT", "PAUSE", "PREVIOUS", "QUIT", "SUSPEND", "NoKeys", "Player"]

STATUS_EVERY_S = 0.1
"""How often the player wakes while waiting, to refresh the status line and look at the
device. Also bounds how late Ctrl-C is noticed when the signal lands on another thread
(the audio device's): Python then only sets a flag, which the main thread sees when its
wait ends."""

RESTART_GRACE_MS = 3_000
"""`p` later than this into a section starts it again; sooner, it goes to the one before."""

STOP_WAIT_S = 0.25
"""On quit, how long the fade-out may take to be heard before the device is stopped."""

JUMP_MARGIN_MS = 60
"""After a jump, the device may read up to a period more of the old place before the new."""

END_WAIT_S = 2.0
"""Once the last sample is handed over, how long it may take to be heard."""

HEARD_SHOW_MS = 3_000
"""How long the status line says what was heard."""

KEY_NAMES = {PAUSE: "space", NEXT: "n", PREVIOUS: "p", QUIT: "q"}


class NoKeys:
    """No keyboard (stdin is not a terminal): waiting is just sleeping."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep

    def wait(self, seconds: float) -> str | None:
        if seconds > 0:
            self._sleep(seconds)
        return None

    def suspend(self) -> None:
        """Nothing to hand back without a terminal."""


class _Hidden:
    """A Display that shows nothing."""

    def status(self, status: Status) -> None:
        pass

    def notice(self, text: str) -> None:
        pass

    def clear(self) -> None:
        pass


@dataclass(frozen=True)
class PlayReport:
    """How a play ended."""

    finished: bool
    """The session was heard to its last sample."""


Mode = Literal["playing", "paused", "lost"]


class Player:
    """Plays a timeline through an AudioOutput as one stream, steered by keys.

    `closing_lines` is the number of closing lines the routine has (see SessionMap), so that
    `n` in the last exercise goes to the closing. Without `keys` there is no keyboard: a lost
    device then ends the play with a CoachError, since nobody can say when to go on.
    """

    def __init__(
        self,
        timeline: Timeline,
        audio: AudioSource,
        output: AudioOutput,
        *,
        keys: KeySource | None = None,
        display: Display | None = None,
        closing_lines: int = 0,
        sleep: Callable[[float], None] = time.sleep,
        voice: Voice | None = None,
        acknowledge: Samples | None = None,
        on_event: Callable[[ControlEvent], None] | None = None,
    ) -> None:
        self.timeline = timeline
        self.output = output
        self.keys: KeySource = keys or NoKeys(sleep)
        self.interactive = keys is not None
        self.display: Display = display or _Hidden()
        self.map = SessionMap(timeline, closing_lines)
        self.stream = SessionStream(timeline, audio)
        self.source: SampleSource = self.stream
        """What the output pulls: the stream, or something that passes it on (a tap)."""
        self.voice = voice
        self._acknowledge = acknowledge
        self._on_event = on_event
        self._heard = ""  # the phrase the status line shows...
        self._heard_until = 0  # ...until the device has played this many frames
        self._quit_wait_s = STOP_WAIT_S
        self._sleep = sleep
        self._audible = timeline.audible_clips()
        self._started = False
        self._mode: Mode = "playing"
        self._resume_at = 0  # session sample to go on from, when not playing
        self._jumped_to = 0  # session sample of the last jump while playing...
        self._jump_heard_at = 0  # ...and the device frame by which it is surely heard

    def warm(self) -> None:
        """Start the device on silence, ahead of `run` (say, while the user confirms), so it
        is awake when the session's first word comes. Raises CoachError if it cannot start."""
        if not self._started:
            self.output.start(self.source)
            self._started = True

    def run(self) -> PlayReport:
        """Play from the start to the end, or until `q`. On the way out, whatever the reason
        (Ctrl-C included), the sound fades out and the device has stopped."""
        self.warm()
        self.stream.release()
        try:
            finished = self._run()
        finally:
            self.stream.stop()
            self.output.drain(self._quit_wait_s)
            self.display.clear()
        return PlayReport(finished)

    def _run(self) -> bool:
        """Steer the play until the session ends (True once it is heard to its end) or the
        user quits (False)."""
        while True:
            if self.stream.state == "ended":
                return self.output.drain(END_WAIT_S)
            problem = self.output.problem()
            if problem is not None and self._mode != "lost":
                self._lose(problem)
            if self.voice is not None and (deaf := self.voice.problem()) is not None:
                self.voice = None
                self.display.notice(f"Stopped listening because {deaf}. The keys still work.")
            self.display.status(self.status())
            key = self.keys.wait(STATUS_EVERY_S)
            if key in KEY_NAMES:
                self._event(self._what(key), "key", KEY_NAMES[key])
            if key == QUIT:
                return False
            heard = self.voice.take() if self.voice is not None else None
            if heard is not None and self._obey(heard):
                return False
            if key == PAUSE:
                self._space()
            elif key in (NEXT, PREVIOUS):
                self._go(self._next_ms() if key == NEXT else self._previous_ms())
            elif key == SUSPEND:
                self._suspend()
            elif key == CONTINUED and self._mode == "playing":
                self._pause()

    # --- where the session stands ----------------------------------------------------------

    def position_samples(self) -> int:
        """The session sample heard now (where it stands, when paused)."""
        if self._mode != "playing":
            return self._resume_at
        if self.stream.device_frames < self._jump_heard_at:
            return self._jumped_to  # the fade before the jump is still being heard
        return self.stream.heard(self.output.latency_frames)

    def status(self) -> Status:
        """What the status line says now."""
        position_ms = samples_to_ms(self.position_samples())
        heard = self._heard if self.stream.device_frames < self._heard_until else ""
        return self.map.status_at(position_ms, paused=self._mode != "playing", heard=heard)

    def _resume_point(self, stopped_at: int) -> int:
        """Where to go on after the sound stopped at `stopped_at`: the start of a phrase or
        chime that was cut off (so it is heard whole), else right there."""
        at_ms = stopped_at * 1000 // SAMPLE_RATE
        for clip in self._audible:
            if clip.start_ms <= at_ms < clip.end_ms and ms_to_samples(clip.start_ms) < stopped_at:
                return ms_to_samples(clip.start_ms)
        return stopped_at

    # --- the voice -----------------------------------------------------------------------------

    def _obey(self, heard: Heard) -> bool:
        """Do what `heard` asks, as its key would, and acknowledge it; True to quit."""
        if self._acknowledge is not None:
            self.stream.overlay(self._acknowledge)
            if heard.action == QUIT:
                self._quit_wait_s = STOP_WAIT_S + len(self._acknowledge) / SAMPLE_RATE
        self._heard = heard.phrase
        self._heard_until = self.stream.device_frames + ms_to_samples(HEARD_SHOW_MS)
        self._event(self._what(heard.action), "voice", heard.phrase)
        if heard.action == QUIT:
            return True
        if heard.action == HOLD:
            if self._mode == "playing":
                self._pause()
        elif heard.action == GO_ON:
            if self._mode != "playing":
                self._space()
        elif heard.action in (NEXT, PREVIOUS):
            self._go(self._next_ms() if heard.action == NEXT else self._previous_ms())
        return False

    def _what(self, action: str) -> str:
        """What a key or a command does now, for the log."""
        if action == PAUSE:
            return "pause" if self._mode == "playing" else "go on"
        names = {HOLD: "pause", GO_ON: "go on", NEXT: "next", PREVIOUS: "back", QUIT: "stop"}
        return names[action]

    def _event(self, what: str, origin: Literal["key", "voice"], detail: str) -> None:
        if self._on_event is not None:
            at_ms = samples_to_ms(self.position_samples())
            self._on_event(ControlEvent(at_ms, what, origin, detail))

    # --- keys ----------------------------------------------------------------------------------

    def _pause(self) -> None:
        self._resume_at = self._resume_point(self.stream.pause())
        self._mode = "paused"

    def _space(self) -> None:
        if self._mode == "playing":
            self._pause()
        elif self._mode == "paused":
            self._play_from(self._resume_at)
        else:
            try:
                self.output.start(self.source)
            except CoachError as error:
                self.display.notice(
                    f"Still no sound. {error} Press space to try again, or q to quit."
                )
                return
            self.display.notice("Sound is back. Going on.")
            self._play_from(self._resume_at, lead_in=True)

    def _go(self, target_ms: int) -> None:
        target = min(ms_to_samples(target_ms), self.stream.total)
        if self._mode == "playing":
            self._play_from(target)
        else:
            self._resume_at = target

    def _play_from(self, sample: int, *, lead_in: bool = False) -> None:
        """Go on from `sample`; until the device is heard there, the status line says so."""
        self.stream.play_from(sample, lead_in=lead_in)
        self._mode = "playing"
        self._jumped_to = sample
        self._jump_heard_at = (
            self.stream.device_frames
            + ms_to_samples(FADE_MS + JUMP_MARGIN_MS + (LEAD_IN_MS if lead_in else 0))
            + self.output.latency_frames
        )

    def _next_ms(self) -> int:
        index = self.map.section_index(samples_to_ms(self.position_samples()))
        sections = self.map.sections
        return sections[index + 1].start_ms if index + 1 < len(sections) else self.timeline.total_ms

    def _previous_ms(self) -> int:
        position_ms = samples_to_ms(self.position_samples())
        index = self.map.section_index(position_ms)
        sections = self.map.sections
        if not sections:
            return 0
        if position_ms - sections[index].start_ms >= RESTART_GRACE_MS or index == 0:
            return sections[index].start_ms
        return sections[index - 1].start_ms

    def _suspend(self) -> None:
        if self._mode == "playing":
            self._pause()
            # Let the fade-out reach the speaker before the process stops.
            self._sleep(ms_to_samples(FADE_MS) / SAMPLE_RATE + self._latency_s() + 0.02)
        self.display.clear()
        self.keys.suspend()

    def _lose(self, problem: str) -> None:
        stopped_at = self.stream.pause(fade=False)
        if not self.interactive:
            raise CoachError(
                f"The sound stopped during the session because {problem}. Check your speakers "
                "or headphones and run coach play again, or make a file to play on your "
                "phone instead: coach render -o session.mp3"
            )
        if self._mode == "playing":
            self._resume_at = self._resume_point(stopped_at)
        self._mode = "lost"
        self.display.notice(
            f"The sound stopped because {problem}. Check your speakers or headphones, then "
            "press space to go on from where it stopped, or q to quit."
        )

    def _latency_s(self) -> float:
        return self.output.latency_frames / SAMPLE_RATE
