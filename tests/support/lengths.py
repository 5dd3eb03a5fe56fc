"""Speech lengths estimated from the words: repeatable numbers for the plan stage's tests.

Real sessions use measured lengths from the synthesized clips (coach.sound.session_sounds);
this estimate only has to be close enough to plan with, and exactly repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_CUE_MS = {"exercise": 800, "hold-end": 500, "session-end": 1_500}


@dataclass(frozen=True)
class EstimatedLengths:
    """`SpeechLengths` from word counts at `rate` words per minute, plus a pause for each
    comma or sentence end. Chimes have fixed lengths."""

    rate: int = 165
    cue_lengths: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CUE_MS))

    def speech_ms(self, text: str) -> int:
        words = len(text.split())
        pauses = sum(text.count(mark) for mark in ",.:;?!") - (1 if text.endswith(".") else 0)
        return (words * 60_000) // self.rate + 100 * pauses + 150

    def cue_ms(self, name: str) -> int:
        return self.cue_lengths[name]
