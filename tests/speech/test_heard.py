"""What a driver hears: phrases of the built-in session, each alone, through an offline
recogniser (Whisper base). Phrases that start with a soft sound were the ones cut: "Hold."
heard as "old", "Three slow rolls." as "Brie slow rolls", "Breathe slowly" as "Free slowly"."""

from __future__ import annotations

from typing import Any

import pytest

from coach.sound.session_sounds import SessionSounds, open_sounds
from coach.speech.voices import NEURAL_VOICE
from support.recogniser import heard, whisper_base, words

pytest.importorskip("faster_whisper", reason="the recogniser is not installed (the test extra)")
pytest.importorskip("piper", reason="the natural voice is not installed (the neural extra)")
pytestmark = pytest.mark.tts

SOFT_STARTS = [
    "Hold.",
    "Three slow rolls.",
    "Breathe slowly. Hands level.",
    "Keep breathing. Keep your shoulders down.",
    "Slowly down.",
    "Sit tall as they roll back.",
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return whisper_base(tmp_path_factory.mktemp("whisper-base"))


@pytest.fixture(scope="module")
def sounds() -> SessionSounds:
    sounds = open_sounds(NEURAL_VOICE)
    sounds.synthesize(SOFT_STARTS, None)
    return sounds


@pytest.mark.parametrize("text", SOFT_STARTS)
def test_a_phrase_that_starts_softly_is_heard_from_its_first_word(
    model: Any, sounds: SessionSounds, text: str
) -> None:
    said = heard(model, sounds.speech(text))  # mastered, as it is played
    assert words(said)[:2] == words(text)[:2], said


def test_the_recogniser_is_a_judge_that_can_tell(model: Any, sounds: SessionSounds) -> None:
    """The same recogniser, given the phrase's first 40 ms cut away, hears it wrong: a
    clipped onset is what this checks for."""
    clip = sounds.speech("Three slow rolls.")
    said = heard(model, clip[int(0.04 * 22_050) :])
    assert words(said)[:1] != ["three"], said
