"""The shorter version: fit a session to a length the user asks for.

Cuts happen in a fixed order, lowest-priority exercise first within each kind of cut:
1. later reps come out of the hold with a short "And relax." instead of the release wording,
   and no word of encouragement follows the exercise (every rep still starts with its count
   and the words that name its movement);
2. the first rep is started by its short cue, as the later ones are, instead of the full
   instructions;
3. fewer reps, one at a time across exercises, down to each exercise's minimum
   (left and right always keep the same number);
4. shorter holds and relax times, a second at a time, down to each minimum;
5. whole exercises left out, lowest priority first (the rest keep their order and start
   again from step 1).

The first state in that order that fits the target is taken. When it lands more than
`TOLERANCE_MS` under the target (one cut can be half a minute), the states before it are
tried, latest first, with their holds trimmed just enough to fit, and the longest that fits
is used; the search ends at the first within the tolerance. The result is never longer than
asked. Pure and deterministic: lengths come from the `SpeechLengths` passed in.

A state is measured exactly only when a lower bound of its length (`lengths.AtLeast`: the
phrases known so far, nothing for the rest) does not already rule it out. With measured
speech, the phrases of states far too long (the full session's third rep, say, for a
five-minute version) are then never synthesized; the answer is the same as if every length
were known, since a state is only passed over when it is certainly too long.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from coach.errors import CoachError
from coach.plan.compiler import (
    BETWEEN_EXERCISES_MS,
    CompileOptions,
    ExercisePlan,
    Plan,
    closing_events,
    compile_routine,
    exercise_events,
    opening_events,
)
from coach.plan.lengths import AtLeast, SpeechLengths, events_length_ms
from coach.plan.routine import Exercise, Routine
from coach.plan.script import Script
from coach.time import format_length, minutes_at_least, minutes_text, seconds_text

TOLERANCE_MS = 15_000
"""A fitted session is at most the target and aims to be no more than this under it."""
TRIM_STEP_MS = 1_000
SHORTER_NOTE = "This is a shorter version of the routine."
"""Said in the opening of every fitted session. The same words whatever the length: a note
that named the minutes would make the shortest version depend on the length asked for."""

FULL_SESSION = "full session"
"""How a session with nothing cut is described, wherever it is described."""


@dataclass(frozen=True)
class Cuts:
    """How far one kept exercise is cut: its reps (per side), whether later reps skip the
    release wording, whether the first rep is explained in full, and how much shorter its
    hold and relax are."""

    reps: int
    terse: bool = False
    trim_ms: int = 0
    explain: bool = True


State = dict[str, Cuts]
"""Exercise id -> its cuts, for the exercises kept."""


@dataclass(frozen=True)
class Fitted:
    """A session compiled to fit: its options, script, length and what was changed."""

    options: CompileOptions
    script: Script
    length_ms: int
    changes: tuple[str, ...]

    def summary(self) -> str:
        """What changed, in one line ("2 reps each; holds 10 s; shoulder rolls left out")."""
        if not self.changes:
            return FULL_SESSION
        return "; ".join(self.changes)

    def describe(self, minutes: float | None) -> str:
        """The fit as the commands report it, for a session asked for in `minutes` (None:
        the full session was asked for): "fitted to 5 minutes: 2 reps each; ..."."""
        if minutes is None:
            return FULL_SESSION
        if not self.changes:
            return (
                f"{FULL_SESSION}: {minutes_text(minutes)} is not shorter than the full "
                f"{format_length(self.length_ms)}, which is the longest version"
            )
        return f"fitted to {minutes_text(minutes)}: {self.summary()}"


def full_session(routine: Routine, lengths: SpeechLengths, *, brief: bool = False) -> Fitted:
    """The session as the routine is written."""
    options = CompileOptions(brief=brief)
    script = compile_routine(routine, options)
    return Fitted(options, script, events_length_ms(script.events, lengths), ())


def fit_session(
    routine: Routine, target_ms: int, lengths: SpeechLengths, *, brief: bool = False
) -> Fitted:
    """The session fitted to at most `target_ms`.

    A target at or above the full length gives the full session. A target below the
    shortest possible version is a CoachError naming that shortest length.
    """
    at_least = AtLeast(lengths)
    full = full_session(routine, at_least, brief=brief)
    if full.length_ms <= target_ms:  # only then can it fit: measure it
        full = replace(full, length_ms=events_length_ms(full.script.events, lengths))
        if target_ms >= full.length_ms:
            return full
    measure = _PlanLengths(routine, lengths, brief=brief)
    bound = _PlanLengths(routine, at_least, brief=brief)

    def fits(plan: Plan) -> bool:
        return bound(plan) <= target_ms and measure(plan) <= target_ms

    passed: list[Plan] = []
    chosen: Plan | None = None
    for plan in _cut_sequence(routine):
        if fits(plan):
            chosen = plan
            break
        passed.append(plan)
    if chosen is None:
        shortest = shortest_session(routine, lengths, brief=brief)
        least = minutes_at_least(shortest.length_ms)
        raise CoachError(
            f"The shortest version of '{routine.title}' is "
            f"{format_length(shortest.length_ms)}; {minutes_text(target_ms / 60_000)} is too "
            f"short. Ask for at least {least:g} minutes."
        )
    # Too far under: a version passed over, its holds trimmed just enough, may come closer.
    # The latest ones first; the first within the tolerance ends the search.
    for previous in reversed(passed):
        if measure(chosen) >= target_ms - TOLERANCE_MS:
            break
        for trimmed in _filler_trims(routine, previous):
            if fits(trimmed):
                if measure(trimmed) > measure(chosen):
                    chosen = trimmed
                break
    return _compiled(routine, chosen, lengths, brief=brief)


def shortest_session(routine: Routine, lengths: SpeechLengths, *, brief: bool = False) -> Fitted:
    """The shortest version the fitter can make of this routine (the first in the order of
    cuts, of those equally short).

    The versions are tried from the last cut back, the most cut first, so the shortest so
    far soon rules the others out by their lower bounds without measuring them.
    """
    measure = _PlanLengths(routine, lengths, brief=brief)
    bound = _PlanLengths(routine, AtLeast(lengths), brief=brief)
    shortest: Plan | None = None
    shortest_ms = 0
    for plan in reversed(list(_cut_sequence(routine))):
        # Backwards, an equally short version is earlier in the order, and is the one kept.
        if shortest is not None and bound(plan) > shortest_ms:
            continue
        length = measure(plan)
        if shortest is None or length <= shortest_ms:
            shortest, shortest_ms = plan, length
    if shortest is None:
        raise ValueError("a routine has at least one version")
    return _compiled(routine, shortest, lengths, brief=brief)


def _compiled(routine: Routine, plan: Plan, lengths: SpeechLengths, *, brief: bool) -> Fitted:
    options = CompileOptions(brief=brief, plan=plan, note=SHORTER_NOTE)
    script = compile_routine(routine, options)
    return Fitted(
        options,
        script,
        events_length_ms(script.events, lengths),
        describe_changes(routine, options),
    )


class _PlanLengths:
    """Session length for a plan, from memoized lengths of its parts (the fitter tries
    hundreds of plans; each exercise's length depends only on its own plan and place).
    With `AtLeast` lengths, a lower bound: one memoized before more phrases were known is
    lower than it could be, but still a lower bound."""

    def __init__(
        self,
        routine: Routine,
        lengths: SpeechLengths,
        *,
        brief: bool,
        note: str = SHORTER_NOTE,
    ) -> None:
        self.routine = routine
        self.brief = brief
        self.note = note
        self.lengths = lengths
        closing = events_length_ms(closing_events(routine), lengths)
        self.fixed = {  # the opening says the description only when nothing is left out
            complete: events_length_ms(
                opening_events(routine, note, complete=complete, brief=brief), lengths
            )
            + closing
            for complete in (True, False)
        }
        self.parts: dict[tuple[ExercisePlan, int, int], int] = {}

    def __call__(self, plan: Plan) -> int:
        complete = len(plan) == len(self.routine.exercises)
        total = self.fixed[complete] + BETWEEN_EXERCISES_MS * (len(plan) + 1)
        for number, exercise_plan in enumerate(plan, start=1):
            key = (exercise_plan, number, len(plan))
            if key not in self.parts:
                events = exercise_events(
                    self.routine.exercise(exercise_plan.exercise_id),
                    exercise_plan,
                    number=number,
                    total=len(plan),
                    brief=self.brief,
                    encouragement=self.routine.encouragement,
                )
                self.parts[key] = events_length_ms(events, self.lengths)
            total += self.parts[key]
        return total


def _cut_order(exercises: tuple[Exercise, ...]) -> list[Exercise]:
    """Exercises in the order they are cut: lowest priority first, later ones first on ties."""
    indexed = list(enumerate(exercises))
    indexed.sort(key=lambda pair: (pair[1].priority, -pair[0]))
    return [exercise for _, exercise in indexed]


def _as_plan(kept: tuple[Exercise, ...], state: State) -> Plan:
    return tuple(
        ExercisePlan(
            exercise.id,
            reps=state[exercise.id].reps,
            hold_ms=max(exercise.min_hold_ms, exercise.hold_ms - state[exercise.id].trim_ms),
            relax_ms=max(exercise.min_relax_ms, exercise.relax_ms - state[exercise.id].trim_ms),
            move_ms=exercise.move_ms,
            terse=state[exercise.id].terse,
            explain=state[exercise.id].explain,
        )
        for exercise in kept
    )


def _cut_sequence(routine: Routine) -> Iterator[Plan]:
    """Every plan in the order of cuts described in the module docstring."""
    cut_order = _cut_order(routine.exercises)
    for dropped in range(len(routine.exercises)):
        gone = {exercise.id for exercise in cut_order[:dropped]}
        kept = tuple(exercise for exercise in routine.exercises if exercise.id not in gone)
        order = [exercise for exercise in cut_order if exercise.id not in gone]
        state: State = {exercise.id: Cuts(exercise.reps) for exercise in kept}
        yield _as_plan(kept, state)
        for exercise in order:
            if _has_later_words(exercise, last=exercise is kept[-1]):
                state[exercise.id] = replace(state[exercise.id], terse=True)
                yield _as_plan(kept, state)
        for exercise in order:
            state[exercise.id] = replace(state[exercise.id], explain=False)
            yield _as_plan(kept, state)
        reducing = True
        while reducing:
            reducing = False
            for exercise in order:
                cuts = state[exercise.id]
                if cuts.reps > exercise.min_reps:
                    state[exercise.id] = replace(cuts, reps=cuts.reps - 1)
                    reducing = True
                    yield _as_plan(kept, state)
        for trimmed in _trim_steps(order, state):
            yield _as_plan(kept, trimmed)


def _has_later_words(exercise: Exercise, *, last: bool) -> bool:
    """True when the first cut has words to take from an exercise: release wording after
    more than one hold, or the encouragement after it (said unless it is the last)."""
    later_releases = exercise.hold_ms and (exercise.reps > 1 or exercise.sides)
    return not last or bool(later_releases and (exercise.release or exercise.breath_release))


def _trim_steps(order: list[Exercise], state: State) -> Iterator[State]:
    """Hold and relax a second shorter, one exercise at a time, down to the minimums."""
    state = dict(state)
    trimming = True
    while trimming:
        trimming = False
        for exercise in order:
            cuts = state[exercise.id]
            if _trimmable(exercise, cuts.trim_ms):
                state[exercise.id] = replace(cuts, trim_ms=cuts.trim_ms + TRIM_STEP_MS)
                trimming = True
                yield dict(state)


def _trimmable(exercise: Exercise, trim_ms: int) -> bool:
    return (
        exercise.hold_ms - trim_ms > exercise.min_hold_ms
        or exercise.relax_ms - trim_ms > exercise.min_relax_ms
    )


def _filler_trims(routine: Routine, plan: Plan) -> Iterator[Plan]:
    """The plan with holds trimmed a step at a time, to fill the gap between two cuts."""
    plans = {exercise_plan.exercise_id: exercise_plan for exercise_plan in plan}
    kept = tuple(exercise for exercise in routine.exercises if exercise.id in plans)
    state: State = {}
    for exercise in kept:
        exercise_plan = plans[exercise.id]
        already = max(
            exercise.hold_ms - exercise_plan.hold_ms, exercise.relax_ms - exercise_plan.relax_ms
        )
        state[exercise.id] = Cuts(
            exercise_plan.reps, exercise_plan.terse, already, exercise_plan.explain
        )
    order = [exercise for exercise in _cut_order(routine.exercises) if exercise.id in plans]
    for trimmed in _trim_steps(order, state):
        yield _as_plan(kept, trimmed)


def describe_changes(routine: Routine, options: CompileOptions) -> tuple[str, ...]:
    """What a plan changed from the routine as written, in a few short phrases."""
    if options.plan is None:
        return ()
    plans = {plan.exercise_id: plan for plan in options.plan}
    kept = [exercise for exercise in routine.exercises if exercise.id in plans]
    changes: list[str] = []
    if any(plans[e.id].terse for e in kept):
        changes.append("fewer words after the first rep")
    short = [e for e in kept if not plans[e.id].explain]
    if short:
        if len(short) == len(kept):
            changes.append("short instructions")
        else:
            changes.append("short instructions: " + _join([e.title.lower() for e in short]))
    changes.extend(
        _describe_numbers(
            [(e, plans[e.id].reps) for e in kept if plans[e.id].reps != e.reps],
            len(kept),
            "reps",
            lambda e, reps: f"{reps} a side" if e.sides else _reps(reps),
        )
    )
    for kind, field in (("holds", "hold_ms"), ("relax", "relax_ms")):
        # Both Exercise and ExercisePlan have these fields: as written, and as planned.
        changed = [
            (e, getattr(plans[e.id], field))
            for e in kept
            if getattr(plans[e.id], field) != getattr(e, field)
        ]
        changes.extend(
            _describe_numbers(
                changed,
                len([e for e in kept if getattr(e, field)]),
                kind,
                _seconds_phrase(kind),
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
    stretch 15 s)" when all changed but a few differ; else "shorter holds: neck release
    3 s, overhead stretch 19 s"."""
    if not changed:
        return []
    values = [value for _, value in changed]
    common = max(sorted(set(values)), key=values.count)
    if len(changed) == eligible and eligible > 1 and values.count(common) > 1:
        head = f"{_reps(common)} each" if kind == "reps" else phrase(changed[0][0], common)
        others = [
            f"{exercise.title.lower()} {phrase(exercise, value).removeprefix(kind + ' ')}"
            for exercise, value in changed
            if value != common
        ]
        return [head + (f" ({', '.join(others)})" if others else "")]
    each = ", ".join(
        f"{exercise.title.lower()} {phrase(exercise, value).removeprefix(kind + ' ')}"
        for exercise, value in changed
    )
    label = {"reps": "fewer reps", "holds": "shorter holds", "relax": "shorter relax"}[kind]
    return [f"{label}: {each}"]


def _seconds_phrase(kind: str) -> Callable[[Exercise, int], str]:
    """The phrase for a changed length in ms: "holds 10 s", "relax 3 s"."""
    return lambda _exercise, ms: f"{kind} {seconds_text(ms)}"


def _reps(count: int) -> str:
    return "1 rep" if count == 1 else f"{count} reps"


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]
