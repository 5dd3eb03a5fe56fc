"""Every line of a routine must be something a voice can say.

A line of punctuation alone ("...", a dash) or of invisible characters (a zero-width space)
comes out of both engines as silence: the natural voice then fails half-way through a
session, and eSpeak gives a phrase of no length. So such a line is refused with the
routine's other mistakes, naming the file, the exercise and the field, before any speech.
"""

from __future__ import annotations

from collections.abc import Mapping

from coach.errors import CoachError


def has_words(text: str) -> bool:
    """True if `text` has a letter or a digit: something a voice can say.

    >>> has_words("Hold."), has_words("..."), has_words("\\u2014"), has_words("\\u200b 3")
    (True, False, False, True)
    """
    return any(char.isalnum() for char in text)


def check_lines(fields: Mapping[str, tuple[str, ...]], where: str) -> None:
    """CoachError for the first line with no word among `fields` (a field's name -> its
    lines) of the part of a routine that `where` names."""
    for field, texts in fields.items():
        _check(texts, f"{where}, field '{field}'", field)


def _check(texts: tuple[str, ...], where: str, field: str) -> None:
    for line, text in enumerate(texts, start=1):
        if text and not has_words(text):
            which = f"line {line} of '{field}'" if len(texts) > 1 else f"'{field}'"
            raise CoachError(
                f"{where}: {which} is {text!r}, which has nothing a voice can say (no letter "
                "or digit). Write it in words, or leave it out."
            )
