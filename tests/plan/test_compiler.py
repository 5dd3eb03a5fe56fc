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
from coach.plan.script import Chapter, Cue, Hold, Relax, Say, Script, Step
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
    for event in script.all_events():
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
    assert [c.exercise_id for c in chapters] == [None, *[e.id for e in rest_stop.exercises], None]
    assert [c.title for c in chapters] == [
        "Before you start",
        *[e.title for e in rest_stop.exercises],
        "Finish",
    ]


def _said(events: list[object]) -> list[str]:
    return [e.text for e in events if isinstance(e, Say)]


@pytest.mark.parametrize("brief", [False, True])
def test_counts_and_sides(rest_stop: Routine, brief: bool) -> None:
    parts = _by_exercise(compile_routine(rest_stop, CompileOptions(brief=brief)))
    for exercise in rest_stop.exercises:
        events = parts[exercise.id]
        steps = [e.label for e in events if isinstance(e, Step)]
        holds = [e for e in events if isinstance(e, Hold)]
        says = _said(events)
        sides = exercise.sides or (None,)
        assert len(steps) == exercise.reps * len(sides)
        assert len(holds) == exercise.reps * len(sides)
        for side in exercise.sides:
            assert sum(label.startswith(f"{side} side") for label in steps) == exercise.reps
        total = number_words(exercise.reps)
        first = f"Set one of {total}." if exercise.count else f"One of {total}."
        assert sum(first in text for text in says) == len(sides)
        for rep in range(2, exercise.reps + 1):
            later = (
                f"Set {number_words(rep)} of {total}."
                if exercise.count
                else f"{number_words(rep).capitalize()}."
            )
            assert sum(text.startswith(later) for text in says) == len(sides), later


def test_a_counted_movement_counts_sets_not_reps(rest_stop: Routine) -> None:
    says = _said(_by_exercise(compile_routine(rest_stop))["shoulder-rolls"])
    assert "Set one of four." in says
    assert "Set two of four. Roll up, back and down." in says
    assert not any(text.startswith(("Two.", "Three.", "Four.")) for text in says)


def test_sides_are_named_and_switched(rest_stop: Routine) -> None:
    says = _said(_by_exercise(compile_routine(rest_stop))["side-bends"])
    first_left = next(i for i, t in enumerate(says) if t.startswith("Left side."))
    switch = next(i for i, t in enumerate(says) if t.startswith("Now the right side."))
    assert first_left < switch
    assert any("left fist" in t for t in says[first_left:switch])
    assert not any("right" in t for t in says[first_left:switch])
    assert any("right fist" in t for t in says[switch:])
    assert not any("{side}" in t for t in says)


def test_every_rep_names_its_movement(rest_stop: Routine) -> None:
    """Each later rep starts with one phrase: the count, the breath cue and the reminder,
    then "Hold."; the first rep of the second side names its side and movement too."""
    parts = _by_exercise(compile_routine(rest_stop))
    side_bends = _said(parts["side-bends"])
    assert "Two. Breathe in: left fist up, bend the other way. Hold." in side_bends
    assert (
        "Now the right side. One of three. Breathe in: right fist up, bend the other way. Hold."
    ) in side_bends
    tense = _said(parts["tense-and-release"])
    assert "Two. Breathe in: shoulders up, fists tight. Hold." in tense
    neck = _said(parts["neck-release"])
    assert (
        "Now the right side. One of three. Breathe out: right ear to your shoulder. Hold."
    ) in neck
    overhead = _said(parts["overhead-stretch"])
    assert "Two. Arms up, then elbows down, palms up. Hold." in overhead


def test_breath_cues_where_the_routine_says(rest_stop: Routine) -> None:
    parts = _by_exercise(compile_routine(rest_stop))
    for exercise in rest_stop.exercises:
        says = _said(parts[exercise.id])
        reps = exercise.reps * len(exercise.sides or (None,))
        total_in = sum(text.count("Breathe in") for text in says)
        total_out = sum(text.count("Breathe out") for text in says)
        # One cue for each rep's movement, and one for each rep's release.
        expected_in = reps * ((exercise.breath_move == "in") + (exercise.breath_release == "in"))
        expected_out = reps * ((exercise.breath_move == "out") + (exercise.breath_release == "out"))
        assert (total_in, total_out) == (expected_in, expected_out), exercise.id
    tense = parts["tense-and-release"]
    first_in = next(
        i for i, e in enumerate(tense) if isinstance(e, Say) and e.text == "Breathe in."
    )
    first_hold = next(i for i, e in enumerate(tense) if isinstance(e, Hold))
    first_out = next(
        i for i, e in enumerate(tense) if isinstance(e, Say) and e.text.startswith("Breathe out")
    )
    assert first_in < first_hold < first_out


def test_full_instructions_the_first_time_then_lead_ins(rest_stop: Routine) -> None:
    parts = _by_exercise(compile_routine(rest_stop))
    says = _said(parts["overhead-stretch"])
    exercise = rest_stop.exercise("overhead-stretch")
    for line in exercise.instructions:
        assert says.count(line) == 1
    reminder = exercise.reminder[0]
    lead_ins = [text for text in says if reminder in text]
    assert len(lead_ins) == exercise.reps - 1
    assert says.index(exercise.instructions[0]) < says.index(lead_ins[0])


def test_brief_mode_starts_every_rep_with_its_lead_in(rest_stop: Routine) -> None:
    parts = _by_exercise(compile_routine(rest_stop, CompileOptions(brief=True)))
    says = _said(parts["overhead-stretch"])
    exercise = rest_stop.exercise("overhead-stretch")
    assert not set(exercise.instructions) & set(says)
    assert "One of four. Arms up, then elbows down, palms up. Hold." in says
    assert sum(exercise.reminder[0] in text for text in says) == exercise.reps
    assert "Overhead stretch." in says  # the title alone, not "Exercise two of five: ..."


def test_brief_mode_says_only_the_breath_cue_when_a_hold_ends(rest_stop: Routine) -> None:
    brief = _by_exercise(compile_routine(rest_stop, CompileOptions(brief=True)))
    tense = _said(brief["tense-and-release"])
    assert tense.count("Breathe out.") == 4
    assert not any("relax completely" in text for text in tense)
    relaxes = [e for e in brief["neck-release"] if isinstance(e, Relax)]
    assert relaxes
    for relax in relaxes:
        assert not any(isinstance(inner, Say) for inner in relax.release)


def _opening(script: Script) -> list[object]:
    return _by_exercise(
        Script(
            script.title,
            script.events[
                : script.events.index(
                    next(e for e in script.events if isinstance(e, Chapter) and e.exercise_id)
                )
            ],
        )
    )[None]


def test_brief_opening_is_title_and_safety(rest_stop: Routine) -> None:
    opening = _said(_opening(compile_routine(rest_stop, CompileOptions(brief=True))))
    assert opening == ["Rest-stop stretch.", *rest_stop.safety, "Let's begin."]
    guided = _said(_opening(compile_routine(rest_stop)))
    assert guided == [
        "Rest-stop stretch.",
        rest_stop.description,
        *rest_stop.safety,
        *rest_stop.setup,
        "Let's begin.",
    ]


@pytest.mark.parametrize("brief", [False, True])
def test_every_hold_is_followed_by_a_relax_that_starts_with_the_chime(
    rest_stop: Routine, brief: bool
) -> None:
    events = compile_routine(rest_stop, CompileOptions(brief=brief)).events
    holds = 0
    for index, event in enumerate(events):
        if isinstance(event, Hold):
            holds += 1
            relax = events[index + 1]
            assert isinstance(relax, Relax)
            assert relax.release[0] == Cue("hold-end")
    assert holds == 24


def test_a_relax_carries_the_routine_relax_and_the_next_rep(rest_stop: Routine) -> None:
    events = _by_exercise(compile_routine(rest_stop))["tense-and-release"]
    relaxes = [e for e in events if isinstance(e, Relax)]
    assert [relax.ms for relax in relaxes] == [5_000] * 4
    assert [_said(list(relax.release)) for relax in relaxes] == [
        ["Breathe out, and relax completely."]
    ] * 4
    assert [_said(list(relax.lead_in)) for relax in relaxes] == [
        ["Two. Breathe in: shoulders up, fists tight. Hold."],
        ["Three. Breathe in: shoulders up, fists tight. Hold."],
        ["Four. Breathe in: shoulders up, fists tight. Hold."],
        [],
    ]
    step = relaxes[0].lead_in[0]
    assert isinstance(step, Step) and step.label == "2 of 4"


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
        (3_500, "Two."),
        (7_000, "Three."),
    ]


@pytest.mark.parametrize(
    ("hold_ms", "halfway"),
    [
        (10_000, (5_000, "Five seconds left.")),
        (20_000, (10_000, "Ten seconds left.")),
        (30_000, (15_000, "Fifteen seconds left.")),
        (40_000, (20_000, "Twenty seconds left.")),
        (45_000, (22_500, "Halfway.")),
        (19_000, (9_500, "Halfway.")),
        (12_000, (6_000, "Halfway.")),
        (21_500, (10_750, "Halfway.")),
        (300_000, (150_000, "A hundred and fifty seconds left.")),
    ],
)
def test_halfway_marks_are_round_numbers_or_halfway(
    rest_stop: Routine, hold_ms: int, halfway: tuple[int, str]
) -> None:
    plan = full_plan(rest_stop)
    plan["overhead-stretch"] = ExercisePlan(reps=1, hold_ms=hold_ms, relax_ms=0)
    script = compile_routine(rest_stop, CompileOptions(plan=tuple(plan.items())))
    hold = next(e for e in script.events if isinstance(e, Hold) and e.ms == hold_ms)
    assert (hold.words[0].at_ms, hold.words[0].text) == halfway


@pytest.mark.parametrize("hold_ms", [4_999, 5_000, 9_999, 10_000, 15_000, 21_500, 300_000])
def test_hold_words_for_any_length(rest_stop: Routine, hold_ms: int) -> None:
    plan = full_plan(rest_stop)
    plan["overhead-stretch"] = ExercisePlan(reps=1, hold_ms=hold_ms, relax_ms=0)
    script = compile_routine(rest_stop, CompileOptions(plan=tuple(plan.items())))
    hold = next(e for e in script.events if isinstance(e, Hold) and e.ms == hold_ms)
    texts = [w.text for w in hold.words]
    assert ("Three." in texts) == (hold_ms >= COUNTDOWN_FROM_MS)
    halfway = [t for t in texts if "seconds left" in t or t == "Halfway."]
    assert len(halfway) == (hold_ms >= HALFWAY_FROM_MS)
    for word in hold.words:
        assert 0 <= word.at_ms < hold_ms
    if halfway:
        mark = hold.words[0]
        assert abs(mark.at_ms - hold_ms / 2) < 1_000
        if mark.text != "Halfway.":
            left_ms = hold_ms - mark.at_ms
            assert left_ms % 5_000 == 0
            assert mark.text == f"{number_words(left_ms // 1000).capitalize()} seconds left."


def test_plan_drops_and_shortens(rest_stop: Routine) -> None:
    plan = (("neck-release", ExercisePlan(reps=2, hold_ms=3_000, relax_ms=0, terse=True)),)
    script = compile_routine(rest_stop, CompileOptions(plan=plan))
    chapters = [e.exercise_id for e in script.events if isinstance(e, Chapter)]
    assert chapters == [None, "neck-release", None]
    says = [e.text for e in script.all_events() if isinstance(e, Say)]
    assert "Exercise one of one: Neck release." in says
    release = rest_stop.exercise("neck-release").release[0]
    assert says.count(release) == 1  # the first rep's release in full, then "And relax."
    assert says.count("And relax.") == 3
    assert "Two. Breathe out: left ear to your shoulder. Hold." in says
    assert [e.ms for e in script.events if isinstance(e, Hold)] == [3_000] * 4
    assert rest_stop.description not in says  # it describes all five exercises


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
