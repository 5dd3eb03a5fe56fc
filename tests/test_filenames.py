"""File names the coach makes (coach.filenames): every one a name FAT32, exFAT, Windows,
Linux and macOS all take, including with the temporary suffix it is written under."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import coach.filenames
from coach.filenames import MAX_NAME_BYTES, RESERVED, TEMPORARY_EXTRA_BYTES, file_name
from support.files import atomic_write

FORBIDDEN = set('\\/:*?"<>|') | {chr(code) for code in range(32)} | {"\x7f"}


def assert_takes_everywhere(name: str) -> None:
    assert len(name.encode("utf-8")) + TEMPORARY_EXTRA_BYTES <= MAX_NAME_BYTES, name
    assert len(name.encode("utf-16-le")) // 2 <= MAX_NAME_BYTES
    assert not FORBIDDEN & set(name), name
    assert name == name.rstrip(" .") and not name.startswith((".", " "))
    assert name.partition(".")[0].rstrip(" ").upper() not in RESERVED, name


@given(title=st.text(min_size=0, max_size=120), number=st.integers(1, 99))
def test_every_name_made_is_taken_everywhere(title: str, number: int) -> None:
    for made in (
        file_name(title, ".mp3", prefix=f"{number:02d} "),
        file_name(title, ".m3u8"),
        file_name(title, " brief 05.5 min.mp3"),
    ):
        assert_takes_everywhere(made.name)


@pytest.mark.parametrize(
    ("title", "shortened"),
    [("水" * 80, True), ("🙆" * 80, True), ("👨‍👩‍👧" * 40, True), ("Neck release", False)],
)
def test_long_titles_are_shortened_and_say_so(
    tmp_path: Path, title: str, *, shortened: bool
) -> None:
    """The titles a routine allows (80 characters) can take 320 bytes: shortened, each
    still becomes a file that this file system writes through a temporary name."""
    made = file_name(title, ".mp3", prefix="02 ")
    assert made.shortened is shortened
    assert_takes_everywhere(made.name)
    if shortened:
        assert made.name.endswith("\u2026.mp3")
        assert "\u200d\u2026" not in made.name  # never cut after a joiner
    with atomic_write(tmp_path / made.name) as file:
        file.write(b"x")
    assert (tmp_path / made.name).read_bytes() == b"x"


@pytest.mark.parametrize("title", ["CON", "nul.txt", "Aux", "com1", "LPT9 .x", "PRN"])
def test_windows_reserved_names_are_avoided(title: str) -> None:
    made = file_name(title, ".m3u8")
    assert_takes_everywhere(made.name)
    assert made.name.lower().startswith(title.lower().split(".")[0].rstrip())


def test_a_long_name_the_user_gives_gets_a_temporary_name_that_fits(tmp_path: Path) -> None:
    """A 245-byte -o name is a legal file name; its temporary name must be one too."""
    target = tmp_path / ("a" * 241 + ".mp3")
    with atomic_write(target) as file:
        file.write(b"x")
    assert target.read_bytes() == b"x"


def test_the_doctests_pass() -> None:
    assert doctest.testmod(coach.filenames).failed == 0
