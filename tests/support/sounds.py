"""Clip audio for the live tests: every clip as long as the timeline says, and told apart."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from coach.pcm import Samples
from coach.plan.timeline import Clip
from coach.time import ms_to_samples
from support.lengths import EstimatedLengths
from support.timelines import sound_of


def ramp_audio(lengths: EstimatedLengths) -> Callable[[Clip], Samples]:
    """An audio source whose clips last as `lengths` says, each a ramp of its own with no zero
    sample in it, so a sample dropped, repeated or moved shows. Made once a text and kept, as
    the phrase book keeps its clips."""
    made: dict[str, Samples] = {}

    def audio(clip: Clip) -> Samples:
        text = sound_of(clip) or ""
        if text not in made:
            ms = lengths.speech_ms(text) if clip.kind == "speech" else lengths.cue_ms(text)
            base = 1000 * (len(made) + 1) % 20_000
            made[text] = (np.arange(ms_to_samples(ms)) % 97 + base + 1).astype(np.int16)
        return made[text]

    return audio
