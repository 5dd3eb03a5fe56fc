"""The script compiler: turns a Routine (and a plan for how much of it to do) into a Script.

Pure and deterministic: no audio, no files. Every spoken word of a session is decided here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coach.plan.routine import Exercise, Routine
from coach.plan.script import Chapter, Cue, Event, Hold, HoldWord, Rest, Say, Script, Step

PHRASE_GAP_MS = 300
"""Quiet between two phrases of an instruction."""
AFTER_CHIME_MS = 300
BEFORE_RELEASE_MS = 150
BETWEEN_REPS_MS = 1_000
"""Quiet after a rep that has no relax time of its own."""
BETWEEN_EXERCISES_MS = 1_500

HALFWAY_FROM_MS = 10_000
"""Holds at least this long get a halfway mark ("ten seconds left")."""
COUNTDOWN_FROM_MS = 5_000
"""Holds at least this long end with "three, two, one"."""

OPENING_TITLE = "Before you start"
LETS_BEGIN = "Let's begin."
HOLD_WORD = "Hold."


@dataclass(frozen=True)
class ExercisePlan:
    """How much of one exercise to do: reps (per side), hold and relax in ms, and whether
    later reps skip the reminder wording (`terse`)."""

    reps: int
    hold_ms: int
    relax_ms: int
    terse: bool = False


@dataclass(frozen=True)
class CompileOptions:
    """How to compile a routine.

    `plan` maps exercise id to its ExercisePlan, in routine order; exercises missing from
    it are left out. None means every exercise in full. `note` is an extra opening line
    (the fitter uses it to say this is a shorter version).
    """

    brief: bool = False
    plan: tuple[tuple[str, ExercisePlan], ...] | None = None
    note: str | None = None


def full_plan(routine: Routine) -> dict[str, ExercisePlan]:
    """Every exercise of the routine, as written."""
    return {
        exercise.id: ExercisePlan(exercise.reps, exercise.hold_ms, exercise.relax_ms)
        for exercise in routine.exercises
    }


def compile_routine(routine: Routine, options: CompileOptions | None = None) -> Script:
    """Compile `routine` into the Script of one session. Pure and deterministic."""
    options = options or CompileOptions()
    plans: Mapping[str, ExercisePlan] = (
        dict(options.plan) if options.plan is not None else full_plan(routine)
    )
    chosen = [exercise for exercise in routine.exercises if exercise.id in plans]
    events = opening_events(routine, options.note)
    for number, exercise in enumerate(chosen, start=1):
        events.append(Rest(BETWEEN_EXERCISES_MS))
        events.extend(
            exercise_events(exercise, plans[exercise.id], number, len(chosen), options.brief)
        )
    events.append(Rest(BETWEEN_EXERCISES_MS))
    events.extend(closing_events(routine))
    return Script(title=routine.title, events=tuple(events))


def opening_events(routine: Routine, note: str | None) -> list[Event]:
    """The opening chapter: title, description, safety lines, any note, "Let's begin"."""
    events: list[Event] = [Chapter(OPENING_TITLE, None)]
    opening = [sentence(routine.title)]
    if routine.description:
        opening.append(routine.description)
    opening.extend(routine.safety)
    if note:
        opening.append(note)
    opening.append(LETS_BEGIN)
    _say_lines(events, opening)
    return events


def closing_events(routine: Routine) -> list[Event]:
    """The closing lines and the end-of-session chime."""
    events: list[Event] = []
    _say_lines(events, routine.closing)
    events.append(Rest(AFTER_CHIME_MS))
    events.append(Cue("session-end"))
    return events


def sentence(text: str) -> str:
    """`text` ending as a sentence: a full stop added unless it ends in . ! or ?."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _say_lines(events: list[Event], lines: list[str] | tuple[str, ...]) -> None:
    for index, line in enumerate(lines):
        if index:
            events.append(Rest(PHRASE_GAP_MS))
        events.append(Say(line))


def exercise_events(
    exercise: Exercise, plan: ExercisePlan, number: int, total: int, brief: bool
) -> list[Event]:
    """One exercise's chapter: number `number` of `total` in the session."""
    events: list[Event] = [
        Chapter(exercise.title, exercise.id),
        Cue("exercise"),
        Rest(AFTER_CHIME_MS),
        Say(
            sentence(f"Exercise {number_words(number)} of {number_words(total)}: {exercise.title}")
        ),
    ]
    sides: tuple[str | None, ...] = exercise.sides or (None,)
    first_rep = True
    for side_index, side in enumerate(sides):
        for rep in range(1, plan.reps + 1):
            if first_rep:
                wording = exercise.reminder if brief else exercise.instructions
            else:
                wording = () if plan.terse else exercise.reminder
            events.append(Step(_step_label(side, rep, plan.reps)))
            counter = _counter_phrase(side, side_index, rep, plan.reps)
            if counter:
                events.append(Rest(PHRASE_GAP_MS))
                events.append(Say(counter))
            _rep_body(events, exercise, plan, side, wording)
            first_rep = False
    return events


def _rep_body(
    events: list[Event],
    exercise: Exercise,
    plan: ExercisePlan,
    side: str | None,
    wording: tuple[str, ...],
) -> None:
    lines: list[str] = []
    if exercise.breath_move:
        lines.append(f"Breathe {exercise.breath_move}.")
    lines.extend(_for_side(line, side) for line in wording)
    if plan.hold_ms and not exercise.count:
        lines.append(HOLD_WORD)
    for line in lines:
        events.append(Rest(PHRASE_GAP_MS))
        events.append(Say(line))
    if plan.hold_ms:
        events.append(_hold(plan.hold_ms, exercise.count))
        events.append(Cue("hold-end"))
        release: list[str] = []
        if exercise.breath_release:
            release.append(f"Breathe {exercise.breath_release}.")
        release.extend(_for_side(line, side) for line in exercise.release)
        if release:
            events.append(Rest(BEFORE_RELEASE_MS))
            _say_lines(events, release)
    events.append(Rest(plan.relax_ms or BETWEEN_REPS_MS))


def _hold(hold_ms: int, count: int) -> Hold:
    if count:
        beat_ms = hold_ms // count
        counts = tuple(
            HoldWord(index * beat_ms, f"{number_words(index + 1).capitalize()}.")
            for index in range(count)
        )
        return Hold(hold_ms, counts, counted=True)
    words: list[HoldWord] = []
    if hold_ms >= HALFWAY_FROM_MS:
        seconds_left = hold_ms // 2 // 1000
        words.append(
            HoldWord(
                hold_ms - seconds_left * 1000,
                f"{number_words(seconds_left).capitalize()} seconds left.",
            )
        )
    if hold_ms >= COUNTDOWN_FROM_MS:
        words.extend(
            HoldWord(hold_ms - left * 1000, f"{number_words(left).capitalize()}.")
            for left in (3, 2, 1)
        )
    return Hold(hold_ms, tuple(words))


def _for_side(line: str, side: str | None) -> str:
    return line.replace("{side}", side) if side else line


def _step_label(side: str | None, rep: int, reps: int) -> str:
    count = f"{rep} of {reps}"
    return f"{side} side, {count}" if side else count


def _counter_phrase(side: str | None, side_index: int, rep: int, reps: int) -> str:
    count = f"{number_words(rep).capitalize()} of {number_words(reps)}."
    if side and rep == 1:
        opening = f"{side.capitalize()} side." if side_index == 0 else f"Now the {side} side."
        return opening if reps == 1 else f"{opening} {count}"
    return count if reps > 1 else ""


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "- - twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(number: int) -> str:
    """English words for 0 to 999 ("twenty-one", "a hundred and five")."""
    if not 0 <= number <= 999:
        raise ValueError(f"number_words handles 0 to 999, not {number}")
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(number, 100)
    head = "a hundred" if hundreds == 1 else f"{_ONES[hundreds]} hundred"
    return head + (f" and {number_words(rest)}" if rest else "")
