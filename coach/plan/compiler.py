"""The script compiler: turns a Routine (and a plan for how much of it to do) into a Script.

Pure and deterministic: no audio, no files. Every spoken word of a session is decided here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coach.plan.routine import Exercise, Routine
from coach.plan.script import Chapter, Cue, Event, Hold, HoldWord, Relax, Rest, Say, Script, Step

PHRASE_GAP_MS = 300
"""Quiet between two phrases of an instruction."""
AFTER_CHIME_MS = 300
BEFORE_RELEASE_MS = 150
BETWEEN_REPS_MS = 1_000
"""Quiet between the reps of an exercise that has no hold."""
BETWEEN_EXERCISES_MS = 700

HALFWAY_FROM_MS = 10_000
"""Holds at least this long get a halfway mark ("Ten seconds left." or "Halfway.")."""
ROUND_SECONDS_MS = 5_000
"""A halfway mark names the seconds left only when they are a multiple of this."""
COUNTDOWN_FROM_MS = 5_000
"""Holds at least this long end with "three, two, one"."""

OPENING_TITLE = "Before you start"
CLOSING_TITLE = "Finish"
LETS_BEGIN = "Let's begin."
HOLD_WORD = "Hold."
HALFWAY_WORD = "Halfway."
SHORT_RELEASE = "And relax."
"""A short release (brief mode, or a later rep of a shortened session) without a breath cue."""


@dataclass(frozen=True)
class ExercisePlan:
    """How much of one exercise to do: reps (per side), hold and relax in ms, and whether
    later reps come out of the hold with a short "And relax." instead of the release wording
    (`terse`)."""

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
    events = opening_events(
        routine,
        options.note,
        complete=len(chosen) == len(routine.exercises),
        brief=options.brief,
    )
    for number, exercise in enumerate(chosen, start=1):
        events.append(Rest(BETWEEN_EXERCISES_MS))
        events.extend(
            exercise_events(exercise, plans[exercise.id], number, len(chosen), options.brief)
        )
    events.append(Rest(BETWEEN_EXERCISES_MS))
    events.extend(closing_events(routine))
    return Script(title=routine.title, events=tuple(events))


def opening_events(
    routine: Routine, note: str | None, *, complete: bool = True, brief: bool = False
) -> list[Event]:
    """The opening chapter: title, description, safety and setup lines, any note, "Let's
    begin". The description is left out of a session that leaves exercises out (`complete`
    False), since it describes the whole routine ("Five gentle exercises ..."); brief mode
    says only the title and the safety lines before "Let's begin"."""
    events: list[Event] = [Chapter(OPENING_TITLE, None)]
    opening = [sentence(routine.title)]
    if routine.description and complete and not brief:
        opening.append(routine.description)
    opening.extend(routine.safety)
    if not brief:
        opening.extend(routine.setup)
    if note:
        opening.append(note)
    opening.append(LETS_BEGIN)
    _say_lines(events, opening)
    return events


def closing_events(routine: Routine) -> list[Event]:
    """The closing chapter: the closing lines and the end-of-session chime."""
    events: list[Event] = [Chapter(CLOSING_TITLE, None)]
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


@dataclass(frozen=True)
class _Rep:
    """One rep in the order it is done: which side (if any), and its number on that side."""

    side: str | None
    side_index: int
    number: int
    of: int
    counted: bool = False
    """A counted movement's reps are sets ("Set two of four."), so that the number of the set
    is not mistaken for the counting that follows."""

    @property
    def label(self) -> str:
        """The status line's step: "left side, 2 of 3" or "2 of 4"."""
        count = f"{self.number} of {self.of}"
        return f"{self.side} side, {count}" if self.side else count

    @property
    def counter(self) -> str:
        """What the coach says to start it: "Left side. One of three." or "One of four." on
        a side's first rep, just "Two." on later ones (the first said how many), nothing
        for the only rep of an exercise without sides; "Set two of four." for a counted
        movement."""
        if self.counted:
            count = f"Set {number_words(self.number)} of {number_words(self.of)}."
            if self.number > 1:
                return count
        else:
            count = f"{number_words(self.number).capitalize()} of {number_words(self.of)}."
            if self.number > 1:
                return f"{number_words(self.number).capitalize()}."
        if self.side:
            opening = (
                f"{self.side.capitalize()} side."
                if self.side_index == 0
                else f"Now the {self.side} side."
            )
            return opening if self.of == 1 else f"{opening} {count}"
        return count if self.of > 1 else ""


def _reps(exercise: Exercise, plan: ExercisePlan) -> list[_Rep]:
    sides: tuple[str | None, ...] = exercise.sides or (None,)
    return [
        _Rep(side, side_index, number, plan.reps, counted=bool(exercise.count))
        for side_index, side in enumerate(sides)
        for number in range(1, plan.reps + 1)
    ]


def exercise_events(
    exercise: Exercise, plan: ExercisePlan, number: int, total: int, brief: bool
) -> list[Event]:
    """One exercise's chapter: number `number` of `total` in the session.

    The first rep is explained in full; every later rep (and in brief mode every rep) starts
    with a short lead-in that names its movement, said at the end of the relax before it.
    Brief mode, and a later rep of a shortened session, come out of a hold with a short
    release: the breath cue, or "And relax.".
    """
    heading = f"Exercise {number_words(number)} of {number_words(total)}: {exercise.title}"
    events: list[Event] = [
        Chapter(exercise.title, exercise.id),
        Cue("exercise"),
        Rest(AFTER_CHIME_MS),
        Say(sentence(exercise.title if brief else heading)),
    ]
    reps = _reps(exercise, plan)
    events.append(Step(reps[0].label))
    events.extend(_first_rep_words(exercise, plan, reps[0], brief))
    for index, rep in enumerate(reps):
        following = reps[index + 1] if index + 1 < len(reps) else None
        lead_in: tuple[Step | Say, ...] = ()
        if following is not None:
            lead_in = (Step(following.label), Say(_lead_in(exercise, plan, following)))
        if not plan.hold_ms:
            events.append(Rest(max(plan.relax_ms, BETWEEN_REPS_MS)))
            events.extend(lead_in)
            continue
        events.append(_hold(plan.hold_ms, exercise.count))
        full = not brief and (index == 0 or not plan.terse)
        release = _release(exercise, rep, full=full, brief=brief)
        events.append(Relax(plan.relax_ms, release, lead_in))
    return events


def _first_rep_words(exercise: Exercise, plan: ExercisePlan, rep: _Rep, brief: bool) -> list[Event]:
    """The count, the breath cue, the full instructions and "Hold.", each its own phrase
    with a short pause before it; in brief mode, the lead-in that every later rep has."""
    if brief:
        return [Rest(PHRASE_GAP_MS), Say(_lead_in(exercise, plan, rep))]
    lines = [rep.counter] if rep.counter else []
    if exercise.breath_move:
        lines.append(f"Breathe {exercise.breath_move}.")
    lines.extend(_for_side(line, rep.side) for line in exercise.instructions)
    if plan.hold_ms and not exercise.count:
        lines.append(HOLD_WORD)
    events: list[Event] = []
    for line in lines:
        events.append(Rest(PHRASE_GAP_MS))
        events.append(Say(line))
    return events


def _lead_in(exercise: Exercise, plan: ExercisePlan, rep: _Rep) -> str:
    """A rep's start in one phrase: its count, the breath cue joined to the reminder (a few
    words that name the movement), and "Hold.": "Two. Breathe in: shoulders up, fists
    tight. Hold." """
    movement = " ".join(_for_side(line, rep.side) for line in exercise.reminder)
    if exercise.breath_move:
        movement = f"Breathe {exercise.breath_move}: {_lower_first(movement)}"
    else:
        movement = movement[:1].upper() + movement[1:]  # "{side} ear ..." starts a sentence
    parts = [rep.counter, movement]
    if plan.hold_ms and not exercise.count:
        parts.append(HOLD_WORD)
    return " ".join(part for part in parts if part)


def _release(
    exercise: Exercise, rep: _Rep, *, full: bool, brief: bool
) -> tuple[Step | Say | Rest | Cue, ...]:
    """What starts a relax: the hold-end chime, then how to come out of the stretch, with the
    breath cue joined to it ("Breathe out, and relax completely."). `full` False says only
    the breath cue ("Breathe out.") or, without one, "And relax."; brief mode only the
    breath cue (the chime and the next rep's lead-in say the rest)."""
    if full and exercise.release:
        lines = [_for_side(line, rep.side) for line in exercise.release]
        if exercise.breath_release:
            lines[0] = f"Breathe {exercise.breath_release}, and {_lower_first(lines[0])}"
    elif exercise.breath_release:
        lines = [f"Breathe {exercise.breath_release}."]
    else:
        lines = [] if full or brief else [SHORT_RELEASE]
    events: list[Step | Say | Rest | Cue] = [Cue("hold-end")]
    for index, line in enumerate(lines):
        events.append(Rest(BEFORE_RELEASE_MS if index == 0 else PHRASE_GAP_MS))
        events.append(Say(line))
    return tuple(events)


def _lower_first(text: str) -> str:
    """`text` to follow other words in a sentence: "Shoulders up" -> "shoulders up" (a word
    in capitals, such as "I" or "OK", is left as it is)."""
    first = text.split(" ", 1)[0]
    if first.isupper() or (len(first) > 1 and not first[1:].islower()):
        return text
    return text[:1].lower() + text[1:]


def _hold(hold_ms: int, count: int) -> Hold:
    """A hold with its words: counts spread evenly for a counted movement; else a halfway
    mark on long holds and "Three. Two. One." at the end."""
    if count:
        beat_ms = hold_ms // count
        counts = tuple(
            HoldWord(index * beat_ms, f"{number_words(index + 1).capitalize()}.")
            for index in range(count)
        )
        return Hold(hold_ms, counts, counted=True)
    words: list[HoldWord] = []
    if hold_ms >= HALFWAY_FROM_MS:
        words.append(_halfway(hold_ms))
    if hold_ms >= COUNTDOWN_FROM_MS:
        words.extend(
            HoldWord(hold_ms - left * 1000, f"{number_words(left).capitalize()}.")
            for left in (3, 2, 1)
        )
    return Hold(hold_ms, tuple(words))


def _halfway(hold_ms: int) -> HoldWord:
    """The halfway mark, as a person says it: a round number of seconds left ("Ten seconds
    left." in a 20-second hold), else "Halfway." (a 45-second hold, or one the fitter
    trimmed to 19 seconds)."""
    half_ms = hold_ms // 2
    if half_ms % ROUND_SECONDS_MS == 0:
        seconds = half_ms // 1000
        return HoldWord(hold_ms - half_ms, f"{number_words(seconds).capitalize()} seconds left.")
    return HoldWord(half_ms, HALFWAY_WORD)


def _for_side(line: str, side: str | None) -> str:
    return line.replace("{side}", side) if side else line


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
