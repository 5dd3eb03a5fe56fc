"""The program output that docs/routines.md shows is what the program prints.

Every ```text block in the page is marked with `<!-- example: NAME -->` on the line before
it, and NAME is one of EXAMPLES below: how to make that output. A block is compared with
what the command prints now (a listing may show a stretch of lines from the middle), so a
change in the program's wording fails here until the page says the same. On a mismatch
the assertion shows the program's text, ready to paste.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from coach.speech.cache import CACHE_DIR_ENV
from support.paths import EXAMPLE, ROOT

DOC = ROOT / "docs" / "routines.md"
BLOCK = re.compile(r"(?:<!-- example: (?P<name>[\w-]+) -->\n)?```text\n(?P<text>.*?)```", re.S)


def coach(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`coach ARGS` run in `cwd`, as a person would at a shell there."""
    return subprocess.run(
        [sys.executable, "-m", "coach", *args],
        cwd=cwd,
        env={**os.environ, CACHE_DIR_ENV: str(cwd / "cache")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def hold_too_long(folder: Path) -> str:
    """The example routine with `hold = 10800` in its second exercise."""
    text = EXAMPLE.read_text(encoding="utf-8")
    second = text.index("[[exercise]]", text.index("[[exercise]]") + 1)
    head, tail = text[:second], text[second:]
    tail, replaced = re.subn(r"(?m)^hold = \d+", "hold = 10800", tail, count=1)
    assert replaced == 1
    (folder / "my-routine.toml").write_text(head + tail, encoding="utf-8")
    done = coach(folder, "show", "my-routine.toml")
    assert done.returncode == 2
    return done.stderr


def first_rep(folder: Path) -> str:
    done = coach(folder, "show", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    return done.stdout


def fitted(folder: Path) -> str:
    done = coach(folder, "show", str(EXAMPLE), "--minutes", "1.5")
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[0] + "\n"


def too_short(folder: Path) -> str:
    done = coach(folder, "show", str(EXAMPLE), "--minutes", "0.5")
    assert done.returncode == 2
    return done.stderr


EXAMPLES: dict[str, tuple[Callable[[Path], str], bool]] = {
    "hold-too-long": (hold_too_long, False),
    "first-rep": (first_rep, True),
    "fitted": (fitted, False),
    "too-short": (too_short, False),
}
"""Example name -> (what prints it, whether the page shows only a stretch of it)."""


def blocks() -> list[tuple[str | None, str]]:
    return [(m["name"], m["text"]) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_every_output_shown_is_marked_with_how_it_is_made() -> None:
    found = blocks()
    assert found, "no ```text blocks in docs/routines.md"
    assert [name for name, _ in found if name not in EXAMPLES] == []
    assert sorted(name for name, _ in found if name) == sorted(EXAMPLES)


@pytest.mark.tts
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_page_shows_what_the_program_prints(name: str, tmp_path: Path) -> None:
    shown = dict(blocks())[name]
    make, excerpt = EXAMPLES[name]
    printed = make(tmp_path)
    if excerpt:
        assert_a_stretch_of(shown, printed)
    else:
        assert shown == printed


def seconds(clock: str) -> int:
    minutes, secs = clock.split(":")
    return int(minutes) * 60 + int(secs)


RELAX = re.compile(r"\[(?:relax|move) ([\d.]+) s\]")
"""A move or relax that grew to fit its words: its length comes from the speech, like a time."""


def assert_a_stretch_of(shown: str, printed: str) -> None:
    """`shown` is a run of consecutive lines of the listing `printed`: every word alike,
    every time within a second and every grown move or relax within 0.2 s (a phrase synthesized
    afresh can differ from the page's by a few milliseconds, which may cross a second; the
    holds never differ)."""

    def parts(text: str) -> list[tuple[int, str, list[float]]]:
        """Each line's time, its words, and the lengths of any relax in it."""
        found = []
        for line in text.splitlines():
            if line[:1].isdigit():
                clock, rest = line.split(" ", 1)
                relax = [float(length) for length in RELAX.findall(rest)]
                found.append((seconds(clock), RELAX.sub("[relax]", rest), relax))
        return found

    page, listing = parts(shown), parts(printed)
    words = [rest for _, rest, _ in page]
    starts = [
        at
        for at in range(len(listing) - len(page) + 1)
        if [rest for _, rest, _ in listing[at : at + len(page)]] == words
    ]
    assert starts, f"not a stretch of what `coach` prints:\n{printed}"
    for (time, _, relax), (printed_time, _, printed_relax) in zip(
        page, listing[starts[0] :], strict=False
    ):
        assert abs(time - printed_time) <= 1, f"a time is not as `coach` prints it:\n{printed}"
        assert all(abs(a - b) <= 0.2 for a, b in zip(relax, printed_relax, strict=True)), (
            f"a relax is not as `coach` prints it:\n{printed}"
        )
