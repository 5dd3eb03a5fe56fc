"""A routine's every line must have words a voice can say (coach.plan.sayable): a line of
punctuation or of invisible characters is refused with the file, exercise and field named,
where the natural voice used to fail half-way through a session ("Piper produced no audio
for '...'. Run `coach doctor`"), naming none of them."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import coach.plan.sayable
from coach.routines import load_routine

from .test_routine import load_error, routine_text, with_exercise


@pytest.mark.parametrize("text", ["...", "\u2014", "\u200b", "!? -- !"])
def test_an_exercise_line_without_words_is_refused_where_it_is(tmp_path: Path, text: str) -> None:
    line = text.encode("unicode_escape").decode()
    message = load_error(tmp_path, with_exercise(instructions=f'["Reach up.", "{line}"]'))
    assert "exercise 1 ('reach'), field 'instructions': line 2 of 'instructions' is " in message
    assert "which has nothing a voice can say (no letter or digit)" in message


@pytest.mark.parametrize("field", ["safety", "closing", "setup"])
def test_an_opening_or_closing_line_without_words_is_refused(tmp_path: Path, field: str) -> None:
    message = load_error(tmp_path, routine_text({field: '["..."]'}))
    assert f"my-routine.toml, field '{field}': '{field}' is '...'" in message


def test_words_in_any_script_and_numbers_are_sayable(tmp_path: Path) -> None:
    path = tmp_path / "fine.toml"
    path.write_text(
        routine_text({"closing": '["\u0414\u0430.", "3."]'}, {"reminder": '["\u6c34\u3002"]'}),
        encoding="utf-8",
    )
    assert load_routine(str(path)).closing == ("\u0414\u0430.", "3.")


def test_the_doctests_pass() -> None:
    assert doctest.testmod(coach.plan.sayable).failed == 0
