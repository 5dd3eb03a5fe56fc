"""How deep and how large a TOML text is, measured before it is parsed, so that a file whose
structure no routine or settings file has is refused in milliseconds.

The standard library's parser takes time and memory that grow with the square of a
dotted key's length: a 200 kB file holding one key of 100,000 parts (`a.a.a...`) took
two minutes and 12 GB. A real routine's keys have at most three parts
(`exercise.breath.move`), its brackets nest two deep and it sets a few hundred values. So
`check_toml_limits` reads the text's tokens (strings and comments as wholes, so their
contents never count) and raises CoachError, naming the line, at the first key, nesting or
value count beyond the given `TomlLimits`: long before parsing cost grows, and in time
that grows only with the text up to that point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.errors import CoachError


@dataclass(frozen=True)
class TomlLimits:
    """What a kind of file may hold, well beyond any real one."""

    kind: str
    """What the file is, for messages ("a routine")."""
    key_parts: int
    """Most parts of a key, a table's header and any inline tables around it counted."""
    nesting: int
    """Most brackets and braces open at once."""
    values: int
    """Most keys and list items in the whole file."""


ROUTINE_LIMITS = TomlLimits("a routine", key_parts=8, nesting=8, values=20_000)
"""A routine of 30 exercises with every list at its longest sets about 1,700 values."""

SETTINGS_LIMITS = TomlLimits("a settings file", key_parts=4, nesting=4, values=500)
"""A settings file sets five values."""

_TOKENS = re.compile(
    r"""
      (?P<text>"{3}(?:[^"\\]|\\[\s\S]|"{1,2}(?!"))*"{3,5}
             |'{3}(?:[^']|'{1,2}(?!'))*'{3,5}
             |"(?:[^"\\\n]|\\.)*"
             |'[^'\n]*')
    | (?P<comment>\#[^\n]*)
    | (?P<newline>\n)
    | (?P<mark>[\[\]{}=,.])
    | (?P<word>[^\s"'\#\[\]{}=,.]+)
    | (?P<space>[ \t\r]+)
    | (?P<other>.)
    """,
    re.VERBOSE,
)


def check_toml_limits(text: str, source: str, limits: TomlLimits) -> None:
    """CoachError, naming `source` and the line, if `text` has a key of more parts, more
    brackets open at once, or more values than `limits` allow. Text that is not valid TOML
    passes as far as it can be read: the parser then says what is wrong with it."""
    scan = _Scan(source, limits)
    for token in _TOKENS.finditer(text):
        kind = token.lastgroup
        if kind in ("space", "comment"):
            continue
        if kind == "other":  # an unterminated string, say: left to the parser to report
            return
        scan.take(kind or "", token.group())


class _Scan:
    """Where the scan is in the text: the brackets open (each with the key parts it adds to
    the keys inside it), the table's header, and whether a key or a value comes next."""

    def __init__(self, source: str, limits: TomlLimits) -> None:
        self.source = source
        self.limits = limits
        self.line = 1
        self.open: list[tuple[str, int]] = []
        self.header_parts = 0
        self.in_header = False
        self.expecting_key = True
        self.dots = 0
        """Dots in the key being read."""
        self.value_of_key = 0
        """The parts of the key whose value starts next (0 once it has started)."""
        self.values = 0

    def take(self, kind: str, token: str) -> None:
        self.line += token.count("\n")
        if kind == "newline":
            if not self.open:
                self.expecting_key = True
                self.in_header = False
        elif self.in_header:
            self._header(token)
        elif self.expecting_key:
            self._key(token)
        else:
            self._value(token)

    def _header(self, token: str) -> None:
        if token == ".":
            self._dot()
        elif token == "]":
            self.header_parts = self.dots + 1
            self.in_header = False
            self.expecting_key = False  # the rest of the line: "]" of "[[", a comment

    def _key(self, token: str) -> None:
        if token == "[" and not self.open:
            self.in_header = True
            self.dots = 0
            self._count_value()
        elif token == ".":
            self._dot()
        elif token == "=":
            self.value_of_key = self.dots + 1
            self.dots = 0
            self.expecting_key = False
            self._count_value()
        elif token == "}":
            self._close()

    def _value(self, token: str) -> None:
        if token in ("[", "{"):
            self.open.append((token, self.value_of_key))
            if len(self.open) > self.limits.nesting:
                raise self._error(
                    f"brackets nested more than {self.limits.nesting} deep",
                    "no more than two nest in it",
                )
            self.expecting_key = token == "{"
            self.dots = 0
        elif token in ("]", "}"):
            self._close()
        elif token == ",":
            self._count_value()
            self.expecting_key = bool(self.open) and self.open[-1][0] == "{"
            self.dots = 0
        self.value_of_key = 0

    def _dot(self) -> None:
        self.dots += 1
        inside = self.dots + 1 + sum(parts for _, parts in self.open)
        if not self.in_header:
            inside += self.header_parts
        if inside > self.limits.key_parts:
            raise self._error(
                f"a key of more than {self.limits.key_parts} parts",
                "its keys have at most three (exercise.breath.move)",
            )

    def _close(self) -> None:
        if self.open:
            self.open.pop()
        self.expecting_key = False

    def _count_value(self) -> None:
        self.values += 1
        if self.values > self.limits.values:
            raise self._error(
                f"more than {self.limits.values:,} values", "it sets a few hundred at most"
            )

    def _error(self, found: str, usual: str) -> CoachError:
        return CoachError(
            f"{self.source}, line {self.line}: this file has {found}, but {self.limits.kind} "
            f"is far smaller: {usual}. It was not read further; check that it is the file "
            "you meant."
        )
