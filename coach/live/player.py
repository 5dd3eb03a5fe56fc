"""Live play: the timeline through an audio output, on time, with pause, skip and quit.

Every clip starts at `origin + start_ms` on a monotonic clock, computed afresh for each clip,
so lateness never accumulates into drift. Between clips the player waits on the key source
(which sleeps), so a hold costs next to no CPU. Pausing freezes the timeline: on resume the
origin moves by the time spent paused, and an instruction that was cut off starts again.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from coach.live.status import Status, status_at
from coach.live.types import AudioOutput, Clock, KeySource, PlayingClip
from coach.plan.timeline import Clip, Timeline
from coach.sound.assembly import AudioSource
from coach.time import SAMPLE_RATE

STATUS_EVERY_S = 0.1
"""How often the player wakes while waiting, to refresh the status line. Also bounds how
late Ctrl-C is noticed when the signal lands on another thread (the audio device's):
Python then only sets a flag, which the main thread sees when its wait ends."""

PAUSE, NEXT, PREVIOUS, QUIT = " ", "n", "p", "q"


class NoKeys:
    """No keyboard (stdin is not a terminal): waiting is just sleeping."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep

    def wait(self, seconds: float) -> str | None:
        if seconds > 0:
            self._sleep(seconds)
        return None


@dataclass
class Onset:
    """When one clip was due and when the player started it (seconds on the player's clock)."""

    clip: Clip
    due: float
    started: float

    @property
    def error_ms(self) -> float:
        return (self.started - self.due) * 1000


@dataclass
class PlayReport:
    """What happened during a play: every clip started, and how it ended."""

    onsets: list[Onset] = field(default_factory=list)
    quit: bool = False
    finished: bool = False


class Player:
    """Plays a timeline through an AudioOutput, reacting to keys between and during clips.

    `speed` compresses time (2.0 plays the schedule twice as fast) for tests and benchmarks;
    the clips themselves are handed to the output unchanged.
    """

    def __init__(
        self,
        timeline: Timeline,
        audio: AudioSource,
        output: AudioOutput,
        *,
        keys: KeySource | None = None,
        clock: Clock = time.monotonic,
        show: Callable[[Status], None] | None = None,
        speed: float = 1.0,
    ) -> None:
        self.timeline = timeline
        self.audio = audio
        self.output = output
        self.keys = keys or NoKeys()
        self.clock = clock
        self.show = show
        self.speed = speed
        self.audible = timeline.audible_clips()
        self._audible_starts = [clip.start_ms for clip in self.audible]
        self._chapter_starts = [chapter.start_ms for chapter in timeline.chapters]
        self._playing: PlayingClip | None = None
        self._playing_clip: Clip | None = None

    def run(self) -> PlayReport:
        """Play from the start to the end, or until `q`. Stops the sound on any exception
        (Ctrl-C included) before letting it through."""
        report = PlayReport()
        try:
            self._run(report)
        finally:
            self._stop_sound()
        return report

    def _run(self, report: PlayReport) -> None:
        origin = self.clock()
        index = 0
        while True:
            due_ms = self.audible[index].start_ms if index < len(self.audible) else None
            end_ms = self.timeline.total_ms if due_ms is None else due_ms
            due = origin + end_ms / 1000 / self.speed
            key = self._wait_until(due, origin)
            if key is None:
                if due_ms is None:
                    report.finished = True
                    self._show(origin, finished=True)
                    return
                self._start(self.audible[index], due, report)
                index += 1
                continue
            if key == QUIT:
                report.quit = True
                return
            position_ms = self._position_ms(origin)
            if key == PAUSE:
                resume_at = self._pause(position_ms)
                if resume_at is None:
                    report.quit = True
                    return
                position_ms = resume_at
            elif key == NEXT:
                position_ms = self._chapter_after(position_ms)
                self._stop_sound()
            elif key == PREVIOUS:
                position_ms = self._chapter_start(position_ms)
                self._stop_sound()
            else:
                continue
            origin = self.clock() - position_ms / 1000 / self.speed
            index = bisect.bisect_left(self._audible_starts, position_ms)

    def _wait_until(self, due: float, origin: float) -> str | None:
        """Sleep until `due`, refreshing the status line; return a key if one comes first."""
        while True:
            left = due - self.clock()
            if left <= 0:
                return None
            self._show(origin)
            key = self.keys.wait(min(left, STATUS_EVERY_S))
            if key is not None:
                return key

    def _start(self, clip: Clip, due: float, report: PlayReport) -> None:
        samples = self.audio(clip)
        started = self.clock()
        self._playing = self.output.play(samples, SAMPLE_RATE)
        self._playing_clip = clip
        report.onsets.append(Onset(clip, due, started))

    def _pause(self, position_ms: int) -> int | None:
        """Hold everything until space again (None if `q` instead). Returns where to resume:
        the start of an instruction that was cut off, else where the pause began."""
        cut_off = self._playing_clip if self._sounding() else None
        self._stop_sound()
        self._show_status(position_ms, paused=True)
        while True:
            key = self.keys.wait(STATUS_EVERY_S)
            if key == QUIT:
                return None
            if key == PAUSE:
                break
        if cut_off is not None and not self._inside_hold(cut_off):
            return cut_off.start_ms
        return position_ms

    def _sounding(self) -> bool:
        return self._playing is not None and self._playing.is_playing()

    def _stop_sound(self) -> None:
        if self._playing is not None:
            self._playing.stop()
        self._playing = None
        self._playing_clip = None

    def _inside_hold(self, clip: Clip) -> bool:
        return any(
            other.kind == "hold" and other.start_ms <= clip.start_ms < other.end_ms
            for other in self.timeline.clips
        )

    def _chapter_after(self, position_ms: int) -> int:
        index = bisect.bisect_right(self._chapter_starts, position_ms)
        if index < len(self._chapter_starts):
            return self._chapter_starts[index]
        return self.timeline.total_ms

    def _chapter_start(self, position_ms: int) -> int:
        index = bisect.bisect_right(self._chapter_starts, position_ms) - 1
        return self._chapter_starts[max(index, 0)]

    def _position_ms(self, origin: float) -> int:
        elapsed_ms = round((self.clock() - origin) * 1000 * self.speed)
        return max(0, min(elapsed_ms, self.timeline.total_ms))

    def _show(self, origin: float, finished: bool = False) -> None:
        self._show_status(self._position_ms(origin), finished=finished)

    def _show_status(self, position_ms: int, paused: bool = False, finished: bool = False) -> None:
        if self.show is not None:
            self.show(status_at(self.timeline, position_ms, paused=paused, finished=finished))
