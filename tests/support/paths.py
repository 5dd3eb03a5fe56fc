"""Where the project's files are, for tests that run the command or read the repository."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's top folder."""

DATA = ROOT / "tests" / "data"
EXAMPLE = DATA / "example-routine.toml"
"""A small routine of two exercises, the example in docs/routines.md."""
LONG = DATA / "long-routine.toml"
