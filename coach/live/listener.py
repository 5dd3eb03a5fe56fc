"""Listening during live play: the microphone's samples to commands, leaving out the coach's own
voice.

The microphone also hears the speakers. The coach knows exactly which samples it played and
when (`PlayedTap` notes each block the device pulls), so `Ears` first takes them out of what
the microphone captured (`coach.live.echo.EchoCanceller`), then runs the spotter (by default,
short utterances said on their own) over what is left. What it finds is a candidate: a
stronger recogniser weighs the second of sound around it (`coach.live.verifying`) and says
which command it is, or that it is none.
Optionally, the same spotter also runs over what was played, and a phrase found in both at
the same moment is the coach's own (`echo_spotter`; off by default, as cancellation and the
verifier leave it nothing to do, and it costs as much as the spotter).

Threads: the audio output's thread and the microphone's only append to a deque or queue and
return (nothing there waits for a lock the listener holds); `Listener` runs the canceller,
the spotters and the verifier on a thread of its own, hands each command to the player
through `take()`, and calls `wake` so a player waiting for keys acts on it at once.
"""

from __future__ import annotations

import bisect
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coach.live.spotting import COMMANDS
from coach.live.types import (
    EchoRemover,
    Heard,
    Microphone,
    SampleSource,
    Spotted,
    Spotter,
    Verifier,
)
from coach.pcm import Samples
from coach.time import SAMPLE_RATE

if TYPE_CHECKING:
    from coach.live.player import Player

ECHO_MARGIN_S = 0.6
"""A phrase heard within this of one the speakers carried is the coach's own (the times of
the two come from different clocks: the output's reads and the microphone's blocks, each
with its sound system's buffering)."""

ECHO_WAIT_S = 0.3
"""How long a phrase found in the microphone may wait for the played samples of its time to be
looked at (they are usually there already: the device is given them before they sound)."""

HEAD_S = 0.3
"""Sound before a candidate's start that the verifier hears too (the spotter may start a
phrase late)."""

TAIL_S = 0.25
"""...and after its end (it may end a phrase early, and "go on" trails off)."""

KEEP_S = 4.0
"""How much cleaned sound is kept for the verifier."""

BEHIND_S = 0.5
"""When the listener is this far behind the microphone (a busy machine), candidates are let
go unweighed until it has caught up: a command taken seconds late would do the wrong thing,
and weighing every candidate would keep it behind."""

QUEUE_BLOCKS = 200
"""Blocks of captured or played sound waiting for the listener (about 10 s of each): beyond
that the oldest are dropped rather than ever make a device's thread wait."""


class PlayedTap:
    """A SampleSource that passes its source's samples on and notes each block with the time it
    was handed to the device, for `Ears` to hear what the speakers carry."""

    def __init__(self, source: SampleSource, clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.blocks: deque[tuple[float, Samples]] = deque(maxlen=QUEUE_BLOCKS)
        self._clock = clock

    def read(self, frames: int) -> Samples:
        samples = self.source.read(frames)
        self.blocks.append((self._clock(), samples))
        return samples


@dataclass(frozen=True)
class _Span:
    start: float
    end: float


class Ears:
    """Commands from the microphone's samples, given what the speakers played (no threads: the
    Listener and the benchmark drive it).

    `spotter` finds candidates in the microphone's sound, after `canceller` (None: none) took
    out what was played; `verifier` (None: the spotter is believed) says which command each
    is, if any. `echo_spotter` (None: off) hears what was played, for the older check by
    timing. `latency_s` is how long a sample handed to the output takes to be heard.
    """

    def __init__(
        self,
        spotter: Spotter,
        *,
        canceller: EchoRemover | None = None,
        verifier: Verifier | None = None,
        echo_spotter: Spotter | None = None,
        latency_s: float = 0.0,
    ) -> None:
        self.spotter = spotter
        self.canceller = canceller
        self.verifier = verifier
        self.echo_spotter = echo_spotter
        self.latency_s = latency_s
        self.dropped: list[Spotted] = []
        """Candidates not weighed: the speakers had carried them (`echo_spotter`), they were
        part of a command already taken or of sound the verifier already weighed, or the
        listener was BEHIND_S behind."""
        self.rejected: list[Spotted] = []
        """Candidates the verifier found no command in."""
        self._captured = 0
        self._arrivals: list[tuple[float, int]] = []  # (time a block came, samples by then)
        self._played_until = float("-inf")  # heard time of the end of what was played
        self._echoes: deque[_Span] = deque(maxlen=64)
        self._played_at: deque[tuple[float, int]] = deque(maxlen=QUEUE_BLOCKS)
        self._played = 0
        self._waiting: list[tuple[Spotted, _Span]] = []
        self._kept: deque[Samples] = deque()  # the last KEEP_S of cleaned sound...
        self._kept_from = 0  # ...from this captured index...
        self._cleaned = 0  # ...to this one
        self._taken_until = 0  # the end of the sound the last command was heard in
        self._judged_until = 0  # the end of the sound the verifier last weighed
        self.behind_s = 0.0
        """How far behind the microphone the caller is (set by the Listener)."""

    def played(self, samples: Samples, handed_at: float) -> None:
        """The output was handed `samples` at `handed_at` (time.monotonic())."""
        heard_at = handed_at + self.latency_s
        self._played_at.append((heard_at, self._played))
        self._played += len(samples)
        self._played_until = heard_at + len(samples) / SAMPLE_RATE
        if self.canceller is not None:
            self.canceller.played(samples)
        if self.echo_spotter is None:
            return
        for spotted in self.echo_spotter.feed(samples):
            self._echoes.append(
                _Span(self._played_time(spotted.start), self._played_time(spotted.end))
            )

    def captured(self, samples: Samples, arrived_at: float) -> list[Heard]:
        """The microphone gave `samples`, its last at `arrived_at`; the commands now known."""
        self._captured += len(samples)
        self._arrivals.append((arrived_at, self._captured))
        if len(self._arrivals) > QUEUE_BLOCKS:
            del self._arrivals[: len(self._arrivals) - QUEUE_BLOCKS]
        cleaned = samples
        if self.canceller is not None:
            cleaned = self.canceller.cancel(samples, self._lag_hint(arrived_at))
        self._keep(cleaned)
        for spotted in self.spotter.feed(cleaned):
            span = _Span(self._captured_time(spotted.start), self._captured_time(spotted.end))
            self._waiting.append((spotted, span))
        return self.decide(arrived_at)

    def decide(self, now: float) -> list[Heard]:
        """The candidates waiting that can be told apart from the coach's voice by now, and
        weighed by the verifier."""
        heard = []
        still = []
        tail = round(TAIL_S * SAMPLE_RATE) if self.verifier is not None else 0
        for spotted, span in self._waiting:
            looked_at = self.echo_spotter is None or self._played_until >= span.end + ECHO_MARGIN_S
            ready = looked_at and self._cleaned >= spotted.end + tail
            if not ready and now - span.end < ECHO_WAIT_S + tail / SAMPLE_RATE:
                still.append((spotted, span))
            elif (
                self._is_echo(span)
                or spotted.start < self._taken_until
                or spotted.end + tail <= self._judged_until
                or (self.verifier is not None and self.behind_s > BEHIND_S)
            ):
                self.dropped.append(spotted)
            elif (phrase := self._verify(spotted)) is None:
                self.rejected.append(spotted)
                self._judged_until = spotted.end + tail
            else:
                heard.append(Heard(phrase, COMMANDS[phrase]))
                self._taken_until = self._judged_until = spotted.end + tail
        self._waiting = still
        return heard

    def _verify(self, spotted: Spotted) -> str | None:
        if self.verifier is None:
            return spotted.phrase if spotted.phrase in COMMANDS else None
        head = round(HEAD_S * SAMPLE_RATE)
        tail = round(TAIL_S * SAMPLE_RATE)
        return self.verifier.confirm(self._clip(spotted.start - head, spotted.end + tail))

    def _keep(self, cleaned: Samples) -> None:
        self._kept.append(cleaned)
        self._cleaned += len(cleaned)
        keep = round(KEEP_S * SAMPLE_RATE)
        while self._kept and self._cleaned - self._kept_from - len(self._kept[0]) >= keep:
            self._kept_from += len(self._kept.popleft())

    def _clip(self, first: int, end: int) -> Samples:
        """Cleaned samples `first` to `end` (as far as they are kept)."""
        if not self._kept:
            return np.zeros(0, dtype=np.int16)
        kept = np.concatenate(list(self._kept))
        low = max(first - self._kept_from, 0)
        return kept[low : max(end - self._kept_from, low)]

    def _lag_hint(self, now: float) -> int | None:
        """How many samples later the microphone's count is than the played count, for sound
        heard at `now`, by the clocks (None before anything was played)."""
        if not self._played_at:
            return None
        heard_at, count = self._played_at[-1]
        for entry in reversed(self._played_at):
            if entry[0] <= now:
                heard_at, count = entry
                break
        played_now = count + round((now - heard_at) * SAMPLE_RATE)
        return self._captured - played_now

    def _is_echo(self, span: _Span) -> bool:
        return any(
            echo.start - ECHO_MARGIN_S < span.end and span.start < echo.end + ECHO_MARGIN_S
            for echo in self._echoes
        )

    def _captured_time(self, index: int) -> float:
        """When microphone sample `index` was captured (about: a block's samples are taken to
        have come at an even pace up to its arrival)."""
        counts = [count for _, count in self._arrivals]
        at = min(bisect.bisect_right(counts, index), len(self._arrivals) - 1)
        arrived, count = self._arrivals[at]
        return arrived - (count - index) / SAMPLE_RATE

    def _played_time(self, index: int) -> float:
        """When played sample `index` was heard."""
        best = self._played_at[0]
        for entry in self._played_at:
            if entry[1] > index:
                break
            best = entry
        return best[0] + (index - best[1]) / SAMPLE_RATE


class Listener:
    """Listens on a thread of its own while live play runs (implements coach.live.types.Voice).

    `start(tap)` opens listening: the microphone delivers into a queue, the tap's blocks are
    what the speakers get. `wake` is called (from the listener's thread) whenever a command is
    ready to `take()`.
    """

    def __init__(
        self,
        microphone: Microphone,
        ears: Ears,
        *,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.microphone = microphone
        self.ears = ears
        self.wake = wake
        self._clock = clock
        self._captured: queue.Queue[tuple[float, Samples]] = queue.Queue(QUEUE_BLOCKS)
        self._heard: deque[Heard] = deque()
        self._tap: PlayedTap | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.overflows = 0
        """Captured blocks dropped because the listener fell behind."""
        self.failure: BaseException | None = None
        """What stopped the listener's thread, if anything did."""

    def start(self, tap: PlayedTap | None) -> None:
        """Start the microphone and the listener's thread (CoachError if the microphone will
        not start)."""
        self._tap = tap
        self.microphone.start(self._deliver)
        self._thread = threading.Thread(target=self._listen, name="coach-listener", daemon=True)
        self._thread.start()

    def take(self) -> Heard | None:
        try:
            return self._heard.popleft()
        except IndexError:
            return None

    def problem(self) -> str | None:
        """Why listening stopped, or None while it listens."""
        if self.failure is not None:
            return f"listening failed ({self.failure})"
        return self.microphone.problem()

    def close(self) -> None:
        """Stop the microphone and the thread. Safe to call twice."""
        self._stop.set()
        self.microphone.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # --- the microphone's thread ----------------------------------------------------------------

    def _deliver(self, samples: Samples) -> None:
        try:
            self._captured.put_nowait((self._clock(), samples))
        except queue.Full:
            self.overflows += 1

    # --- the listener's thread ------------------------------------------------------------------

    def _listen(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    arrived, samples = self._captured.get(timeout=0.1)
                except queue.Empty:
                    self._hear_played()
                    self._publish(self.ears.decide(self._clock()))
                    continue
                self._hear_played()
                self.ears.behind_s = self._clock() - arrived
                self._publish(self.ears.captured(samples, arrived))
        except Exception as error:  # reported through problem(); play goes on with keys
            self.failure = error

    def _hear_played(self) -> None:
        tap = self._tap
        if tap is None:
            return
        while tap.blocks:
            handed_at, samples = tap.blocks.popleft()
            self.ears.played(samples, handed_at)

    def _publish(self, heard: list[Heard]) -> None:
        if heard:
            self._heard.extend(heard)
            self.wake()


def open_ears() -> Ears:
    """Ears with the default spotter and verifier, and echo cancellation; a CoachError saying
    how to install them where an engine is missing."""
    from coach.live.echo import EchoCanceller
    from coach.live.spotting import open_spotter
    from coach.live.verifying import open_verifier

    return Ears(open_spotter(), canceller=EchoCanceller(), verifier=open_verifier())


class Listening:
    """Listening for one live play: a context manager around `Player.run`.

    Made before the device starts, it puts a tap between the player's stream and the output.
    Entering opens the microphone and starts the listener; a missing or busy microphone is
    said through `notice` and the play goes on with keys alone. Leaving stops it all.
    """

    def __init__(
        self,
        ears: Ears,
        player: Player,
        notice: Callable[[str], None],
        microphone: Callable[[], Microphone] | None = None,
    ) -> None:
        self.ears = ears
        self.player = player
        self.notice = notice
        self._microphone = microphone
        self.tap = PlayedTap(player.stream)
        player.source = self.tap
        ears.latency_s = player.output.latency_frames / SAMPLE_RATE
        self.listener: Listener | None = None

    def __enter__(self) -> Listener | None:
        from coach.errors import CoachError
        from coach.live.inputs import open_microphone

        try:
            microphone = (self._microphone or open_microphone)()
        except CoachError as error:
            self.notice(str(error))
            return None
        listener = Listener(microphone, self.ears)
        try:
            listener.start(self.tap)
        except CoachError as error:
            listener.close()
            self.notice(str(error))
            return None
        self.listener = listener
        self.player.voice = listener
        return listener

    def __exit__(self, *_exc: object) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
