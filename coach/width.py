"""How many columns of a terminal text takes: one for most characters, two for wide ones
(CJK, most emoji), none for those that join or mark the one before (combining accents,
zero-width joiners and spaces, variation selectors). The status line and the tables the
commands print are fitted by this, not by counting characters, so a CJK title neither
wraps the status line nor leaves a table's columns askew.
"""

from __future__ import annotations

import unicodedata


def char_width(char: str) -> int:
    """The columns one character takes (0, 1 or 2).

    >>> [char_width(c) for c in ("a", "\\u6c34", "\\U0001f646", "\\u0301", "\\u200d")]
    [1, 2, 2, 0, 0]
    """
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """The columns `text` takes on one line.

    >>> display_width("Neck"), display_width("\\u6c34\\u6c34"), display_width("e\\u0301")
    (4, 4, 1)
    """
    return sum(char_width(char) for char in text)


def cut_to_width(text: str, width: int) -> str:
    """The longest start of `text` that takes at most `width` columns, with the marks that
    belong to its last character kept, and no joiner left dangling at its end.

    >>> cut_to_width("\\u6c34\\u6c34\\u6c34", 5), cut_to_width("abc", 2)
    ('\\u6c34\\u6c34', 'ab')
    """
    used = 0
    end = 0
    for index, char in enumerate(text):
        used += char_width(char)
        if used > width:
            break
        end = index + 1
    kept = text[:end]
    while kept and kept[-1] == "\u200d":
        kept = kept[:-1]
    return kept


def pad(text: str, width: int) -> str:
    """`text` followed by spaces to take `width` columns (as str.ljust counts characters).

    >>> pad("\\u6c34", 4) + "|"
    '\\u6c34  |'
    """
    return text + " " * max(width - display_width(text), 0)
