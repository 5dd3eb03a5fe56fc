"""The names of the files the coach makes: one function, so that every name is one that
every file system takes.

Phones and car USB sticks use FAT32 or exFAT, Windows reserves a few names whatever their
ending, and Linux and macOS hold a name to 255 bytes. `file_name` turns a title (an
exercise's, a routine's) into a name that passes on all of them:

- no character that FAT32, exFAT or Windows refuses (`\\ / : * ? " < > |` and control
  characters), each written as "-" instead;
- no dot or space at either end of the title (Windows drops trailing ones, and a leading
  dot hides a file);
- not a name Windows reserves (CON, PRN, AUX, NUL, COM1 to COM9, LPT1 to LPT9, with any
  ending: "nul.txt" is NUL too), which gets a "_" after it;
- at most MAX_MADE_BYTES of UTF-8, so that the temporary name it is written under
  (`coach.files` adds TEMPORARY_EXTRA_BYTES) still fits in 255; a longer title is
  shortened, ending in "...", and the result says so (`FileName.shortened`), so
  `coach check` can warn about it. Since a UTF-8 byte is never fewer than a UTF-16 unit,
  the names also fit FAT32's and exFAT's 255 UTF-16 units.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from coach.errors import is_control

MAX_NAME_BYTES = 255
"""The longest file name (in UTF-8 bytes) that Linux and macOS file systems take."""

TEMPORARY_EXTRA_BYTES = len(b"..12345678.tmp")
"""What `coach.files` adds to a name for the temporary file it is written under."""

MAX_MADE_BYTES = MAX_NAME_BYTES - TEMPORARY_EXTRA_BYTES
"""The longest name the coach makes (241 bytes)."""

SHORTENED = "\u2026"
"""Ends a title that was shortened to fit."""

FALLBACK = "part"
"""The name of a title with nothing in it that a file name can keep."""

_REFUSED = re.compile(r'[\\/:*?"<>|]')

RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{device}{number}" for device in ("COM", "LPT") for number in "123456789\u00b9\u00b2\u00b3"]
)
"""Names Windows gives to devices, in any case and with any ending after a dot."""


@dataclass(frozen=True)
class FileName:
    """A name `file_name` made, and whether the title had to be shortened for it."""

    name: str
    shortened: bool


def file_name(title: str, suffix: str = "", *, prefix: str = "") -> FileName:
    """`prefix` + `title` made safe + `suffix`: "01 " + "Neck release" + ".mp3".

    The prefix and suffix are the coach's own (a track number, a length, an ending) and
    are kept whole; only the title is cleaned and, when the whole name would be longer
    than MAX_MADE_BYTES, shortened.

    >>> file_name("Neck release", ".mp3", prefix="01 ").name
    '01 Neck release.mp3'
    >>> file_name('A: "b"/c?. ', ".m3u8").name
    'A- -b--c-.m3u8'
    >>> file_name("nul.txt", ".m3u8").name, file_name("CON").name
    ('nul_.txt.m3u8', 'CON_')
    >>> made = file_name("\u6c34" * 100, ".mp3")
    >>> len(made.name.encode()), made.shortened
    (241, True)
    """
    cleaned = "".join("-" if is_control(char) else char for char in _REFUSED.sub("-", title))
    cleaned = cleaned.replace("\n", "-").replace("\r", "-").replace("\t", " ")
    cleaned = cleaned.strip(" .") or FALLBACK
    room = MAX_MADE_BYTES - len(prefix.encode("utf-8")) - len(suffix.encode("utf-8"))
    shortened = len(cleaned.encode("utf-8")) > room
    if shortened:
        cleaned = _cut(cleaned, room - len(SHORTENED.encode("utf-8"))) + SHORTENED
    name = _not_reserved(f"{prefix}{cleaned}{suffix}").rstrip(" .")
    return FileName(name, shortened)


def _cut(text: str, room: int) -> str:
    """The longest start of `text` that takes at most `room` bytes, cut between whole
    characters as they are seen: never after a joiner, before a combining mark or a
    modifier, nor at a space or dot."""
    kept = text.encode("utf-8")[: max(room, 0)].decode("utf-8", errors="ignore")
    rest = text[len(kept) :]
    while kept and ((rest and _joins_before(rest[0])) or unicodedata.category(kept[-1]) == "Cf"):
        rest = kept[-1] + rest
        kept = kept[:-1]
    return kept.rstrip(" .") or FALLBACK[: max(room, 1)]


def _joins_before(char: str) -> bool:
    """True for a character that belongs to the one before it: a combining mark, a joiner,
    a variation selector, a skin-tone modifier."""
    return unicodedata.category(char) in ("Mn", "Me", "Cf") or "\U0001f3fb" <= char <= "\U0001f3ff"


def _not_reserved(name: str) -> str:
    """`name`, with "_" after its first part when Windows reserves that part."""
    first, dot, rest = name.partition(".")
    if first.rstrip(" ").upper() in RESERVED:
        return f"{first}_{dot}{rest}"
    return name


def temporary_target(name: str) -> str:
    """The part of a temporary file's name that stands for the target `name`: the name
    itself, or for a name too long to fit with TEMPORARY_EXTRA_BYTES (a long name the user
    gave), its longest start that does."""
    if len(name.encode("utf-8")) <= MAX_MADE_BYTES:
        return name
    return name.encode("utf-8")[:MAX_MADE_BYTES].decode("utf-8", errors="ignore")
