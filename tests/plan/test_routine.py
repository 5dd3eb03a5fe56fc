"""Routine files: the built-in routine's numbers, every kind of bad input, and fuzzing.

Bad input must always be a CoachError whose message names the file, the exercise and the
field and says what is wrong; never any other exception.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.errors import CoachError
from coach.plan.compiler import compile_routine
from coach.plan.routine import (
    _EXERCISE_FIELDS,
    _ROUTINE_FIELDS,
    DEFAULT_MOVE_S,
    MAX_COUNT,
    MAX_EXERCISES,
    MAX_HOLD_S,
    MAX_LINES,
    MAX_PRIORITY,
    MAX_RELAX_S,
    MAX_REPS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    Routine,
    parse_routine,
)
from coach.plan.script import Hold, Say
from coach.routines import builtin_names, load_routine
from support.paths import EXAMPLE, ROOT
from support.toml_text import toml_document

DOC = ROOT / "docs" / "routines.md"

# ---------------------------------------------------------------------------------------------
# Building small routine files. Values are raw TOML, so a test can write any value at all.

TOP = {
    "title": '"Test routine"',
    "safety": '["Only while parked, engine off."]',
    "closing": '["Done."]',
}
EXERCISE = {
    "id": '"reach"',
    "title": '"Reach"',
    "instructions": '["Reach up with both arms."]',
    "reminder": '["Reach up."]',
}


def _table(base: Mapping[str, str], changes: Mapping[str, str | None]) -> str:
    fields = {**base, **changes}
    return "".join(f"{key} = {value}\n" for key, value in fields.items() if value is not None)


def routine_text(
    top: Mapping[str, str | None] | None = None,
    *exercises: Mapping[str, str | None],
) -> str:
    """A routine file: TOP with `top` changes, then one [[exercise]] per mapping of changes
    to EXERCISE (one plain exercise when none are given). A None value removes the field."""
    text = _table(TOP, top or {})
    for changes in exercises or ({},):
        text += "\n[[exercise]]\n" + _table(EXERCISE, changes)
    return text


def with_exercise(**changes: str | None) -> str:
    """A routine file whose only exercise has these changes."""
    return routine_text(None, changes)


def load_text(tmp_path: Path, text: str | bytes) -> Routine:
    path = tmp_path / "my-routine.toml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return load_routine(str(path))


def load_error(tmp_path: Path, text: str | bytes) -> str:
    """The message of the CoachError that loading this file raises; it must name the file."""
    with pytest.raises(CoachError) as raised:
        load_text(tmp_path, text)
    message = str(raised.value)
    assert str(tmp_path / "my-routine.toml") in message
    assert "Traceback" not in message
    return message


def assert_names(message: str, *parts: str) -> None:
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


# ---------------------------------------------------------------------------------------------
# The built-in routine, with the numbers of the source article.


def test_builtin_names_include_rest_stop() -> None:
    assert "rest-stop" in builtin_names()
    assert builtin_names() == sorted(builtin_names())


def test_default_routine_is_rest_stop(rest_stop: Routine) -> None:
    assert load_routine(None) == rest_stop
    assert rest_stop.name == "rest-stop"
    assert rest_stop.title == "Rest-stop stretch"


def test_rest_stop_has_the_five_exercises_in_order(rest_stop: Routine) -> None:
    assert [exercise.id for exercise in rest_stop.exercises] == [
        "neck-release",
        "overhead-stretch",
        "shoulder-rolls",
        "tense-and-release",
        "side-bends",
    ]


@pytest.mark.parametrize(
    ("exercise_id", "reps", "sides", "count"),
    [
        ("neck-release", 3, ("left", "right"), 0),
        ("overhead-stretch", 4, (), 0),
        ("shoulder-rolls", 4, (), 3),
        ("tense-and-release", 4, (), 0),
        ("side-bends", 3, ("left", "right"), 0),
    ],
)
def test_rest_stop_reps_and_sides_follow_the_article(
    rest_stop: Routine, exercise_id: str, reps: int, sides: tuple[str, ...], count: int
) -> None:
    exercise = rest_stop.exercise(exercise_id)
    assert (exercise.reps, exercise.sides, exercise.count) == (reps, sides, count)


def test_rest_stop_holds_follow_the_article(rest_stop: Routine) -> None:
    assert rest_stop.exercise("overhead-stretch").hold_ms == 20_000
    for exercise_id in ("tense-and-release", "side-bends"):
        exercise = rest_stop.exercise(exercise_id)
        assert (exercise.hold_ms, exercise.relax_ms) == (5_000, 5_000)
    # the three slow rolls are counted over the hold
    rolls = rest_stop.exercise("shoulder-rolls")
    assert rolls.hold_ms >= rolls.count * 1_500


@pytest.mark.parametrize(
    ("exercise_id", "move", "release"),
    [
        ("neck-release", "out", None),
        ("overhead-stretch", None, None),
        ("shoulder-rolls", None, None),
        ("tense-and-release", "in", "out"),
        ("side-bends", "in", "out"),
    ],
)
def test_rest_stop_breath_cues_follow_the_article(
    rest_stop: Routine, exercise_id: str, move: str | None, release: str | None
) -> None:
    exercise = rest_stop.exercise(exercise_id)
    assert (exercise.breath_move, exercise.breath_release) == (move, release)


def test_rest_stop_safety_lines(rest_stop: Routine) -> None:
    safety = " ".join(rest_stop.safety).lower()
    assert "parked" in safety
    assert "engine off" in safety
    assert "stop if anything hurts" in safety
    assert "driving" not in safety


def test_rest_stop_shorter_version_limits_are_consistent(rest_stop: Routine) -> None:
    for exercise in rest_stop.exercises:
        assert 1 <= exercise.min_reps <= exercise.reps
        assert 0 < exercise.min_hold_ms <= exercise.hold_ms
        assert 0 <= exercise.min_relax_ms <= exercise.relax_ms
    priorities = [exercise.priority for exercise in rest_stop.exercises]
    assert len(set(priorities)) == len(priorities), "cut order should not depend on ties"


def test_exercise_lookup_by_id(rest_stop: Routine) -> None:
    assert rest_stop.exercise("side-bends").title == "Side bends"
    with pytest.raises(KeyError):
        rest_stop.exercise("no-such-exercise")


# ---------------------------------------------------------------------------------------------
# Good input: defaults and conveniences.


def test_defaults_of_a_minimal_file(tmp_path: Path) -> None:
    routine = load_text(tmp_path, routine_text())
    assert routine.name == "my-routine"
    assert routine.description == ""  # optional: the opening then goes from title to safety
    (exercise,) = routine.exercises
    assert (exercise.reps, exercise.sides, exercise.hold_ms, exercise.relax_ms) == (1, (), 0, 0)
    assert (exercise.count, exercise.breath_move, exercise.breath_release) == (0, None, None)
    assert (exercise.min_reps, exercise.min_hold_ms, exercise.min_relax_ms) == (1, 0, 0)
    assert exercise.priority == 1
    assert exercise.release == ()


def test_seconds_may_be_decimal_and_become_milliseconds(tmp_path: Path) -> None:
    routine = load_text(
        tmp_path, with_exercise(hold="7.5", relax="2.25", min_hold="1.0004", min_relax="0")
    )
    exercise = routine.exercises[0]
    assert (exercise.hold_ms, exercise.relax_ms) == (7_500, 2_250)
    assert (exercise.min_hold_ms, exercise.min_relax_ms) == (1_000, 0)


def test_a_single_string_is_a_list_of_one_and_spaces_are_tidied(tmp_path: Path) -> None:
    routine = load_text(
        tmp_path,
        routine_text(
            {"safety": '"Only while   parked."'},
            {"instructions": '"""\n  Reach up,\n  slowly.\n"""'},
        ),
    )
    assert routine.safety == ("Only while parked.",)
    assert routine.exercises[0].instructions == ("Reach up, slowly.",)


def test_min_values_default_to_the_full_values(tmp_path: Path) -> None:
    routine = load_text(tmp_path, with_exercise(reps="3", hold="6", relax="2"))
    exercise = routine.exercises[0]
    assert (exercise.min_reps, exercise.min_hold_ms, exercise.min_relax_ms) == (3, 6_000, 2_000)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    routine = load_text(tmp_path, b"\xef\xbb\xbf" + routine_text().encode())
    assert routine.title == "Test routine"


def test_empty_sides_list_means_no_sides(tmp_path: Path) -> None:
    assert load_text(tmp_path, with_exercise(sides="[]")).exercises[0].sides == ()


# ---------------------------------------------------------------------------------------------
# The file itself: missing, a folder, unreadable, not UTF-8, not TOML.


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(CoachError) as raised:
        load_routine(str(path))
    assert_names(str(raised.value), str(path), "does not exist", "Check the path")


def test_unknown_builtin_name_lists_the_builtins() -> None:
    with pytest.raises(CoachError) as raised:
        load_routine("rest-stp")
    assert_names(
        str(raised.value),
        "no built-in routine called 'rest-stp'",
        "Built-in routines: rest-stop",
        ".toml",
    )


def test_folder_instead_of_file(tmp_path: Path) -> None:
    folder = tmp_path / "routines.toml"
    folder.mkdir()
    with pytest.raises(CoachError) as raised:
        load_routine(str(folder))
    assert_names(str(raised.value), str(folder), "is a folder, not a routine file")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.toml"
    path.write_text(routine_text())

    def refuse(name: object, *args: object) -> int:
        raise PermissionError(13, "Permission denied", str(name))

    # Tests run as root, whom permission bits do not stop: the system call refuses instead.
    monkeypatch.setattr("coach.routines.loading.os.open", refuse)
    with pytest.raises(CoachError) as raised:
        load_routine(str(path))
    assert_names(str(raised.value), f"You may not read routine file {path} (permission denied)")


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, b'title = "T"\ndescription = "caf\xe9"\n')
    assert_names(message, "is not UTF-8 text", "line 2", "Save it as UTF-8")


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'title = "T"\nsafety = ["a"]\nclosing = ["b"\n[[exercise]]\n')
    assert_names(message, "is not valid TOML", "line 4", "Fix that line")


@pytest.mark.parametrize(
    ("ending", "problem"),
    [("reminder = [", "Invalid value"), ('notes = """', "Unterminated string")],
)
def test_file_ending_inside_a_value_names_the_last_line(
    tmp_path: Path, ending: str, problem: str
) -> None:
    text = 'title = "T"\nsafety = ["a"]\nclosing = ["b"]\n' + ending + "\n\n"
    message = load_error(tmp_path, text)
    assert_names(
        message,
        f"is not valid TOML: {problem} (at end of document, after line 4)",
        "missing closing quote or bracket",
    )


def test_unclosed_quote_names_the_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'title = "T"\ndescription = "no end\n')
    assert_names(message, "is not valid TOML", "line 2")


def test_number_with_thousands_of_digits(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(hold="1" + "0" * 5000))
    assert_names(message, "a number with thousands of digits")


@pytest.mark.parametrize("opening", ["[", "{a = "])
def test_nesting_too_deep(tmp_path: Path, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    depth = 5000
    message = load_error(tmp_path, "x = " + opening * depth + "1" + closing * depth + "\n")
    assert_names(message, "brackets nested more than 8 deep")


# ---------------------------------------------------------------------------------------------
# Unknown and missing fields.


def test_unknown_top_level_field_suggests_the_near_miss(tmp_path: Path) -> None:
    message = load_error(tmp_path, routine_text({"titel": '"x"'}))
    assert_names(
        message, "field 'titel'", "is not a field the coach knows", "Did you mean 'title'?"
    )
    assert "exercise 1" not in message


@pytest.mark.parametrize(
    ("field", "suggestion"),
    [("hold_seconds", "hold"), ("relaxx", "relax"), ("min_hold_s", "min_hold"), ("rep", "reps")],
)
def test_unknown_exercise_field_suggests_the_near_miss(
    tmp_path: Path, field: str, suggestion: str
) -> None:
    message = load_error(tmp_path, with_exercise(hold="5", relax="2", **{field: "5"}))
    assert_names(
        message,
        "exercise 1 ('reach')",
        f"field '{field}'",
        "is not a field the coach knows",
        f"Did you mean '{suggestion}'?",
    )


def test_unknown_field_far_from_any_gets_no_suggestion(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(colour='"blue"'))
    assert_names(message, "field 'colour'", "is not a field the coach knows")
    assert "Did you mean" not in message


def test_unknown_field_in_the_second_exercise_names_it(tmp_path: Path) -> None:
    text = routine_text(None, {}, {"id": '"bend"', "wait": "3"})
    message = load_error(tmp_path, text)
    assert_names(message, "exercise 2 ('bend')", "field 'wait'")


@pytest.mark.parametrize("field", ["title", "safety", "closing"])
def test_missing_top_level_field(tmp_path: Path, field: str) -> None:
    message = load_error(tmp_path, routine_text({field: None}))
    assert_names(message, f"field '{field}'", "is missing", "Add it")


def test_missing_exercise_list(tmp_path: Path) -> None:
    message = load_error(tmp_path, _table(TOP, {}))
    assert_names(message, "field 'exercise'", "is missing", "[[exercise]]")


@pytest.mark.parametrize("field", ["title", "instructions", "reminder"])
def test_missing_exercise_field(tmp_path: Path, field: str) -> None:
    message = load_error(tmp_path, with_exercise(**{field: None}))
    assert_names(message, "exercise 1 ('reach')", f"field '{field}'", "is missing", "Add it")


def test_missing_id_names_the_exercise_number(tmp_path: Path) -> None:
    message = load_error(tmp_path, routine_text(None, {}, {"id": None}))
    assert_names(message, "exercise 2,", "field 'id'", "is missing")


# ---------------------------------------------------------------------------------------------
# Wrong types.


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("reps", '"3"', "should be a whole number, not text"),
        ("reps", "3.0", "should be a whole number: write 3, not 3.0."),
        ("reps", "2.5", "should be a whole number, not the number 2.5."),
        ("reps", "true", "should be a whole number, not true/false"),
        ("hold", "true", "should be a number of seconds, not true/false"),
        ("hold", '"20"', "should be a number of seconds, not text"),
        ("hold", "1979-05-27", "should be a number of seconds, not a date."),
        ("hold", "1979-05-27T07:32:00", "should be a number of seconds, not a date and time."),
        ("relax", "07:32:00", "should be a number of seconds, not a time of day."),
        ("relax", "[5]", "should be a number of seconds, not a list"),
        ("instructions", "5", "should be a list of lines in quotes, not the number 5."),
        ("instructions", "[1, 2]", "should hold only text in quotes, not the number 1."),
        ("reminder", "{ text = 'x' }", "should be a list of lines in quotes, not a table"),
        ("title", "7", "should be text in quotes, not the number 7."),
        ("sides", '"both"', 'should be ["left", "right"]'),
        ("breath", '"in"', 'should be a table like { move = "in", release = "out" }'),
    ],
)
def test_wrong_type_in_an_exercise(tmp_path: Path, field: str, value: str, expected: str) -> None:
    message = load_error(tmp_path, with_exercise(**{"hold": "5", field: value}))
    assert_names(message, "exercise 1 ('reach')", f"field '{field}'", expected)


def test_number_for_the_title(tmp_path: Path) -> None:
    message = load_error(tmp_path, routine_text({"title": "42"}))
    assert_names(message, "field 'title'", "should be text in quotes, not the number 42.")


def test_id_that_is_not_text(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(id="5"))
    assert_names(
        message, "exercise 1,", "field 'id'", "should be text in quotes, not the number 5."
    )


@pytest.mark.parametrize("value", ['"reach"', "{ id = 'reach' }"])
def test_exercise_that_is_not_a_list_of_tables(tmp_path: Path, value: str) -> None:
    message = load_error(tmp_path, _table(TOP, {"exercise": value}))
    assert_names(message, "field 'exercise'", "should be written as [[exercise]] tables")


def test_exercise_list_that_is_empty(tmp_path: Path) -> None:
    message = load_error(tmp_path, _table(TOP, {"exercise": "[]"}))
    assert_names(message, "field 'exercise'", "is empty")


# ---------------------------------------------------------------------------------------------
# Numbers out of range: zero, negative, absurd, NaN and infinity.


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"reps": "0"}, "reps", f"is 0; it must be between 1 and {MAX_REPS}"),
        ({"reps": "-2"}, "reps", f"is -2; it must be between 1 and {MAX_REPS}"),
        ({"reps": "21"}, "reps", f"is 21; it must be between 1 and {MAX_REPS}"),
        ({"hold": "-5"}, "hold", f"is -5 seconds; it must be between 1 and {MAX_HOLD_S} seconds"),
        ({"hold": "0"}, "hold", "is 0 seconds; it must be between 1 and"),
        ({"hold": "0.5"}, "hold", "is 0.5 seconds; it must be between 1 and"),
        ({"hold": "10800"}, "hold", f"is 10800 seconds; it must be between 1 and {MAX_HOLD_S}"),
        ({"relax": "1e9"}, "relax", f"seconds; it must be between 0 and {MAX_RELAX_S} seconds"),
        ({"relax": "-1"}, "relax", "is -1 seconds; it must be between 0 and"),
        ({"hold": "nan"}, "hold", "is nan seconds; it must be between 1 and"),
        ({"hold": "inf"}, "hold", "is inf seconds; it must be between 1 and"),
        ({"relax": "-inf"}, "relax", "is -inf seconds; it must be between 0 and"),
        ({"relax": "nan"}, "relax", "is nan seconds; it must be between 0 and"),
        ({"hold": "10", "count": "1"}, "count", f"is 1; it must be between 2 and {MAX_COUNT}"),
        ({"priority": "0"}, "priority", f"is 0; it must be between 1 and {MAX_PRIORITY}"),
        ({"priority": "101"}, "priority", f"is 101; it must be between 1 and {MAX_PRIORITY}"),
    ],
)
def test_number_out_of_range(
    tmp_path: Path, changes: dict[str, str], field: str, expected: str
) -> None:
    message = load_error(tmp_path, with_exercise(**changes))
    assert_names(message, "exercise 1 ('reach')", f"field '{field}'", expected)


def test_huge_reps(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(reps="99999999999999999999"))
    assert_names(message, "field 'reps'", "must be between 1 and 20")


@pytest.mark.parametrize("field", ["hold", "relax", "min_hold"])
def test_a_number_too_large_for_a_float_is_out_of_range(tmp_path: Path, field: str) -> None:
    """Once an OverflowError (comparing it with NaN made it a float), found by fuzzing."""
    message = load_error(tmp_path, with_exercise(**{"hold": "20", field: "9" * 400}))
    assert_names(message, f"field '{field}'", "is a number of 400 digits; it must be between")


# ---------------------------------------------------------------------------------------------
# Text: empty, blank, too long, too many lines.


@pytest.mark.parametrize("value", ['""', '"   "', '" \\t \\n "'])
def test_empty_or_blank_title(tmp_path: Path, value: str) -> None:
    message = load_error(tmp_path, routine_text({"title": value}))
    assert_names(message, "field 'title'", "is empty. Write the words to say.")


@pytest.mark.parametrize("field", ["instructions", "reminder"])
@pytest.mark.parametrize("value", ['[""]', '["Reach.", "   "]', '"  "'])
def test_empty_or_blank_line_in_an_exercise(tmp_path: Path, field: str, value: str) -> None:
    message = load_error(tmp_path, with_exercise(**{field: value}))
    assert_names(message, "exercise 1 ('reach')", f"field '{field}'", "is empty")


@pytest.mark.parametrize("field", ["safety", "closing"])
def test_empty_list_of_lines(tmp_path: Path, field: str) -> None:
    message = load_error(tmp_path, routine_text({field: "[]"}))
    assert_names(message, f"field '{field}'", "is an empty list. Give at least one line.")


def test_empty_exercise_title(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(title='"  "'))
    assert_names(message, "exercise 1 ('reach')", "field 'title'", "is empty")


def test_text_too_long(tmp_path: Path) -> None:
    long_line = "word " * 100
    message = load_error(tmp_path, with_exercise(reminder=f'["{long_line}"]'))
    assert_names(
        message,
        "field 'reminder'",
        f"is 499 characters long; at most {MAX_TEXT_CHARS} are allowed.",
    )


def test_title_too_long(tmp_path: Path) -> None:
    message = load_error(tmp_path, routine_text({"title": '"' + "x" * 81 + '"'}))
    assert_names(
        message, "field 'title'", f"is 81 characters long; at most {MAX_TITLE_CHARS} are allowed."
    )


def test_too_many_lines(tmp_path: Path) -> None:
    lines = "[" + ", ".join(['"Reach."'] * (MAX_LINES + 1)) + "]"
    message = load_error(tmp_path, with_exercise(instructions=lines))
    assert_names(message, "field 'instructions'", f"has {MAX_LINES + 1} lines; at most {MAX_LINES}")


def test_too_many_exercises(tmp_path: Path) -> None:
    exercises = [{"id": f'"e{number}"'} for number in range(MAX_EXERCISES + 1)]
    message = load_error(tmp_path, routine_text(None, *exercises))
    assert_names(message, "field 'exercise'", f"has {MAX_EXERCISES + 1} entries")


@pytest.mark.parametrize(
    ("escape", "named"),
    [
        ("\\u001b[2J", "U+001B (escape)"),
        ("\\u001b]0;pwned\\u0007", "U+001B (escape)"),
        ("\\u0007", "U+0007 (bell)"),
        ("\\u0000", "U+0000 (null)"),
        ("\\u009b2J", "U+009B"),
        ("\\u202e", "U+202E"),
        ("\\u001f", "U+001F"),
    ],
)
@pytest.mark.parametrize(
    ("where", "field", "make"),
    [
        ("", "title", lambda text: routine_text({"title": f'"Stretch{text}"'})),
        ("", "description", lambda text: routine_text({"description": f'"Calm{text}"'})),
        ("", "safety", lambda text: routine_text({"safety": f'["Parked.", "Stop{text}"]'})),
        ("exercise 1 ('reach')", "title", lambda text: with_exercise(title=f'"Reach{text}"')),
        (
            "exercise 1 ('reach')",
            "instructions",
            lambda text: with_exercise(instructions=f'"""Reach\nup{text}"""'),
        ),
        ("exercise 1,", "id", lambda text: with_exercise(id=f'"reach{text}"')),
    ],
)
def test_control_characters_in_text_are_refused(
    tmp_path: Path, escape: str, named: str, where: str, field: str, make: Any
) -> None:
    """An escape sequence in a title once cleared the screen and set the window title."""
    message = load_error(tmp_path, make(escape))
    assert_names(message, where, f"field '{field}'", f"has a control character, {named}")
    assert message.isprintable(), repr(message)


def test_tabs_and_line_breaks_are_spacing_not_controls(tmp_path: Path) -> None:
    routine = load_text(tmp_path, with_exercise(instructions='"""Reach\tup,\r\nslowly."""'))
    assert routine.exercises[0].instructions == ("Reach up, slowly.",)


def test_a_field_name_with_controls_is_quoted_safely(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(**{'"\\u001b[2Jreps"': "3"}))
    assert_names(message, "field '\\u001b[2Jreps'", "is not a field the coach knows")
    assert message.isprintable(), repr(message)


# ---------------------------------------------------------------------------------------------
# Ids and sides.


def test_duplicate_ids_name_both_exercises(tmp_path: Path) -> None:
    text = routine_text(None, {}, {"id": '"bend"'}, {"title": '"Reach again"'})
    message = load_error(tmp_path, text)
    assert_names(
        message, "exercise 3,", "field 'id'", "the id 'reach'", "already used by exercise 1"
    )


@pytest.mark.parametrize("bad_id", ["Neck Release", "-neck", "neck_release", "néck", "neck!"])
def test_bad_id(tmp_path: Path, bad_id: str) -> None:
    message = load_error(tmp_path, with_exercise(id=f'"{bad_id}"'))
    assert_names(
        message, "exercise 1,", "field 'id'", f"is '{bad_id}'", "lower-case letters, digits"
    )
    # the location does not repeat an id that is itself wrong
    assert f"exercise 1 ('{bad_id}')" not in message


def test_id_too_long(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(id='"' + "a" * 41 + '"'))
    assert_names(
        message, "exercise 1,", "field 'id'", "is 41 characters long; at most 40 are allowed."
    )


@pytest.mark.parametrize(
    "sides", ['["left"]', '["right", "left"]', '["left", "right", "left"]', "[1, 2]", "{ a = 1 }"]
)
def test_bad_sides(tmp_path: Path, sides: str) -> None:
    message = load_error(tmp_path, with_exercise(sides=sides))
    assert_names(message, "exercise 1 ('reach')", "field 'sides'", 'should be ["left", "right"]')


# ---------------------------------------------------------------------------------------------
# The {side} placeholder.


@pytest.mark.parametrize("field", ["instructions", "reminder", "release", "during"])
@pytest.mark.parametrize("placeholder", ["{side}", "{other_side}"])
def test_side_placeholder_without_sides(tmp_path: Path, field: str, placeholder: str) -> None:
    text = with_exercise(hold="10", **{field: f'["Lift your {placeholder} arm."]'})
    message = load_error(tmp_path, text)
    assert_names(
        message, "exercise 1 ('reach')", f"field '{field}'", f"uses {placeholder} but", "no 'sides'"
    )


@pytest.mark.parametrize(
    "placeholder",
    ["{arm}", "{0}", "{}", "{Side}", "{side!r}", "{side:>5}", "{side.upper}", "{other}"],
)
def test_unknown_placeholder(tmp_path: Path, placeholder: str) -> None:
    text = with_exercise(sides='["left", "right"]', reminder=f'["Lift your {placeholder} arm."]')
    message = load_error(tmp_path, text)
    assert_names(
        message,
        "field 'reminder'",
        f"uses {placeholder}; the placeholders are {{side}} (left or right) and {{other_side}}",
    )


@pytest.mark.parametrize("line", ["Lift your {side arm.", "Lift your side} arm.", "{{side}}"])
def test_unmatched_brace(tmp_path: Path, line: str) -> None:
    text = with_exercise(sides='["left", "right"]', instructions=f'["{line}"]')
    message = load_error(tmp_path, text)
    assert_names(message, "field 'instructions'", "has an unmatched { or }")


def test_side_placeholders_with_sides_are_filled_in(tmp_path: Path) -> None:
    text = with_exercise(
        reps="2",
        sides='["left", "right"]',
        reminder='["Lift your {side} arm, not your {other_side}."]',
    )
    script = compile_routine(load_text(tmp_path, text))
    said = [event.text for event in script.all_events() if isinstance(event, Say)]
    # The reminder starts the later reps, after their count: "Last one. Lift your left arm."
    assert any(text.endswith("Lift your left arm, not your right.") for text in said)
    assert any(text.endswith("Lift your right arm, not your left.") for text in said)
    assert not any("{" in text or "}" in text for text in said)


# ---------------------------------------------------------------------------------------------
# Moves, hold words, wordings in turn and encouragement.


def test_move_defaults_to_a_few_seconds(tmp_path: Path) -> None:
    routine = load_text(tmp_path, with_exercise())
    assert routine.exercises[0].move_ms == DEFAULT_MOVE_S * 1000


@pytest.mark.parametrize(("move", "ms"), [("0", 0), ("2.5", 2_500), ("8", 8_000), ("60", 60_000)])
def test_move_in_seconds(tmp_path: Path, move: str, ms: int) -> None:
    assert load_text(tmp_path, with_exercise(move=move)).exercises[0].move_ms == ms


@pytest.mark.parametrize(
    ("move", "expected"),
    [
        ("-1", "is -1 seconds; it must be between 0 and 60 seconds"),
        ("61", "is 61 seconds; it must be between 0 and 60 seconds"),
        ('"slow"', "should be a number of seconds, not text"),
        ("true", "should be a number of seconds, not true/false"),
    ],
)
def test_bad_move(tmp_path: Path, move: str, expected: str) -> None:
    message = load_error(tmp_path, with_exercise(move=move))
    assert_names(message, "exercise 1 ('reach')", "field 'move'", expected)


def test_wordings_are_lists_said_in_turn(tmp_path: Path) -> None:
    text = with_exercise(
        hold="12",
        reps="3",
        release='["Let go.", "And down."]',
        during='["Breathe.", "Feel it."]',
        reminder='["Reach up.", "Up again."]',
    )
    exercise = load_text(tmp_path, text).exercises[0]
    assert exercise.release == ("Let go.", "And down.")
    assert exercise.during == ("Breathe.", "Feel it.")
    assert exercise.reminder == ("Reach up.", "Up again.")


def test_during_without_hold(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(during='["Keep breathing."]'))
    assert_names(message, "field 'during'", "only makes sense with a 'hold'")


def test_during_in_a_counted_movement(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(hold="9", count="3", during='"Breathe."'))
    assert_names(message, "field 'during'", "is for still holds")


def test_encouragement_is_a_list_of_lines(tmp_path: Path) -> None:
    routine = load_text(tmp_path, routine_text({"encouragement": '["Good.", "Nice work."]'}))
    assert routine.encouragement == ("Good.", "Nice work.")
    assert load_text(tmp_path, routine_text()).encouragement == ()
    message = load_error(tmp_path, routine_text({"encouragement": "[]"}))
    assert_names(message, "field 'encouragement'", "is an empty list")


# ---------------------------------------------------------------------------------------------
# Holds, counts, release, breath and the shorter-version limits.


def test_count_without_hold(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(count="3"))
    assert_names(message, "exercise 1 ('reach')", "field 'count'", "needs a 'hold'")


def test_count_too_many_for_the_hold(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(hold="4", count="3"))
    assert_names(message, "field 'count'", "is 3, too many to count within a 4-second hold")


def test_release_without_hold(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(release='["Let go."]'))
    assert_names(message, "field 'release'", "only makes sense with a 'hold'")


def test_min_reps_above_reps(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(reps="2", min_reps="3"))
    assert_names(
        message, "exercise 1 ('reach')", "field 'min_reps'", "is 3; it must be between 1 and 2"
    )


def test_min_hold_above_hold(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(hold="5", min_hold="8"))
    assert_names(message, "field 'min_hold'", "is 8 seconds; it must be between 1 and 5 seconds")


def test_min_hold_without_hold(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(min_hold="3"))
    assert_names(message, "field 'min_hold'", "needs a 'hold' to shorten")


def test_min_hold_too_short_to_count(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(hold="12", count="4", min_hold="5"))
    assert_names(message, "field 'min_hold'", "under 1.5 seconds for each of 4 counts")


def test_min_relax_above_relax(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(relax="2", min_relax="3"))
    assert_names(message, "field 'min_relax'", "is 3 seconds; it must be between 0 and 2 seconds")


@pytest.mark.parametrize("relax", [None, "0"])
def test_min_relax_without_relax(tmp_path: Path, relax: str | None) -> None:
    message = load_error(tmp_path, with_exercise(relax=relax, min_relax="3"))
    assert_names(message, "field 'min_relax'", "needs a 'relax' to shorten")


def test_min_relax_of_zero_without_relax_is_fine(tmp_path: Path) -> None:
    routine = load_text(tmp_path, with_exercise(relax="0", min_relax="0"))
    assert routine.exercises[0].min_relax_ms == 0


@pytest.mark.parametrize(
    ("breath", "field", "expected"),
    [
        ('{ move = "hold" }', "move", 'is \'hold\'; it must be "in" or "out"'),
        ('{ release = "inhale" }', "release", 'is \'inhale\'; it must be "in" or "out"'),
        ("{ move = 1 }", "move", 'is 1; it must be "in" or "out"'),
        ('{ move = "IN" }', "move", "is 'IN'"),
        ('{ mvoe = "in" }', "mvoe", "is not a field the coach knows. Did you mean 'move'?"),
    ],
)
def test_bad_breath(tmp_path: Path, breath: str, field: str, expected: str) -> None:
    message = load_error(tmp_path, with_exercise(hold="5", breath=breath))
    assert_names(message, "exercise 1 ('reach'), breath", f"field '{field}'", expected)


def test_release_breath_without_hold(tmp_path: Path) -> None:
    message = load_error(tmp_path, with_exercise(breath='{ release = "out" }'))
    assert_names(message, "field 'breath'", "has a 'release' breath but the exercise has no 'hold'")


def test_move_breath_without_hold_is_fine(tmp_path: Path) -> None:
    routine = load_text(tmp_path, with_exercise(breath='{ move = "in" }'))
    assert routine.exercises[0].breath_move == "in"


# ---------------------------------------------------------------------------------------------
# docs/routines.md: its example is tests/data/example-routine.toml, and its tables match the code.


def _doc_example() -> str:
    doc = DOC.read_text(encoding="utf-8")
    section = doc.split("## A complete example", 1)[1]
    match = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert match, "docs/routines.md has no ```toml block under 'A complete example'"
    return match.group(1)


def test_doc_example_is_the_example_file() -> None:
    assert _doc_example() == EXAMPLE.read_text(encoding="utf-8")


def test_example_file_loads_and_compiles() -> None:
    routine = load_routine(str(EXAMPLE))
    assert routine.name == "example-routine"
    assert [exercise.id for exercise in routine.exercises] == ["neck-tilt", "shoulder-rolls"]
    neck, rolls = routine.exercises
    assert (neck.reps, neck.sides, neck.hold_ms, neck.priority) == (2, ("left", "right"), 10_000, 2)
    assert (rolls.count, rolls.hold_ms, rolls.priority) == (4, 16_000, 1)
    script = compile_routine(routine)
    said = [event.text for event in script.all_events() if isinstance(event, Say)]
    assert "Gently lower your left ear toward your left shoulder." in said
    assert (
        "Left side done. Now the right. Breathe out, lower your right ear toward your shoulder."
    ) in said
    assert "Breathe out." in said
    assert "Breathe in, and slowly bring your head back up." in said
    assert "Breathe in, and back to the middle." in said
    assert "Feel the stretch along the right side of your neck." in script.phrases()
    assert (neck.move_ms, rolls.move_ms) == (4_000, 2_000)
    holds = [event for event in script.all_events() if isinstance(event, Hold)]
    # 2 reps a side of the neck tilt, then 2 counted sets of rolls
    assert [(hold.ms, hold.counted) for hold in holds] == [(10_000, False)] * 4 + [
        (16_000, True)
    ] * 2


def _table_row(field: str) -> str:
    doc = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^\| `{re.escape(field)}` .*$", doc, re.MULTILINE)
    assert match, f"docs/routines.md has no table row for `{field}`"
    return match.group(0)


@pytest.mark.parametrize(
    "field", [f for f in _ROUTINE_FIELDS if f != "exercise"] + ["[[exercise]]"]
)
def test_doc_describes_every_top_level_field(field: str) -> None:
    _table_row(field)


@pytest.mark.parametrize("field", _EXERCISE_FIELDS)
def test_doc_describes_every_exercise_field(field: str) -> None:
    _table_row(field)


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("title", f"1 to {MAX_TITLE_CHARS} characters"),
        ("description", f"1 to {MAX_TEXT_CHARS} characters"),
        ("safety", f"1 to {MAX_LINES} lines of 1 to {MAX_TEXT_CHARS} characters"),
        ("[[exercise]]", f"1 to {MAX_EXERCISES} exercises"),
        ("reps", f"1 to {MAX_REPS}"),
        ("hold", f"1 to {MAX_HOLD_S}"),
        ("count", f"2 to {MAX_COUNT}"),
        ("relax", f"0 to {MAX_RELAX_S}"),
        ("priority", f"1 to {MAX_PRIORITY}"),
    ],
)
def test_doc_limits_match_the_code(field: str, limit: str) -> None:
    assert limit in _table_row(field)


# ---------------------------------------------------------------------------------------------
# Fuzzing: whatever the input, a Routine (that compiles) or a CoachError naming the file.

SOURCE = "fuzz.toml"


def parse_or_error(data: bytes) -> Routine | CoachError:
    try:
        routine = parse_routine(data, source=SOURCE, name="fuzz")
    except CoachError as error:
        caught = error
    else:
        compile_routine(routine)
        return routine
    assert str(caught).startswith(SOURCE), str(caught)
    return caught


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    parse_or_error(data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_arbitrary_text(text: str) -> None:
    parse_or_error(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="[]{}=\"',.=\n #abcdeilnorstx0123456789-", max_size=200))
def test_fuzz_toml_like_text(text: str) -> None:
    parse_or_error(text.encode())


ANY_SCALAR = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.dates(),
)
ANY_VALUE = st.recursive(
    ANY_SCALAR,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
PHRASES = st.sampled_from(
    [
        "Reach up.",
        "Lower your {side} ear.",
        "",
        "   ",
        "{arm}",
        "{side",
        "{{side}}",
        "x" * (MAX_TEXT_CHARS + 1),
    ]
)
LINES: st.SearchStrategy[Any] = st.one_of(
    st.lists(st.one_of(PHRASES, st.text(max_size=20)), min_size=1, max_size=3),
    PHRASES,
    st.just([]),
)
SECONDS = st.one_of(
    st.integers(min_value=-5, max_value=MAX_HOLD_S + 5),
    st.floats(min_value=-5, max_value=MAX_HOLD_S + 5),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 10_800, 1e9]),
)
WHOLE = st.integers(min_value=-2, max_value=MAX_REPS + 2)
BREATHS = st.sampled_from(["in", "out", "hold", "IN", ""])
CALM_BREATHS = st.sampled_from(["in", "out"])

# Each exercise field: mostly sensible values, some wrong ones.
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "title": st.one_of(PHRASES, st.text(max_size=10)),
    "instructions": LINES,
    "reminder": LINES,
    "release": LINES,
    "reps": WHOLE,
    "sides": st.sampled_from([["left", "right"], [], ["left"], "left", ["right", "left"]]),
    "hold": SECONDS,
    "count": st.integers(min_value=0, max_value=MAX_COUNT + 2),
    "relax": SECONDS,
    "breath": st.one_of(
        st.fixed_dictionaries({}, optional={"move": BREATHS, "release": BREATHS}),
        st.just("in"),
    ),
    "min_reps": WHOLE,
    "min_hold": SECONDS,
    "min_relax": SECONDS,
    "priority": st.integers(min_value=-1, max_value=MAX_PRIORITY + 1),
}
UNKNOWN_KEYS = st.sampled_from(["hold_seconds", "relaxx", "colour", "Reps", "", "id "])


def seconds(low: float, high: float) -> st.SearchStrategy[float]:
    """Whole or decimal seconds as a person would write them (at most 3 decimals)."""
    return st.one_of(
        st.integers(min_value=math.ceil(low), max_value=math.floor(high)),
        st.integers(min_value=round(low * 1000), max_value=round(high * 1000)).map(
            lambda ms: ms / 1000
        ),
    )


def sometimes(draw: st.DrawFn, out_of: int) -> bool:
    """True about once in `out_of` draws (hypothesis favours small numbers, so not exactly)."""
    return draw(st.integers(min_value=1, max_value=out_of)) == out_of


@st.composite
def valid_exercises(draw: st.DrawFn, number: int) -> dict[str, Any]:
    """An exercise that passes every check, in one of many shapes."""
    sides = draw(st.booleans())
    line = "Lift your {side} arm." if sides else "Reach up."
    reps = draw(st.integers(min_value=1, max_value=MAX_REPS))
    table: dict[str, Any] = {
        "id": f"exercise-{number}",
        "title": draw(st.sampled_from(["Reach", "Neck tilt", "Shoulder rolls"])),
        "instructions": draw(st.sampled_from([[line], [line, "Slowly."], line])),
        "reminder": draw(st.sampled_from([[line], line])),
        "reps": reps,
    }
    if sides:
        table["sides"] = ["left", "right"]
    if draw(st.booleans()):
        table["min_reps"] = draw(st.integers(min_value=1, max_value=reps))
    if draw(st.booleans()):
        table["priority"] = draw(st.integers(min_value=1, max_value=MAX_PRIORITY))
    if draw(st.booleans()):
        hold = draw(seconds(1, MAX_HOLD_S))
        min_hold = draw(seconds(1, hold))
        table.update(hold=hold, min_hold=min_hold)
        if min_hold >= 3 and draw(st.booleans()):
            table["count"] = draw(st.integers(2, min(MAX_COUNT, int(min_hold // 1.5))))
        if draw(st.booleans()):
            table["release"] = [line]
        table["breath"] = draw(
            st.fixed_dictionaries({}, optional={"move": CALM_BREATHS, "release": CALM_BREATHS})
        )
    elif draw(st.booleans()):
        table["breath"] = {"move": draw(CALM_BREATHS)}
    if draw(st.booleans()):
        relax = draw(seconds(0, MAX_RELAX_S))
        table.update(relax=relax, min_relax=draw(seconds(0, relax)))
    return table


@st.composite
def exercise_tables(draw: st.DrawFn, number: int) -> dict[str, Any]:
    """A valid exercise, then (sometimes) one field removed, retyped or set to a bad value,
    or an unknown field added."""
    table = draw(valid_exercises(number))
    if sometimes(draw, 3):
        mutation = draw(st.sampled_from(["remove", "retype", "bad value", "unknown", "id"]))
        field = draw(st.sampled_from(sorted(table)))
        if mutation == "remove":
            del table[field]
        elif mutation == "retype":
            table[field] = draw(ANY_VALUE)
        elif mutation == "bad value":
            field = draw(st.sampled_from(sorted(FIELD_VALUES)))
            table[field] = draw(FIELD_VALUES[field])
        elif mutation == "unknown":
            table[draw(UNKNOWN_KEYS)] = draw(ANY_VALUE)
        else:
            table["id"] = draw(st.sampled_from(["exercise-0", "Bad Id", "", "a" * 41]))
    return table


@st.composite
def routine_documents(draw: st.DrawFn) -> str:
    top: dict[str, Any] = {
        "title": "Fuzz routine",
        "safety": ["Only while parked."],
        "closing": draw(st.sampled_from([["Done."], "Done.", ["Done.", "Drive well."]])),
    }
    if draw(st.booleans()):
        top["description"] = "A routine made by hypothesis."
    if sometimes(draw, 4):
        field = draw(st.sampled_from(["title", "description", "safety", "closing", "titel"]))
        top[field] = draw(st.one_of(PHRASES, LINES, ANY_VALUE))
    if sometimes(draw, 10):
        top.pop(draw(st.sampled_from(sorted(top))))
    count = draw(st.integers(min_value=0 if sometimes(draw, 10) else 1, max_value=4))
    exercises = [draw(exercise_tables(number)) for number in range(count)]
    return toml_document(top, exercises)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(routine_documents())
def test_fuzz_structured_routines(text: str) -> None:
    result = parse_or_error(text.encode())
    if isinstance(result, Routine):
        for exercise in result.exercises:
            assert 1 <= exercise.min_reps <= exercise.reps <= MAX_REPS
            assert 0 <= exercise.min_hold_ms <= exercise.hold_ms <= MAX_HOLD_S * 1000
            assert 0 <= exercise.min_relax_ms <= exercise.relax_ms <= MAX_RELAX_S * 1000
            assert exercise.count == 0 or exercise.min_hold_ms >= exercise.count * 1500


def test_fuzz_strategy_makes_valid_routines_too() -> None:
    """The structured fuzzer is only useful if some of what it makes is accepted."""
    outcomes: list[bool] = []

    @settings(max_examples=150, deadline=None, database=None)
    @given(routine_documents())
    def collect(text: str) -> None:
        outcomes.append(isinstance(parse_or_error(text.encode()), Routine))

    collect()
    assert any(outcomes), "no generated routine was valid"
    assert not all(outcomes), "no generated routine was invalid"
