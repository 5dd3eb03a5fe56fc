"""TOML text for Python values, as tomllib reads it back: for tests that write routine files."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any


def toml_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def toml_value(value: Any) -> str:
    """A TOML value for a Python one, as tomllib would read it back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{toml_string(key)} = {toml_value(item)}" for key, item in value.items())
        return "{ " + ", ".join(pairs) + " }"
    raise TypeError(value)


def toml_document(top: Mapping[str, Any], exercises: list[dict[str, Any]]) -> str:
    lines = [f"{toml_string(key)} = {toml_value(value)}" for key, value in top.items()]
    for table in exercises:
        lines.append("\n[[exercise]]")
        lines.extend(f"{toml_string(key)} = {toml_value(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"
