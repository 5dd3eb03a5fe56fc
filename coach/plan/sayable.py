"""Every line of a routine must be something a voice can say.

A line of punctuation alone ("...", a dash) or of invisible characters (a zero-width space)
comes out of both engines as silence: the natural voice then fails half-way through a
session, and eSpeak gives a phrase of no length. So such a line is refused with the
routine's other mistakes, naming the file, the exercise and the field, before any speech.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:
    from coach.plan.routine import Routine


def has_words(text: str) -> bool:
    """True if `text` has a letter or a digit: something a voice can say.

    >>> has_words("Hold."), has_words("..."), has_words("\\u2014"), has_words("\\u200b 3")
    (True, False, False, True)
    """
    return any(char.isalnum() for char in text)


def check_sayable(routine: Routine, source: str) -> None:
    """CoachError for the first line of `routine` (read from `source`) that has no word."""
    spoken = {
        "title": (routine.title,),
        "description": (routine.description,),
        "safety": routine.safety,
        "setup": routine.setup,
        "closing": routine.closing,
    }
    for field, texts in spoken.items():
        _check(texts, f"{source}, field '{field}'", field)
    for number, exercise in enumerate(routine.exercises, start=1):
        where = f"{source}, exercise {number} ('{exercise.id}')"
        for field, texts in {
            "title": (exercise.title,),
            "instructions": exercise.instructions,
            "reminder": exercise.reminder,
            "release": exercise.release,
        }.items():
            _check(texts, f"{where}, field '{field}'", field)


def _check(texts: tuple[str, ...], where: str, field: str) -> None:
    for line, text in enumerate(texts, start=1):
        if text and not has_words(text):
            which = f"line {line} of '{field}'" if len(texts) > 1 else f"'{field}'"
            raise CoachError(
                f"{where}: {which} is {text!r}, which has nothing a voice can say (no letter "
                "or digit). Write it in words, or leave it out."
            )
