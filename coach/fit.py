"""The shorter version: fit a session to a length the user asks for.

Cuts happen in a fixed order, lowest-priority exercise first within each kind of cut:
1. later reps skip the reminder wording (only the count, side and breath are said);
2. fewer reps, one at a time across exercises, down to each exercise's minimum
   (left and right always keep the same number);
3. shorter holds and relax times, a second at a time, down to each minimum;
4. whole exercises left out, lowest priority first (the order of the rest never changes).

Holds are also trimmed earlier in that order when that is what it takes to land within
`TOLERANCE_MS` under the target, so the result is never longer than asked and rarely much
shorter. Pure and deterministic: lengths come from the `SpeechLengths` passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from coach.compiler import CompileOptions, ExercisePlan, compile_routine, number_words
from coach.errors import CoachError
from coach.routine import Exercise, Routine
from coach.script import Script
from coach.timeline import format_clock, session_length_ms
from coach.types import SpeechLengths

TOLERANCE_MS = 15_000
"""A fitted session is at most the target and aims to be no more than this under it."""
TRIM_STEP_MS = 1_000


@dataclass(frozen=True)
class Fitted:
    """A session compiled to fit: its options, script, length and what was changed."""

    options: CompileOptions
    script: Script
    length_ms: int
    changes: tuple[str, ...]

    def summary(self) -> str:
        """One line for people: "3:00 version: 2 reps each, holds 10 s, shoulder rolls left out"."""
        if not self.changes:
            return "full session"
        return ", ".join(self.changes)


def full_session(routine: Routine, brief: bool, lengths: SpeechLengths) -> Fitted:
    """The session as the routine is written."""
    options = CompileOptions(brief=brief)
    script = compile_routine(routine, options)
    return Fitted(options, script, session_length_ms(script, lengths), ())


def fit_session(routine: Routine, brief: bool, target_ms: int, lengths: SpeechLengths) -> Fitted:
    """The session fitted to at most `target_ms`.

    A target at or above the full length gives the full session. A target below the
    shortest possible version is a CoachError naming that shortest length.
    """
    full = full_session(routine, brief, lengths)
    if target_ms >= full.length_ms:
        return full
    note = _shorter_note(target_ms)
    best: tuple[int, CompileOptions, Script] | None = None
    for plan in _candidate_plans(routine):
        options = CompileOptions(brief=brief, plan=plan, note=note)
        script = compile_routine(routine, options)
        length = session_length_ms(script, lengths)
        if length > target_ms:
            continue
        if length >= target_ms - TOLERANCE_MS:
            best = (length, options, script)
            break
        if best is None or length > best[0]:
            best = (length, options, script)
    if best is None:
        shortest = shortest_session(routine, brief, lengths)
        raise CoachError(
            f"The shortest version of '{routine.title}' is {format_clock(shortest.length_ms)} "
            f"({shortest.length_ms / 60_000:.1f} minutes); {_minutes(target_ms)} is "
            "too short. Ask for at least that many minutes."
        )
    length, options, script = best
    return Fitted(options, script, length, describe_changes(routine, options))


def shortest_session(routine: Routine, brief: bool, lengths: SpeechLengths) -> Fitted:
    """The shortest version the fitter can make of this routine."""
    last = None
    for plan in _candidate_plans(routine):
        last = plan
    assert last is not None  # a routine has at least one exercise
    options = CompileOptions(brief=brief, plan=last, note=_shorter_note(0))
    script = compile_routine(routine, options)
    return Fitted(
        options, script, session_length_ms(script, lengths), describe_changes(routine, options)
    )


def _shorter_note(target_ms: int) -> str:
    minutes = round(target_ms / 60_000)
    if minutes <= 1:
        return "This is a short version, about a minute long."
    return f"This is a shorter version, about {number_words(minutes)} minutes long."


def _cut_order(exercises: tuple[Exercise, ...]) -> list[Exercise]:
    """Exercises in the order they are cut: lowest priority first, later ones first on ties."""
    indexed = list(enumerate(exercises))
    indexed.sort(key=lambda pair: (pair[1].priority, -pair[0]))
    return [exercise for _, exercise in indexed]


PlanTuple = tuple[tuple[str, ExercisePlan], ...]


def _candidate_plans(routine: Routine) -> Iterator[PlanTuple]:
    """Every plan the fitter considers, most preferred first (see the module docstring)."""
    cut_order = _cut_order(routine.exercises)
    for dropped in range(len(routine.exercises)):
        gone = {exercise.id for exercise in cut_order[:dropped]}
        kept = tuple(exercise for exercise in routine.exercises if exercise.id not in gone)
        ladder = list(_structure_ladder(kept, [e for e in cut_order if e.id not in gone]))
        max_trim = max(max(e.hold_ms - e.min_hold_ms, e.relax_ms - e.min_relax_ms) for e in kept)
        trims = range(0, max_trim + TRIM_STEP_MS, TRIM_STEP_MS) if max_trim else (0,)
        for trim in trims:
            for structure in ladder:
                yield tuple(
                    (exercise.id, _plan(exercise, *structure[exercise.id], trim))
                    for exercise in kept
                )


def _plan(exercise: Exercise, reps: int, terse: bool, trim_ms: int) -> ExercisePlan:
    return ExercisePlan(
        reps=reps,
        hold_ms=max(exercise.min_hold_ms, exercise.hold_ms - trim_ms),
        relax_ms=max(exercise.min_relax_ms, exercise.relax_ms - trim_ms),
        terse=terse,
    )


def _structure_ladder(
    kept: tuple[Exercise, ...], cut_order: list[Exercise]
) -> Iterator[dict[str, tuple[int, bool]]]:
    """Reps and wording states from full to the minimum, one small cut at a time."""
    state = {exercise.id: (exercise.reps, False) for exercise in kept}
    yield dict(state)
    for exercise in cut_order:
        if exercise.reps > 1 or exercise.sides:
            state[exercise.id] = (exercise.reps, True)
            yield dict(state)
    reducing = True
    while reducing:
        reducing = False
        for exercise in cut_order:
            reps, terse = state[exercise.id]
            if reps > exercise.min_reps:
                state[exercise.id] = (reps - 1, terse)
                reducing = True
                yield dict(state)


def describe_changes(routine: Routine, options: CompileOptions) -> tuple[str, ...]:
    """What a plan changed from the routine as written, in a few short phrases."""
    if options.plan is None:
        return ()
    plans = dict(options.plan)
    kept = [exercise for exercise in routine.exercises if exercise.id in plans]
    changes: list[str] = []
    if any(plans[e.id].terse for e in kept):
        changes.append("fewer words after the first rep")
    changes.extend(
        _describe_numbers(
            [(e, plans[e.id].reps) for e in kept if plans[e.id].reps != e.reps],
            len(kept),
            "reps",
            lambda e, reps: f"{reps} a side" if e.sides else f"{reps} reps",
        )
    )
    changes.extend(
        _describe_numbers(
            [(e, plans[e.id].hold_ms) for e in kept if plans[e.id].hold_ms != e.hold_ms],
            len([e for e in kept if e.hold_ms]),
            "holds",
            lambda e, ms: f"holds {ms / 1000:g} s",
        )
    )
    changes.extend(
        _describe_numbers(
            [(e, plans[e.id].relax_ms) for e in kept if plans[e.id].relax_ms != e.relax_ms],
            len([e for e in kept if e.relax_ms]),
            "relax",
            lambda e, ms: f"relax {ms / 1000:g} s",
        )
    )
    dropped = [e.title.lower() for e in routine.exercises if e.id not in plans]
    if dropped:
        changes.append(_join(dropped) + " left out")
    return tuple(changes)


def _describe_numbers(
    changed: list[tuple[Exercise, int]],
    eligible: int,
    kind: str,
    phrase: Callable[[Exercise, int], str],
) -> list[str]:
    """ "2 reps each" when every eligible exercise changed alike; "holds 3 s (overhead
    stretch 15 s)" when all changed but a few differ; else one phrase for each."""
    if not changed:
        return []
    values = [value for _, value in changed]
    common = max(sorted(set(values)), key=values.count)
    if len(changed) == eligible and eligible > 1 and values.count(common) > 1:
        head = f"{common} reps each" if kind == "reps" else phrase(changed[0][0], common)
        others = [
            f"{exercise.title.lower()} {phrase(exercise, value).removeprefix(kind + ' ')}"
            for exercise, value in changed
            if value != common
        ]
        return [head + (f" ({', '.join(others)})" if others else "")]
    return [f"{exercise.title.lower()} {phrase(exercise, value)}" for exercise, value in changed]


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _minutes(ms: int) -> str:
    minutes = ms / 60_000
    return "1 minute" if minutes == 1 else f"{minutes:g} minutes"
