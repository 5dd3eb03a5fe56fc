"""What README.md tells a user to do works: its routine example is a valid routine, and the
shell completion lines it gives produce completions."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from coach.plan.routine import parse_routine
from support.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_routine_is_valid_and_has_what_it_says() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", README, re.S)
    assert len(blocks) == 1
    routine = parse_routine(blocks[0].encode("utf-8"), source="README.md", name="readme")
    assert routine.title == "Quick neck and shoulders"
    neck, rolls = routine.exercises
    assert neck.sides == ("left", "right") and neck.hold_ms == 10_000
    assert rolls.count == 4 and rolls.hold_ms == 16_000


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_is_as_the_readme_says(shell: str) -> None:
    assert f"_COACH_COMPLETE={shell}_source coach" in README
    script = subprocess.run(
        [sys.executable, "-m", "coach"],
        env={**os.environ, "_COACH_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "_COACH_COMPLETE" in script.stdout
    assert script.stdout.count("\n") > 5


def test_completion_offers_the_commands_and_options() -> None:
    def complete(words: str, index: int) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "coach"],
            env={
                **os.environ,
                "_COACH_COMPLETE": "bash_complete",
                "COMP_WORDS": words,
                "COMP_CWORD": str(index),
            },
            capture_output=True,
            text=True,
            check=True,
        )
        return [line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line]

    assert complete("coach re", 1) == ["render"]
    assert "--split" in complete("coach render --sp", 2)
    assert {"check", "config", "cache"} <= set(complete("coach c", 1))
