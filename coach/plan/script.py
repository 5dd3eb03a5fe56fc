"""The Script: the ordered events of a coached session, before anything is timed.

Frozen values only, times in integer milliseconds. The compiler writes a Script; the timeline
turns it into clips at absolute times once speech lengths are known.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Chapter:
    """Start of a part of the session: the opening (exercise_id None) or one exercise."""

    title: str
    exercise_id: str | None


@dataclass(frozen=True)
class Step:
    """Where the session is within an exercise, for display ("left side, 2 of 3")."""

    label: str


@dataclass(frozen=True)
class Say:
    """Speak a phrase."""

    text: str


@dataclass(frozen=True)
class HoldWord:
    """A word said inside a hold, starting `at_ms` after the hold begins (moved earlier if
    it would run past the end: words never lengthen a hold)."""

    at_ms: int
    text: str


@dataclass(frozen=True)
class Hold:
    """A timed hold of exactly `ms`, from the end of the phrase before it to the start of
    whatever follows. `counted` holds are slow movements the coach counts out."""

    ms: int
    words: tuple[HoldWord, ...] = ()
    counted: bool = False


@dataclass(frozen=True)
class Rest:
    """Silence of exactly `ms`."""

    ms: int


@dataclass(frozen=True)
class Move:
    """The time a person takes to get into position for a rep: at least `ms` from the start
    of the movement cue to the start of the hold.

    `cue` (the count and the words that name the movement) is said from its start while the
    user moves; `go` ("Hold.") ends it, so the hold starts the moment it is said. Quiet lies
    between them. Only where the words need more than `ms`, with `settle_ms` of quiet before
    `go`, does the move grow, just enough to fit them.
    """

    ms: int
    cue: tuple[Say | Rest, ...]
    go: tuple[Say, ...] = ()
    settle_ms: int = 0


@dataclass(frozen=True)
class Relax:
    """The rest after a hold: exactly `ms` from the end of the hold, mostly quiet.

    `release` (the chime and how to come out of the stretch) is said from its start; after
    it, at least `quiet_ms` stay without a word or a chime. Only where the release and that
    quiet need more than `ms` does the relax grow, just enough to fit them.
    """

    ms: int
    release: tuple[Say | Rest | Cue, ...] = ()
    quiet_ms: int = 0


@dataclass(frozen=True)
class Cue:
    """A chime, by name (the chimes themselves are sound: see coach.sound.chimes)."""

    name: str


Event = Chapter | Step | Say | Hold | Rest | Move | Relax | Cue


@dataclass(frozen=True)
class Script:
    """A compiled session: its title and its events in order."""

    title: str
    events: tuple[Event, ...]

    def all_events(self) -> Iterator[Event]:
        """Every event in the order it happens: a move or a relax, then what is said inside
        it (a move's cue, then its "Hold."; a relax's release)."""
        for event in self.events:
            yield event
            if isinstance(event, Move):
                yield from event.cue
                yield from event.go
            elif isinstance(event, Relax):
                yield from event.release

    def silent_ms(self) -> int:
        """The holds, rests, moves and relax times alone: a length the session is sure to
        reach, known before any phrase is spoken (what is said inside a move or a relax is
        within it)."""
        return sum(
            event.ms for event in self.events if isinstance(event, Hold | Rest | Move | Relax)
        )

    def phrases(self) -> list[str]:
        """Every distinct text the session speaks, in order of first use."""
        seen: dict[str, None] = {}
        for event in self.all_events():
            if isinstance(event, Say):
                seen.setdefault(event.text)
            elif isinstance(event, Hold):
                for word in event.words:
                    seen.setdefault(word.text)
        return list(seen)
