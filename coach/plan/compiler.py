"""The script compiler: turns a Routine (and a plan for how much of it to do) into a Script.

Pure and deterministic: no audio, no files. Every spoken word of a session is decided here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coach.plan.routine import SIDES, Exercise, Routine
from coach.plan.script import (
    Chapter,
    Cue,
    Event,
    Hold,
    HoldWord,
    Move,
    Relax,
    Rest,
    Say,
    Script,
    Step,
)

PHRASE_GAP_MS = 300
"""Quiet between two phrases of an instruction."""
AFTER_CHIME_MS = 300
BEFORE_RELEASE_MS = 150
BETWEEN_REPS_MS = 1_000
"""Quiet between the reps of an exercise that has no hold."""
BETWEEN_EXERCISES_MS = 500

SETTLE_MS = 300
"""The least quiet between a rep's short cue and "Hold.", where the words fill its move."""
FIRST_SETTLE_MS = 1_500
"""The least quiet between the full instructions and "Hold.": the last of them describes
where to end up, and the user needs a moment to get there."""
REST_FROM_MS = 3_000
"""A relax at least this long is a rest: it keeps REST_QUIET_MS without a word or a chime."""
REST_QUIET_MS = 2_000
SHORT_RELAX_QUIET_MS = 300
"""The least quiet after the release in a shorter relax (a one-second one, say)."""

LONG_HOLD_MS = 10_000
"""Holds at least this long carry a word on breathing or what to feel, and end with
"three, two, one"; shorter ones are silent, ended by the chime."""
FOCUS_AT_MS = 2_000
"""When that word comes: once the user has settled into the hold."""
HALFWAY_FROM_MS = 30_000
"""Holds at least this long also get a halfway mark ("Ten seconds left." or "Halfway.")."""
ROUND_SECONDS_MS = 5_000
"""A halfway mark names the seconds left only when they are a multiple of this."""

OPENING_TITLE = "Before you start"
CLOSING_TITLE = "Finish"
LETS_BEGIN = "Let's begin."
HOLD_WORD = "Hold."
HALFWAY_WORD = "Halfway."
SHORT_RELEASE = "And relax."
"""A short release (a later rep of a shortened session) without a breath cue."""
DURING_WORDS = (
    "Keep breathing, slow and easy.",
    "Breathe slowly, and let the stretch do the work.",
    "Keep breathing. Stay relaxed everywhere else.",
)
"""Said early in a long hold when the routine gives no `during` wording, in turn."""
ENCOURAGEMENT_WORDS = ("Nice work.", "Good.", "Well done.")
"""Said after an exercise when the routine gives no `encouragement`, in turn."""


@dataclass(frozen=True)
class ExercisePlan:
    """How much of one exercise to do: reps (per side); move, hold and relax in ms; whether
    later reps come out of the hold with a short "And relax." instead of the release wording
    and skip the word of encouragement (`terse`); and whether the first rep is explained in
    full (`explain`) or started, like the others, by its short cue."""

    exercise_id: str
    reps: int
    hold_ms: int
    relax_ms: int
    move_ms: int = 0
    terse: bool = False
    explain: bool = True


Plan = tuple[ExercisePlan, ...]
"""The exercises to do, in routine order, each with how much of it; an exercise missing from
a plan is left out."""


@dataclass(frozen=True)
class CompileOptions:
    """How to compile a routine.

    `plan` is what to do of each exercise; None means every exercise in full. `note` is an
    extra opening line (the fitter uses it to say this is a shorter version).
    """

    brief: bool = False
    plan: Plan | None = None
    note: str | None = None


def full_plan(routine: Routine) -> Plan:
    """Every exercise of the routine, as written."""
    return tuple(
        ExercisePlan(
            exercise.id, exercise.reps, exercise.hold_ms, exercise.relax_ms, exercise.move_ms
        )
        for exercise in routine.exercises
    )


def compile_routine(routine: Routine, options: CompileOptions | None = None) -> Script:
    """Compile `routine` into the Script of one session. Pure and deterministic."""
    options = options or CompileOptions()
    plans: Mapping[str, ExercisePlan] = {
        plan.exercise_id: plan
        for plan in (options.plan if options.plan is not None else full_plan(routine))
    }
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
            exercise_events(
                exercise,
                plans[exercise.id],
                number=number,
                total=len(chosen),
                brief=options.brief,
                encouragement=routine.encouragement,
            )
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


def in_turn(wordings: tuple[str, ...], index: int) -> str:
    """The wording for the `index`-th time a line is said: the wordings in turn, in a fixed
    order, so the same session always says the same words."""
    return wordings[index % len(wordings)]


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
    sides: int = 1

    @property
    def label(self) -> str:
        """The status line's step: "left side, 2 of 3" or "2 of 4"."""
        count = f"{self.number} of {self.of}"
        return f"{self.side} side, {count}" if self.side else count

    @property
    def other_side(self) -> str | None:
        return None if self.side is None else SIDES[1 - SIDES.index(self.side)]

    @property
    def counter(self) -> str:
        """What the coach says to start it, as a person counts: "One of four.", "Two of
        four.", and "Last one." for the last; "Set two of four." and "The last set." for a
        counted movement, so the set's number is not taken for one of the counts. A side
        opens with "Left side." and switches with "Left side done. Now the right."; its last
        rep is "Last one on this side." before the other side, whose count the first side
        has told. The only rep of an exercise without sides gets no count."""
        if self.of == 1:
            count = ""
        elif self.number == self.of:
            on_this_side = " on this side" if self.side_index + 1 < self.sides else ""
            count = f"The last set{on_this_side}." if self.counted else f"Last one{on_this_side}."
        elif self.counted:
            count = f"Set {number_words(self.number)} of {number_words(self.of)}."
        else:
            count = f"{number_words(self.number).capitalize()} of {number_words(self.of)}."
        if self.side and self.number == 1:
            if self.side_index > 0:
                return f"{str(self.other_side).capitalize()} side done. Now the {self.side}."
            return f"{self.side.capitalize()} side. {count}".strip()
        return count


def _reps(exercise: Exercise, plan: ExercisePlan) -> list[_Rep]:
    sides: tuple[str | None, ...] = exercise.sides or (None,)
    return [
        _Rep(side, side_index, number, plan.reps, bool(exercise.count), len(sides))
        for side_index, side in enumerate(sides)
        for number in range(1, plan.reps + 1)
    ]


def exercise_events(
    exercise: Exercise,
    plan: ExercisePlan,
    *,
    number: int,
    total: int,
    brief: bool,
    encouragement: tuple[str, ...] = (),
) -> list[Event]:
    """One exercise's chapter: number `number` of `total` in the session.

    Each rep is done as a person does it: a move (the cue is said while the user gets into
    position, then "Hold."), the hold, and a relax that opens with the release and is
    otherwise quiet. The first rep's move says the full instructions; every later rep (and
    in brief mode, or when `plan.explain` is off, every rep) is started by a short cue that
    names its movement. A word of encouragement follows the exercise, unless it is the last
    one (the closing says it), brief, or cut short (`plan.terse`).
    """
    if brief or total == 1:
        heading = exercise.title
    else:
        heading = f"Exercise {number_words(number)} of {number_words(total)}: {exercise.title}"
    events: list[Event] = [
        Chapter(exercise.title, exercise.id),
        Cue("exercise"),
        Rest(AFTER_CHIME_MS),
        Say(sentence(heading)),
        Rest(PHRASE_GAP_MS),
    ]
    reps = _reps(exercise, plan)
    long_holds = 0
    for index, rep in enumerate(reps):
        explained = plan.explain and not brief
        events.append(Step(rep.label))
        events.append(
            _move(exercise, plan, rep, index - explained, explain=index == 0 and explained)
        )
        if not plan.hold_ms:
            events.append(Rest(max(plan.relax_ms, BETWEEN_REPS_MS)))
            continue
        during = (
            _for_side(_during(exercise, number, long_holds), rep)
            if plan.hold_ms >= LONG_HOLD_MS
            else None
        )
        long_holds += during is not None
        events.append(_hold(plan.hold_ms, exercise.count, during))
        release = _release(
            exercise, rep, index, short=brief or (plan.terse and index > 0), brief=brief
        )
        events.append(Relax(plan.relax_ms, release, _relax_quiet_ms(plan.relax_ms)))
    if not (brief or plan.terse) and number < total:  # after the relax's quiet
        events.append(Say(in_turn(encouragement or ENCOURAGEMENT_WORDS, number - 1)))
    return events


def _move(
    exercise: Exercise, plan: ExercisePlan, rep: _Rep, cue_index: int, *, explain: bool
) -> Move:
    """A rep's move: the full instructions on the first rep when it is explained (the count,
    the breath cue, then each line, with short pauses), else one short cue (`_lead_in`, the
    `cue_index`-th said in the exercise); then "Hold." for a still hold, which ends it."""
    go = (Say(HOLD_WORD),) if plan.hold_ms and not exercise.count else ()
    if not explain:
        return Move(plan.move_ms, (Say(_lead_in(exercise, rep, cue_index)),), go, SETTLE_MS)
    lines = [rep.counter] if rep.counter else []
    if exercise.breath_move:
        lines.append(f"Breathe {exercise.breath_move}.")
    lines.extend(_for_side(line, rep) for line in exercise.instructions)
    cue: list[Say | Rest] = []
    for line in lines:
        if cue:
            cue.append(Rest(PHRASE_GAP_MS))
        cue.append(Say(line))
    return Move(plan.move_ms, tuple(cue), go, FIRST_SETTLE_MS)


def _lead_in(exercise: Exercise, rep: _Rep, index: int) -> str:
    """A rep's start in one phrase: its count, and the breath cue joined to the reminder (a
    few words that name the movement, the routine's wordings in turn): "Two of four.
    Breathe in, shoulders up, fists tight." """
    movement = _for_side(in_turn(exercise.reminder, index), rep)
    if exercise.breath_move:
        movement = f"Breathe {exercise.breath_move}, {_lower_first(movement)}"
    else:
        movement = movement[:1].upper() + movement[1:]  # "{side} ear ..." starts a sentence
    return " ".join(part for part in (rep.counter, movement) if part)


def _release(
    exercise: Exercise, rep: _Rep, index: int, *, short: bool, brief: bool
) -> tuple[Say | Rest | Cue, ...]:
    """What opens a relax: the hold-end chime, then how to come out of the stretch.

    The routine's release wordings are taken in turn, with the breath cue joined to them
    ("Breathe out, and relax completely."). A routine with a single wording has it said
    every other time, and a short "And relax." (or the breath cue, "Breathe out, and
    relax.") between, so no relax opens like the two before it. `short` (a later rep of a
    shortened session) says only the short form; brief mode only the breath cue.
    """
    wordings = exercise.release
    if wordings and len(wordings) == 1:
        wordings = (wordings[0], "")
    line = "" if short or not wordings else in_turn(wordings, index)
    if line:
        line = _for_side(line, rep)
        if exercise.breath_release:
            line = f"Breathe {exercise.breath_release}, and {_lower_first(_without_and(line))}"
    elif exercise.breath_release:
        line = (
            f"Breathe {exercise.breath_release}."
            if brief
            else f"Breathe {exercise.breath_release}, and relax."
        )
    elif not brief and exercise.release:
        line = SHORT_RELEASE
    events: list[Say | Rest | Cue] = [Cue("hold-end")]
    if line:
        events.extend((Rest(BEFORE_RELEASE_MS), Say(line)))
    return tuple(events)


def _without_and(text: str) -> str:
    """`text` without a leading "And", to follow ", and": "And back up." -> "back up."."""
    first, _, rest = text.partition(" ")
    return rest if first.lower() == "and" and rest else text


def _relax_quiet_ms(relax_ms: int) -> int:
    """The quiet a relax keeps after its release: a rest's worth in a relax of a few seconds
    or more, a moment in a shorter one, none where the routine gives no relax."""
    if relax_ms >= REST_FROM_MS:
        return REST_QUIET_MS
    return min(relax_ms, SHORT_RELAX_QUIET_MS)


def _during(exercise: Exercise, number: int, index: int) -> str:
    """The word said early in the `index`-th long hold of an exercise: the routine's
    `during` wordings in turn, else the coach's own breathing reminders, taken from the
    exercise's `number` on so that the exercises of a session do not all start alike."""
    if exercise.during:
        return in_turn(exercise.during, index)
    return in_turn(DURING_WORDS, number - 1 + index)


def _lower_first(text: str) -> str:
    """`text` to follow other words in a sentence: "Shoulders up" -> "shoulders up" (a word
    in capitals, such as "I" or "OK", is left as it is)."""
    first = text.split(" ", 1)[0]
    if first.isupper() or (len(first) > 1 and not first[1:].islower()):
        return text
    return text[:1].lower() + text[1:]


def _hold(hold_ms: int, count: int, during: str | None) -> Hold:
    """A hold with its words: counts spread evenly for a counted movement. A still hold of
    LONG_HOLD_MS or more gets the `during` word once the user has settled, a halfway mark
    when it is very long, and "Three. Two. One." at its end; a shorter one is silent."""
    if count:
        beat_ms = hold_ms // count
        counts = tuple(
            HoldWord(index * beat_ms, f"{number_words(index + 1).capitalize()}.")
            for index in range(count)
        )
        return Hold(hold_ms, counts, counted=True)
    words: list[HoldWord] = []
    if hold_ms >= LONG_HOLD_MS and during:
        words.append(HoldWord(FOCUS_AT_MS, during))
    if hold_ms >= HALFWAY_FROM_MS:
        words.append(_halfway(hold_ms))
    if hold_ms >= LONG_HOLD_MS:
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


def _for_side(line: str, rep: _Rep) -> str:
    """`line` with `{side}` and `{other_side}` said as the rep's sides."""
    if rep.side is None or rep.other_side is None:
        return line
    return line.replace("{side}", rep.side).replace("{other_side}", rep.other_side)


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
