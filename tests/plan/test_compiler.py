"""The compiler: the words, counts, sides, breath cues, moves, holds and relaxes of a session."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from coach.plan.compiler import (
    DURING_WORDS,
    ENCOURAGEMENT_WORDS,
    FIRST_SETTLE_MS,
    FOCUS_AT_MS,
    HALFWAY_FROM_MS,
    LONG_HOLD_MS,
    REST_FROM_MS,
    REST_QUIET_MS,
    SETTLE_MS,
    SHORT_RELAX_QUIET_MS,
    CompileOptions,
    ExercisePlan,
    Plan,
    compile_routine,
    full_plan,
    number_words,
)
from coach.plan.routine import Exercise, Routine
from coach.plan.script import Chapter, Cue, Event, Hold, Move, Relax, Say, Script, Step
from coach.routines import load_routine
from support.golden import describe_script
from support.paths import DATA, EXAMPLE

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


def _by_exercise(script: Script) -> dict[str | None, list[Event]]:
    """Every event (what is said inside moves and relaxes too), by exercise id."""
    parts: dict[str | None, list[Event]] = {}
    current: str | None = None
    for event in script.all_events():
        if isinstance(event, Chapter):
            current = event.exercise_id
        parts.setdefault(current, []).append(event)
    return parts


def _top_level(script: Script) -> dict[str | None, list[Event]]:
    """The script's own events (moves and relaxes whole), by exercise id."""
    parts: dict[str | None, list[Event]] = {}
    current: str | None = None
    for event in script.events:
        if isinstance(event, Chapter):
            current = event.exercise_id
        parts.setdefault(current, []).append(event)
    return parts


def _said(events: list[Event] | tuple[Event, ...]) -> list[str]:
    return [e.text for e in events if isinstance(e, Say)]


ROUTINES = ["rest-stop", "example", "long"]


def _routine(name: str) -> Routine:
    if name == "rest-stop":
        return load_routine("rest-stop")
    return load_routine(str(EXAMPLE if name == "example" else DATA / "long-routine.toml"))


def test_opening_says_safety_first(rest_stop: Routine) -> None:
    opening = _said(_by_exercise(compile_routine(rest_stop))[None])
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


# A rep, as a person does it: move, hold, relax.


@pytest.mark.parametrize("name", ROUTINES)
@pytest.mark.parametrize("brief", [False, True])
def test_every_rep_is_a_move_then_a_hold_then_a_relax(name: str, *, brief: bool) -> None:
    routine = _routine(name)
    parts = _top_level(compile_routine(routine, CompileOptions(brief=brief)))
    for exercise in routine.exercises:
        kinds = [
            type(event).__name__
            for event in parts[exercise.id]
            if isinstance(event, Step | Move | Hold | Relax)
        ]
        reps = exercise.reps * len(exercise.sides or (None,))
        assert kinds == ["Step", "Move", "Hold", "Relax"] * reps, exercise.id


@pytest.mark.parametrize("name", ROUTINES)
def test_a_move_lasts_the_routine_move_and_ends_in_hold(name: str) -> None:
    routine = _routine(name)
    parts = _top_level(compile_routine(routine))
    for exercise in routine.exercises:
        moves = [e for e in parts[exercise.id] if isinstance(e, Move)]
        assert {move.ms for move in moves} == {exercise.move_ms}
        go = () if exercise.count else (Say("Hold."),)
        assert all(move.go == go for move in moves), exercise.id
        # The first rep's words are the full instructions, then a moment to get there;
        # every later rep's are one short cue.
        assert moves[0].settle_ms == FIRST_SETTLE_MS
        assert all(move.settle_ms == SETTLE_MS for move in moves[1:])
        assert all(len(_said(move.cue)) == 1 for move in moves[1:])


def test_the_next_rep_is_never_announced_in_a_relax(rest_stop: Routine) -> None:
    for brief in (False, True):
        script = compile_routine(rest_stop, CompileOptions(brief=brief))
        for relax in (e for e in script.events if isinstance(e, Relax)):
            said = " ".join(_said(relax.release))
            assert "Hold." not in said
            assert not any(word in said for word in (" of ", "Last one", "Set "))
            assert not any(isinstance(inner, Step) for inner in relax.release)


@pytest.mark.parametrize("brief", [False, True])
def test_every_relax_is_the_routines_and_starts_with_the_chime(
    rest_stop: Routine, *, brief: bool
) -> None:
    script = compile_routine(rest_stop, CompileOptions(brief=brief))
    holds = 0
    for exercise_id, events in _top_level(script).items():
        for index, event in enumerate(events):
            if isinstance(event, Hold):
                holds += 1
                relax = events[index + 1]
                assert isinstance(relax, Relax)
                assert relax.release[0] == Cue("hold-end")
                assert relax.ms == rest_stop.exercise(str(exercise_id)).relax_ms
    assert holds == 24


@pytest.mark.parametrize(
    ("relax_ms", "quiet_ms"),
    [
        (0, 0),
        (1_000, SHORT_RELAX_QUIET_MS),
        (200, 200),
        (REST_FROM_MS - 1, SHORT_RELAX_QUIET_MS),
        (REST_FROM_MS, REST_QUIET_MS),
        (60_000, REST_QUIET_MS),
    ],
)
def test_a_rest_keeps_its_quiet(rest_stop: Routine, relax_ms: int, quiet_ms: int) -> None:
    plan = (ExercisePlan("tense-and-release", 2, 5_000, relax_ms, 3_000),)
    script = compile_routine(rest_stop, CompileOptions(plan=plan))
    relaxes = [e for e in script.events if isinstance(e, Relax)]
    assert [(r.ms, r.quiet_ms) for r in relaxes] == [(relax_ms, quiet_ms)] * 2


def _with(plan: Plan, changed: ExercisePlan) -> Plan:
    """`plan` with the exercise of `changed` planned as that."""
    return tuple(changed if p.exercise_id == changed.exercise_id else p for p in plan)


# Counted like a person.


def _lead_ins(events: list[Event]) -> list[str]:
    return [_said(e.cue)[0] for e in events if isinstance(e, Move)]


def test_counts_as_a_person_says_them(rest_stop: Routine) -> None:
    parts = _top_level(compile_routine(rest_stop, CompileOptions(brief=True)))
    tense = _lead_ins(parts["tense-and-release"])
    assert [text.split(".")[0] + "." for text in tense] == [
        "One of four.",
        "Two of four.",
        "Three of four.",
        "Last one.",
    ]
    rolls = _lead_ins(parts["shoulder-rolls"])
    assert [text.split(". ")[0] + "." for text in rolls] == [
        "Set one of four.",
        "Set two of four.",
        "Set three of four.",
        "The last set.",
    ]
    neck = _lead_ins(parts["neck-release"])
    assert [text.split(" Breathe")[0] for text in neck] == [
        "Left side. One of three.",
        "Two of three.",
        "Last one on this side.",
        "Left side done. Now the right.",
        "Two of three.",
        "Last one.",
    ]


@pytest.mark.parametrize("name", ROUTINES)
@pytest.mark.parametrize("brief", [False, True])
def test_the_last_rep_of_each_side_is_announced(name: str, *, brief: bool) -> None:
    routine = _routine(name)
    parts = _top_level(compile_routine(routine, CompileOptions(brief=brief)))
    for exercise in routine.exercises:
        if exercise.reps == 1:
            continue
        cues = _lead_ins(parts[exercise.id])
        last = "The last set" if exercise.count else "Last one"
        lasts = [i for i, cue in enumerate(cues) if cue.startswith(last)]
        sides = len(exercise.sides or (None,))
        assert lasts == [exercise.reps * (side + 1) - 1 for side in range(sides)], exercise.id


def test_rep_numbers_never_run_into_a_countdown(rest_stop: Routine) -> None:
    """No count is said bare ("Two." heard as "tune", next to "Three. Two. One."), and the
    counting inside holds is never next to a rep's count: a relax lies between them."""
    script = compile_routine(rest_stop)
    bare = {f"{number_words(n).capitalize()}." for n in range(1, 21)}
    for event in script.events:
        if isinstance(event, Move):
            assert not set(_said(event.cue)) & bare
    events = list(script.events)
    for index, event in enumerate(events):
        if isinstance(event, Hold) and any(w.text in bare for w in event.words):
            assert isinstance(events[index + 1], Relax)


def test_a_counted_movement_counts_sets_not_reps(rest_stop: Routine) -> None:
    says = _said(_by_exercise(compile_routine(rest_stop))["shoulder-rolls"])
    assert "Set one of four." in says
    assert "Set two of four. Roll up, back and down." in says


# Sides named concretely.


def test_sides_are_named_and_switched(rest_stop: Routine) -> None:
    says = _said(_by_exercise(compile_routine(rest_stop))["side-bends"])
    switch = next(i for i, t in enumerate(says) if t.startswith("Left side done. Now the right."))
    left, right = says[:switch], says[switch:]
    assert "Bring your left fist up beside your left shoulder." in left
    assert "Bend to your right, so your left elbow points up." in left  # {other_side}
    assert all("bend left" not in t.lower() for t in left)
    assert any("bend left" in t for t in right)
    assert not any("{" in t for t in says)


def test_other_side_is_the_side_not_being_worked(rest_stop: Routine) -> None:
    exercise = replace(
        rest_stop.exercise("side-bends"),
        instructions=("Lean {side}, away from your {other_side} side.",),
        reminder=("{other_side} hand down.",),
        release=("Back from the {side}.",),
    )
    routine = replace(rest_stop, exercises=(exercise,))
    script = compile_routine(routine)
    says = _said(_by_exercise(script)["side-bends"])
    assert "Lean left, away from your right side." in says
    assert "Lean right, away from your left side." not in says  # the first rep only
    cues = _lead_ins(_top_level(script)["side-bends"])
    assert cues[1].endswith("right hand down.") and cues[4].endswith("left hand down.")
    assert "Breathe out, and back from the left." in says
    assert "Breathe out, and back from the right." in says


# Breath, instructions and cues.


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


def test_full_instructions_the_first_time_then_cues_in_turn(rest_stop: Routine) -> None:
    parts = _top_level(compile_routine(rest_stop))
    exercise = rest_stop.exercise("overhead-stretch")
    moves = [e for e in parts["overhead-stretch"] if isinstance(e, Move)]
    assert _said(moves[0].cue) == ["One of four.", *exercise.instructions]
    first, second = exercise.reminder
    assert _said(moves[1].cue) == [f"Two of four. {first}"]
    assert _said(moves[2].cue) == [f"Three of four. {second}"]
    assert _said(moves[3].cue) == [f"Last one. {first}"]


def test_brief_mode_starts_every_rep_with_its_cue(rest_stop: Routine) -> None:
    parts = _top_level(compile_routine(rest_stop, CompileOptions(brief=True)))
    exercise = rest_stop.exercise("overhead-stretch")
    says = _said(_by_exercise(compile_routine(rest_stop, CompileOptions(brief=True)))[exercise.id])
    assert not set(exercise.instructions) & set(says)
    moves = [e for e in parts["overhead-stretch"] if isinstance(e, Move)]
    assert _said(moves[0].cue) == [f"One of four. {exercise.reminder[0]}"]
    assert all(move.settle_ms == SETTLE_MS for move in moves)
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


def test_brief_opening_is_title_and_safety(rest_stop: Routine) -> None:
    brief = _said(_top_level(compile_routine(rest_stop, CompileOptions(brief=True)))[None])
    assert brief[: len(rest_stop.safety) + 2] == [
        "Rest-stop stretch.",
        *rest_stop.safety,
        "Let's begin.",
    ]
    guided = _said(_top_level(compile_routine(rest_stop))[None])
    assert guided[: 4 + len(rest_stop.safety)] == [
        "Rest-stop stretch.",
        rest_stop.description,
        *rest_stop.safety,
        *rest_stop.setup,
        "Let's begin.",
    ]


# Varied words: releases, reminders, hold cues and encouragement in turn.


def _release_lines(events: list[Event]) -> list[str]:
    return [" ".join(_said(e.release)) for e in events if isinstance(e, Relax)]


def test_release_wordings_are_said_in_turn(rest_stop: Routine) -> None:
    parts = _top_level(compile_routine(rest_stop))
    tense = _release_lines(parts["tense-and-release"])
    assert tense == [
        "Breathe out, and relax completely.",
        "Breathe out, and let go.",
        "Breathe out, and relax.",
        "Breathe out, and relax completely.",
    ]
    neck = rest_stop.exercise("neck-release")
    assert _release_lines(parts["neck-release"]) == [
        neck.release[index % len(neck.release)] for index in range(6)
    ]


def test_a_single_release_wording_alternates_with_a_short_one(rest_stop: Routine) -> None:
    for exercise, short in (
        (replace(rest_stop.exercise("overhead-stretch"), release=("Arms down.",)), "And relax."),
        (
            replace(rest_stop.exercise("tense-and-release"), release=("Relax completely.",)),
            "Breathe out, and relax.",
        ),
    ):
        script = compile_routine(replace(rest_stop, exercises=(exercise,)))
        full = "Breathe out, and relax completely." if exercise.breath_release else "Arms down."
        assert _release_lines(_top_level(script)[exercise.id]) == [full, short, full, short]


@pytest.mark.parametrize("name", ROUTINES)
def test_no_relax_opens_like_the_two_before_it(name: str) -> None:
    routine = _routine(name)
    parts = _top_level(compile_routine(routine))
    for exercise in routine.exercises:
        lines = _release_lines(parts[exercise.id])
        for first, second, third in zip(lines, lines[1:], lines[2:], strict=False):
            assert not first == second == third, lines


def test_a_long_hold_has_a_word_that_is_neither_a_count_nor_a_time(rest_stop: Routine) -> None:
    overhead = rest_stop.exercise("overhead-stretch")
    holds = [
        e
        for e in compile_routine(rest_stop).events
        if isinstance(e, Hold) and e.ms >= LONG_HOLD_MS and not e.counted
    ]
    assert len(holds) == 4
    assert [hold.words[0] for hold in holds] == [
        replace(holds[0].words[0], text=overhead.during[index % len(overhead.during)])
        for index in range(4)
    ]
    assert all(hold.words[0].at_ms == FOCUS_AT_MS for hold in holds)


def test_the_coach_has_its_own_hold_words(rest_stop: Routine) -> None:
    exercise = replace(rest_stop.exercise("overhead-stretch"), during=())
    routine = replace(rest_stop, exercises=(rest_stop.exercise("neck-release"), exercise))
    holds = [
        e for e in compile_routine(routine).events if isinstance(e, Hold) and e.ms >= LONG_HOLD_MS
    ]
    said = [hold.words[0].text for hold in holds]
    assert said and all(text in DURING_WORDS for text in said)
    assert len(set(said[:3])) == min(3, len(DURING_WORDS))


def _after_the_last_relax(events: list[Event]) -> list[str]:
    last = max(index for index, event in enumerate(events) if isinstance(event, Relax))
    return _said(events[last + 1 :])


def test_encouragement_after_each_exercise_but_the_last(rest_stop: Routine) -> None:
    parts = _top_level(compile_routine(rest_stop))
    ends = [_after_the_last_relax(parts[e.id]) for e in rest_stop.exercises]
    expected = [[rest_stop.encouragement[i % len(rest_stop.encouragement)]] for i in range(4)]
    assert ends == [*expected, []]
    brief = _top_level(compile_routine(rest_stop, CompileOptions(brief=True)))
    assert all(_after_the_last_relax(brief[e.id]) == [] for e in rest_stop.exercises)
    own = _top_level(compile_routine(replace(rest_stop, encouragement=())))
    assert _after_the_last_relax(own["neck-release"]) == [ENCOURAGEMENT_WORDS[0]]


# Hold words: silence in short holds, a cue and a countdown in long ones.


def test_hold_words(rest_stop: Routine) -> None:
    holds = {
        exercise_id: [e for e in events if isinstance(e, Hold)]
        for exercise_id, events in _top_level(compile_routine(rest_stop)).items()
    }
    overhead = holds["overhead-stretch"][0]
    assert overhead.ms == 20_000
    assert [(w.at_ms, w.text) for w in overhead.words] == [
        (FOCUS_AT_MS, rest_stop.exercise("overhead-stretch").during[0]),
        (17_000, "Three."),
        (18_000, "Two."),
        (19_000, "One."),
    ]
    for short in ("tense-and-release", "side-bends", "neck-release"):
        assert all(hold.words == () for hold in holds[short]), short
    rolls = holds["shoulder-rolls"][0]
    assert rolls.counted and [(w.at_ms, w.text) for w in rolls.words] == [
        (0, "One."),
        (3_000, "Two."),
        (6_000, "Three."),
    ]


@pytest.mark.parametrize(
    ("hold_ms", "halfway"),
    [
        (30_000, (15_000, "Fifteen seconds left.")),
        (40_000, (20_000, "Twenty seconds left.")),
        (45_000, (22_500, "Halfway.")),
        (31_000, (15_500, "Halfway.")),
        (300_000, (150_000, "A hundred and fifty seconds left.")),
    ],
)
def test_halfway_marks_are_round_numbers_or_halfway(
    rest_stop: Routine, hold_ms: int, halfway: tuple[int, str]
) -> None:
    plan = _with(full_plan(rest_stop), ExercisePlan("overhead-stretch", 1, hold_ms, relax_ms=0))
    script = compile_routine(rest_stop, CompileOptions(plan=plan))
    hold = next(e for e in script.events if isinstance(e, Hold) and e.ms == hold_ms)
    assert (hold.words[1].at_ms, hold.words[1].text) == halfway


@pytest.mark.parametrize(
    "hold_ms", [4_999, 5_000, 9_999, 10_000, 15_000, 21_500, 29_999, 30_000, 300_000]
)
def test_hold_words_for_any_length(rest_stop: Routine, hold_ms: int) -> None:
    plan = _with(full_plan(rest_stop), ExercisePlan("overhead-stretch", 1, hold_ms, relax_ms=0))
    script = compile_routine(rest_stop, CompileOptions(plan=plan))
    hold = next(e for e in script.events if isinstance(e, Hold) and e.ms == hold_ms)
    texts = [w.text for w in hold.words]
    long_hold = hold_ms >= LONG_HOLD_MS
    assert ("Three." in texts) == long_hold
    assert (texts[:1] == [rest_stop.exercise("overhead-stretch").during[0]]) == long_hold
    halfway = [t for t in texts if "seconds left" in t or t == "Halfway."]
    assert len(halfway) == (hold_ms >= HALFWAY_FROM_MS)
    for word in hold.words:
        assert 0 <= word.at_ms < hold_ms
    if halfway:
        mark = hold.words[1]
        assert abs(mark.at_ms - hold_ms / 2) < 1_000
        if mark.text != "Halfway.":
            left_ms = hold_ms - mark.at_ms
            assert left_ms % 5_000 == 0
            assert mark.text == f"{number_words(left_ms // 1000).capitalize()} seconds left."


# Shortened sessions.


def test_plan_drops_and_shortens(rest_stop: Routine) -> None:
    plan = (
        ExercisePlan(
            "neck-release", reps=2, hold_ms=3_000, relax_ms=1_000, move_ms=2_000, terse=True
        ),
    )
    script = compile_routine(rest_stop, CompileOptions(plan=plan))
    chapters = [e.exercise_id for e in script.events if isinstance(e, Chapter)]
    assert chapters == [None, "neck-release", None]
    says = [e.text for e in script.all_events() if isinstance(e, Say)]
    assert "Neck release." in says  # not "Exercise one of one"
    assert not any("one of one" in text.lower() for text in says)
    release = rest_stop.exercise("neck-release").release[0]
    assert says.count(release) == 1  # the first rep's release in full, then "And relax."
    assert says.count("And relax.") == 3
    assert "Last one on this side. Breathe out, left ear to your shoulder." in says
    assert [e.ms for e in script.events if isinstance(e, Hold)] == [3_000] * 4
    assert {e.ms for e in script.events if isinstance(e, Move)} == {2_000}
    assert rest_stop.description not in says  # it describes all five exercises
    assert not set(rest_stop.encouragement) & set(says)


def test_a_plan_without_explanations_starts_the_first_rep_with_its_cue(
    rest_stop: Routine,
) -> None:
    overhead = next(p for p in full_plan(rest_stop) if p.exercise_id == "overhead-stretch")
    plan = _with(full_plan(rest_stop), replace(overhead, explain=False))
    parts = _top_level(compile_routine(rest_stop, CompileOptions(plan=plan)))
    moves = [e for e in parts["overhead-stretch"] if isinstance(e, Move)]
    reminder = rest_stop.exercise("overhead-stretch").reminder[0]
    assert _said(moves[0].cue) == [f"One of four. {reminder}"]
    assert "Exercise two of five: Overhead stretch." in _said(parts["overhead-stretch"])
    neck = [e for e in parts["neck-release"] if isinstance(e, Move)]
    assert len(_said(neck[0].cue)) > 1  # the others are explained as ever


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
    exclaimed = replace(rest_stop, title="Morning stretch!", description="")
    exercise: Exercise = replace(rest_stop.exercises[0], title="Shrug.")
    exclaimed = replace(exclaimed, exercises=(exercise,))
    says = compile_routine(exclaimed).phrases()
    assert says[0] == "Morning stretch!"
    assert says[1] == rest_stop.safety[0]  # no empty description line
    assert "Shrug." in says
