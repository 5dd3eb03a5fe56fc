"""How long things last: the plan stage's one seam, and the one rule for an event's length.

The fitter and the timeline both need to know how long a run of events lasts; both ask
`event_ms` here, so a fitted length is always the length of the timeline built from it.
Speech lengths come from outside through `SpeechLengths` (measured clips in real use,
plain numbers in tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from coach.plan.script import Cue, Event, Hold, Move, Relax, Rest, Say


class SpeechLengths(Protocol):
    """How long each spoken phrase and each chime lasts, in whole milliseconds."""

    def speech_ms(self, text: str) -> int:
        """Length of `text` spoken aloud (trimmed of leading and trailing silence)."""
        ...

    def cue_ms(self, name: str) -> int:
        """Length of the chime called `name`."""
        ...


@runtime_checkable
class KnownLengths(SpeechLengths, Protocol):
    """`SpeechLengths` that can also say which phrase lengths are known already, so a
    caller that only needs a lower bound need not have the rest made (synthesized)."""

    def known_speech_ms(self, text: str) -> int | None:
        """`speech_ms(text)` if it is known without making the phrase, else None."""
        ...


class AtLeast:
    """`SpeechLengths` that are lower bounds of `lengths`: the known phrase lengths, and
    0 for a phrase not made yet. Every event's length grows with its phrases' (see
    `event_ms`), so a run of events measured with these is never longer than it really
    is. Lengths without `known_speech_ms` are all known."""

    def __init__(self, lengths: SpeechLengths) -> None:
        self.lengths = lengths
        self.known = lengths.known_speech_ms if isinstance(lengths, KnownLengths) else None

    def speech_ms(self, text: str) -> int:
        if self.known is None:
            return self.lengths.speech_ms(text)
        known = self.known(text)
        return 0 if known is None else known

    def cue_ms(self, name: str) -> int:
        return self.lengths.cue_ms(name)


def event_ms(event: Event, lengths: SpeechLengths) -> int:
    """How far `event` moves the session on: a phrase or chime its length, a hold or rest
    exactly its own; a chapter or step marker takes no time. Words said inside a hold lie
    within it and add nothing; a move or a relax is its own length unless its words need
    more (`move_words_ms`, `relax_words_ms`)."""
    match event:
        case Say(text=text):
            return lengths.speech_ms(text)
        case Cue(name=name):
            return lengths.cue_ms(name)
        case Hold(ms=ms) | Rest(ms=ms):
            return ms
        case Move(ms=ms):
            return max(ms, move_words_ms(event, lengths))
        case Relax(ms=ms):
            return max(ms, relax_words_ms(event, lengths))
    return 0


def move_words_ms(move: Move, lengths: SpeechLengths) -> int:
    """What the words of a move need: its cue, the quiet to settle and its "Hold."."""
    cue = events_length_ms(move.cue, lengths)
    go = events_length_ms(move.go, lengths)
    return cue + move.settle_ms + go


def relax_words_ms(relax: Relax, lengths: SpeechLengths) -> int:
    """What a relax needs: its chime and release, then the quiet it keeps."""
    return events_length_ms(relax.release, lengths) + relax.quiet_ms


def events_length_ms(events: Iterable[Event], lengths: SpeechLengths) -> int:
    """Total length of a run of events, as the timeline places them."""
    return sum(event_ms(event, lengths) for event in events)
