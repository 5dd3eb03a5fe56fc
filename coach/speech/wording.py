"""What an engine is given to say: routine text with the shorthand that engines misread
spelled out.

Both engines read plain numbers well ("Exercise 1 of 5", "1.5 minutes"), but not the
shorthand a routine file may hold: "20s" came out as "twenty z", "30 sec" as "thirty sec",
"3x" as "three ex", "5-10" as "five dash ten". `spoken_text` writes those as words; all
else passes unchanged. It is part of how a phrase is made, so the phrase cache's
FORMAT_VERSION changes whenever it does.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["spoken_text"]

_NUMBER = r"(\d+(?:\.\d+)?)"

_UNITS = [
    (re.compile(_NUMBER + r"\s*(?:s|secs?|seconds?)\b", re.IGNORECASE), "second"),
    (re.compile(_NUMBER + r"\s*(?:mins?|minutes?)\b", re.IGNORECASE), "minute"),
]
_RANGE = re.compile(r"\b(\d+)\s*[-\u2013]\s*(\d+)\b")
_TIMES_AFTER = re.compile(r"\b(\d+)\s*[x\u00d7](?=\s|[.,;:!?]|$)", re.IGNORECASE)
_TIMES_BEFORE = re.compile(r"(?<![\w.])[x\u00d7]\s*(\d+)\b", re.IGNORECASE)


def _unit(word: str) -> Callable[[re.Match[str]], str]:
    def spell(match: re.Match[str]) -> str:
        number = match.group(1)
        return f"{number} {word}" + ("" if number == "1" else "s")

    return spell


def spoken_text(text: str) -> str:
    """`text` with number shorthand spelled out: "20s" -> "20 seconds", "5 min" ->
    "5 minutes", "3x" and "x3" -> "3 times", "5-10" -> "5 to 10".

    >>> spoken_text("Hold 20s, then 3x on each side, 5-10 reps.")
    'Hold 20 seconds, then 3 times on each side, 5 to 10 reps.'
    """
    text = _RANGE.sub(r"\1 to \2", text)
    for pattern, word in _UNITS:
        text = pattern.sub(_unit(word), text)
    text = _TIMES_AFTER.sub(r"\1 times", text)
    return _TIMES_BEFORE.sub(r"\1 times", text)
