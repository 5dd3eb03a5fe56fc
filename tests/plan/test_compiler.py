"""The compiler: the words, counts, sides, breath cues and holds of a compiled session."""

from __future__ import annotations

import os

import pytest

from coach.plan.compiler import (
    COUNTDOWN_FROM_MS,
    HALFWAY_FROM_MS,
    CompileOptions,
    ExercisePlan,
    compile_routine,
    full_plan,
    number_words,
)
from coach.plan.routine import Routine
from coach.plan.script import Chapter, Cue, Hold, Say, Script, Step
from support.golden import describe_script
from support.paths import DATA

GOLDEN = DATA


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("COACH_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} changed; if the change is wanted, rerun with COACH_UPDATE_GOLDEN=1 and "
        "read the diff"
    )


def test_rest_stop_script_matches_golden(rest_stop: Routine) -> None:
    _golden("rest-stop.script.txt", describe_script(compile_routine(rest_stop)))


def test_rest_stop_brief_script_matches_golden(rest_stop: Routine) -> None:
    _golden(
        "rest-stop.brief.script.txt",
        describe_script(compile_routine(rest_stop, CompileOptions(brief=True))),
    )


def test_compiling_twice_gives_equal_scripts(rest_stop: Routine) -> None:
    assert compile_routine(rest_stop) == compile_routine(rest_stop)


def _by_exercise(script: Script) -> dict[str | None, list[object]]:
    parts: dict[str | None, list[object]] = {}
    current: str | None = None
    for event in script.events:
        if isinstance(event, Chapter):
            current = event.exercise_id
        parts.setdefault(current, []).append(event)
    return parts


def test_opening_says_safety_first(rest_stop: Routine) -> None:
    opening = [e.text for e in _by_exercise(compile_routine(rest_stop))[None] if isinstance(e, Say)]
    text = " ".join(opening).lower()
    assert "parked" in text and "engine off" in text
    assert "stop if anything hurts" in text
    assert text.index("parked") < text.index("let's begin")


def test_exercises_in_routine_order_with_chapters(rest_stop: Routine) -> None:
    chapters = [e for e in compile_routine(rest_stop).events if isinstance(e, Chapter)]
    assert [c.exercise_id for c in chapters] == [None] + [e.id for e in rest_stop.exercises]


@pytest.mark.parametrize("brief", [False, True])
def test_counts_and_sides(rest_stop: Routine, brief: bool) -> None:
    parts = _by_exercise(compile_routine(rest_stop, CompileOptions(brief=brief)))
    for exercise in rest_stop.exercises:
        events = parts[exercise.id]
        steps = [e.label for e in events if isinstance(e, Step)]
        holds = [e for e in events if isinstance(e, Hold)]
        says = [e.text for e in events if isinstance(e, Say)]
        sides = exercise.sides or (None,)
        assert len(steps) == exercise.reps * len(sides)
        assert len(holds) == exercise.reps * len(sides)
        for side in exercise.sides:
            assert sum(label.startswith(f"{side} side") for label in steps) == exercise.reps
        if exercise.reps > 1:
            total = number_words(exercise.reps)
            for rep in range(1, exercise.reps + 1):
                counter = f"{number_words(rep).capitalize()} of {total}."
                assert sum(counter in text for text in says) == len(sides)


def test_sides_are_named_and_switched(rest_stop: Routine) -> None:
    says = [
        e.text for e in _by_exercise(compile_routine(rest_stop))["side-bends"] if isinstance(e, Say)
    ]
    first_left = next(i for i, t in enumerate(says) if t.startswith("Left side."))
    switch = next(i for i, t in enumerate(says) if t.startswith("Now the right side."))
    assert first_left < switch
    assert any("left fist" in t for t in says[first_left:switch])
    assert not any("right" in t for t in says[first_left:switch])
    assert any("right fist" in t for t in says[switch:])
    assert not any("{side}" in t for t in says)


def test_breath_cues_where_the_routine_says(rest_stop: Routine) -> None:
    parts = _by_exercise(compile_routine(rest_stop))
    for exercise in rest_stop.exercises:
        says = [e.text for e in parts[exercise.id] if isinstance(e, Say)]
        reps = exercise.reps * len(exercise.sides or (None,))
        expected_in = reps * (exercise.breath_move == "in") + reps * (
            exercise.breath_release == "in"
        )
        expected_out = reps * (exercise.breath_move == "out") + reps * (
            exercise.breath_release == "out"
        )
        assert says.count("Breathe in.") == expected_in, exercise.id
        assert says.count("Breathe out.") == expected_out, exercise.id
    tense = [e for e in parts["tense-and-release"] if isinstance(e, Say | Hold)]
    first_in = next(
        i for i, e in enumerate(tense) if isinstance(e, Say) and e.text == "Breathe in."
    )
    first_hold = next(i for i, e in enumerate(tense) if isinstance(e, Hold))
    first_out = next(
        i for i, e in enumerate(tense) if isinstance(e, Say) and e.text == "Breathe out."
    )
    assert first_in < first_hold < first_out


def test_full_instructions_first_then_reminders(rest_stop: Routine) -> None:
    parts = _by_exercise(compile_routine(rest_stop))
    says = [e.text for e in parts["overhead-stretch"] if isinstance(e, Say)]
    exercise = rest_stop.exercise("overhead-stretch")
    for line in exercise.instructions:
        assert says.count(line) == 1
    assert says.count(exercise.reminder[0]) == exercise.reps - 1
    assert says.index(exercise.instructions[0]) < says.index(exercise.reminder[0])


def test_brief_mode_uses_only_reminders(rest_stop: Routine) -> None:
    parts = _by_exercise(compile_routine(rest_stop, CompileOptions(brief=True)))
    says = [e.text for e in parts["overhead-stretch"] if isinstance(e, Say)]
    exercise = rest_stop.exercise("overhead-stretch")
    assert not set(exercise.instructions) & set(says)
    assert says.count(exercise.reminder[0]) == exercise.reps


def test_hold_words_halfway_and_countdown(rest_stop: Routine) -> None:
    holds = {
        exercise_id: [e for e in events if isinstance(e, Hold)]
        for exercise_id, events in _by_exercise(compile_routine(rest_stop)).items()
    }
    overhead = holds["overhead-stretch"][0]
    assert overhead.ms == 20_000
    assert [(w.at_ms, w.text) for w in overhead.words] == [
        (10_000, "Ten seconds left."),
        (17_000, "Three."),
        (18_000, "Two."),
        (19_000, "One."),
    ]
    tense = holds["tense-and-release"][0]
    assert tense.ms == 5_000 and [w.text for w in tense.words] == ["Three.", "Two.", "One."]
    neck = holds["neck-release"][0]
    assert neck.ms < COUNTDOWN_FROM_MS and neck.words == ()
    rolls = holds["shoulder-rolls"][0]
    assert rolls.counted and [(w.at_ms, w.text) for w in rolls.words] == [
        (0, "One."),
        (4_000, "Two."),
        (8_000, "Three."),
    ]


@pytest.mark.parametrize("hold_ms", [4_999, 5_000, 9_999, 10_000, 15_000, 21_500, 300_000])
def test_hold_words_for_any_length(rest_stop: Routine, hold_ms: int) -> None:
    plan = full_plan(rest_stop)
    plan["overhead-stretch"] = ExercisePlan(reps=1, hold_ms=hold_ms, relax_ms=0)
    script = compile_routine(rest_stop, CompileOptions(plan=tuple(plan.items())))
    hold = next(e for e in script.events if isinstance(e, Hold) and e.ms == hold_ms)
    texts = [w.text for w in hold.words]
    assert ("Three." in texts) == (hold_ms >= COUNTDOWN_FROM_MS)
    assert any("seconds left" in t for t in texts) == (hold_ms >= HALFWAY_FROM_MS)
    for word in hold.words:
        assert 0 <= word.at_ms < hold_ms
    if hold_ms >= HALFWAY_FROM_MS:
        halfway = hold.words[0]
        left_s = (hold_ms - halfway.at_ms) // 1000
        assert halfway.text == f"{number_words(left_s).capitalize()} seconds left."
        assert abs(halfway.at_ms - hold_ms / 2) < 1_000


def test_every_hold_ends_with_a_chime(rest_stop: Routine) -> None:
    events = compile_routine(rest_stop).events
    for index, event in enumerate(events):
        if isinstance(event, Hold):
            assert events[index + 1] == Cue("hold-end")


def test_plan_drops_and_shortens(rest_stop: Routine) -> None:
    plan = (("neck-release", ExercisePlan(reps=2, hold_ms=3_000, relax_ms=0, terse=True)),)
    script = compile_routine(rest_stop, CompileOptions(plan=plan))
    chapters = [e.exercise_id for e in script.events if isinstance(e, Chapter)]
    assert chapters == [None, "neck-release"]
    says = [e.text for e in script.events if isinstance(e, Say)]
    assert "Exercise one of one: Neck release." in says
    reminder = rest_stop.exercise("neck-release").reminder[0]
    assert not any(t == reminder.replace("{side}", "left") for t in says)
    assert [e.ms for e in script.events if isinstance(e, Hold)] == [3_000] * 4


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (19, "nineteen"),
        (20, "twenty"),
        (42, "forty-two"),
        (100, "a hundred"),
        (150, "a hundred and fifty"),
        (999, "nine hundred and ninety-nine"),
    ],
)
def test_number_words(number: int, words: str) -> None:
    assert number_words(number) == words


def test_number_words_out_of_range() -> None:
    with pytest.raises(ValueError):
        number_words(1000)


def test_titles_end_as_sentences_and_no_description_is_skipped(rest_stop: Routine) -> None:
    from dataclasses import replace

    exclaimed = replace(rest_stop, title="Morning stretch!", description="")
    exercise = replace(rest_stop.exercises[0], title="Shrug.")
    exclaimed = replace(exclaimed, exercises=(exercise,))
    says = compile_routine(exclaimed).phrases()
    assert says[0] == "Morning stretch!"
    assert says[1] == rest_stop.safety[0]  # no empty description line
    assert "Exercise one of one: Shrug." in says
