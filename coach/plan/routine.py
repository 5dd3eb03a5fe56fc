"""Routines: check the text of a TOML routine, field by field, and return frozen values.

A routine is what the exercises are (wording, reps, sides, holds, what may be cut); it says
nothing about audio. Anything wrong becomes a `CoachError` naming the file, the exercise and
the field, with what would be right. See docs/routines.md for the format. This module reads
no files: `coach.routines` finds a routine by name or path and hands its bytes here.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coach.errors import CoachError, control_name, is_control
from coach.plan.sayable import check_lines
from coach.plan.toml_limits import ROUTINE_LIMITS, check_toml_limits
from coach.time import seconds_to_ms

SIDES = ("left", "right")
BREATHS = ("in", "out")

MAX_REPS = 20
MAX_MOVE_S = 60
DEFAULT_MOVE_S = 3
"""How long a person takes to get into position when the routine does not say: the count
and a few words of cue, then a moment to move, then "Hold."."""
MAX_HOLD_S = 300
MAX_RELAX_S = 120
MAX_COUNT = 20
MAX_TEXT_CHARS = 300
MAX_LINES = 12
MAX_EXERCISES = 30
MAX_TITLE_CHARS = 80
MAX_PRIORITY = 100

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Exercise:
    """One exercise of a routine. Times are integer milliseconds; 0 means none."""

    id: str
    title: str
    instructions: tuple[str, ...]
    """Said the first time, in full, one line after another. May contain `{side}` and
    `{other_side}`, as may every wording below."""
    reminder: tuple[str, ...]
    """Wordings of a few words that name the movement, said with the count and the breath
    cue to start every later rep, and every rep in brief mode; taken in turn, rep by rep."""
    release: tuple[str, ...]
    """Wordings said when the hold ends (after any breath cue), taken in turn."""
    during: tuple[str, ...]
    """Wordings said early in a long hold (what to feel, or breathing), taken in turn;
    empty for the coach's own breathing reminders."""
    reps: int
    """Repetitions per side (or in all, when there are no sides)."""
    sides: tuple[str, ...]
    move_ms: int
    """The least time from the start of a rep's movement cue to the start of its hold: how
    long a person needs to get into position."""
    hold_ms: int
    count: int
    """When over 0, the hold is a counted movement: the coach counts this many beats."""
    relax_ms: int
    breath_move: str | None
    breath_release: str | None
    min_reps: int
    min_hold_ms: int
    min_relax_ms: int
    priority: int
    """Higher is kept longer when a session is shortened."""


@dataclass(frozen=True)
class Routine:
    """A whole routine: the opening, the exercises in order, and the closing."""

    name: str
    title: str
    description: str
    safety: tuple[str, ...]
    setup: tuple[str, ...]
    """How to sit or stand, said after the safety lines; empty when the file gives none."""
    closing: tuple[str, ...]
    exercises: tuple[Exercise, ...]
    encouragement: tuple[str, ...] = ()
    """Short words of encouragement, said in turn after an exercise; empty for the coach's
    own."""

    def exercise(self, exercise_id: str) -> Exercise:
        """The exercise with this id (KeyError if there is none)."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)


def parse_routine(data: bytes, *, source: str, name: str) -> Routine:
    """Parse and check the bytes of a routine file; `source` names it in error messages."""
    try:
        text = data.decode("utf-8-sig")  # -sig: some editors start the file with a BOM
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CoachError(
            f"{source} is not UTF-8 text (bad byte at line {line}). Save it as UTF-8 and try again."
        ) from None
    check_toml_limits(text, source, ROUTINE_LIMITS)  # before tomllib, whose cost can grow fast
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        detail = str(error)
        if detail.endswith("(at end of document)"):  # tomllib gives no line for this one
            last_line = max(1, len(text.rstrip().splitlines()))
            raise CoachError(
                f"{source} is not valid TOML: {detail[:-1]}, after line {last_line}). "
                "Something is left open: look for a missing closing quote or bracket."
            ) from None
        raise CoachError(
            f"{source} is not valid TOML: {detail}. Fix that line and try again."
        ) from None
    except ValueError:  # tomllib: an integer of more than 4300 digits
        raise CoachError(
            f"{source} has a number with thousands of digits. Write lengths in seconds."
        ) from None
    except RecursionError:  # tomllib: lists or tables nested hundreds deep
        raise CoachError(
            f"{source} has lists or tables nested too deeply to read. Check its brackets."
        ) from None
    routine = _RoutineReader(source, name).read(document)
    _check_sayable(routine, source)
    return routine


def _check_sayable(routine: Routine, source: str) -> None:
    """CoachError for the first line of `routine` (read from `source`) that has no word."""
    spoken = {
        "title": (routine.title,),
        "description": (routine.description,),
        "safety": routine.safety,
        "setup": routine.setup,
        "closing": routine.closing,
    }
    check_lines(spoken, source)
    for number, exercise in enumerate(routine.exercises, start=1):
        lines = {
            "title": (exercise.title,),
            "instructions": exercise.instructions,
            "reminder": exercise.reminder,
            "release": exercise.release,
        }
        check_lines(lines, f"{source}, exercise {number} ('{exercise.id}')")


class _Fields:
    """Reads the fields of one TOML table, reporting problems with their location."""

    def __init__(self, table: Mapping[str, Any], where: str, known: tuple[str, ...]) -> None:
        self.table = table
        self.where = where
        self.known = known
        for key in table:
            if key not in known:
                prefixes = [field for field in known if key.startswith(field + "_")]
                close = difflib.get_close_matches(key, known, n=1) or prefixes[-1:]
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise self.error(key, f"is not a field the coach knows.{hint}")

    def error(self, field: str, problem: str) -> CoachError:
        return CoachError(f"{self.where}, field '{field}': '{field}' {problem}")

    def has(self, field: str) -> bool:
        return field in self.table

    def text(self, field: str, *, default: str | None = None, limit: int = MAX_TEXT_CHARS) -> str:
        if field not in self.table:
            if default is not None:
                return default
            raise self.error(field, "is missing. Add it as a line of text in quotes.")
        value = self.table[field]
        if not isinstance(value, str):
            raise self.error(field, f"should be text in quotes, not {_kind(value)}.")
        return self._check_text(field, value, limit)

    def _check_text(self, field: str, value: str, limit: int) -> str:
        # Before spaces are tidied: some controls count as spaces to str.split.
        control = next((index for index, char in enumerate(value) if is_control(char)), None)
        if control is not None:
            raise self.error(
                field,
                f"has a control character, {control_name(value[control])}, at character "
                f"{control + 1}; remove it. Routine text may hold printable characters, "
                "spaces and line breaks, but no control characters.",
            )
        value = " ".join(value.split())
        if not value:
            raise self.error(field, "is empty. Write the words to say.")
        if len(value) > limit:
            raise self.error(
                field, f"is {len(value)} characters long; at most {limit} are allowed."
            )
        return value

    def lines(self, field: str, *, required: bool = True) -> tuple[str, ...]:
        """A list of phrases (a single string is taken as a list of one)."""
        if field not in self.table:
            if required:
                raise self.error(field, "is missing. Add it as a list of lines in quotes.")
            return ()
        value = self.table[field]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.error(field, f"should be a list of lines in quotes, not {_kind(value)}.")
        if not value:
            raise self.error(field, "is an empty list. Give at least one line.")
        if len(value) > MAX_LINES:
            raise self.error(field, f"has {len(value)} lines; at most {MAX_LINES} are allowed.")
        result = []
        for line in value:
            if not isinstance(line, str):
                raise self.error(field, f"should hold only text in quotes, not {_kind(line)}.")
            result.append(self._check_text(field, line, MAX_TEXT_CHARS))
        return tuple(result)

    def integer(self, field: str, *, default: int, low: int, high: int) -> int:
        if field not in self.table:
            return default
        value = self.table[field]
        if isinstance(value, float) and value.is_integer():
            raise self.error(field, f"should be a whole number: write {value:.0f}, not {value}.")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(field, f"should be a whole number, not {_kind(value)}.")
        if not low <= value <= high:
            raise self.error(field, f"is {_number(value)}; it must be between {low} and {high}.")
        return value

    def seconds(self, field: str, *, default: float, low: float, high: float) -> int:
        """A length in seconds (whole or decimal) from the file, returned in milliseconds."""
        if field not in self.table:
            return seconds_to_ms(default)
        value = self.table[field]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(field, f"should be a number of seconds, not {_kind(value)}.")
        # An int is compared as it is: one too large for a float is simply out of range.
        if (isinstance(value, float) and math.isnan(value)) or not low <= value <= high:
            shown = _number(value)
            unit = "" if shown.startswith("a number") else " seconds"
            raise self.error(
                field, f"is {shown}{unit}; it must be between {low:g} and {high:g} seconds."
            )
        return seconds_to_ms(value)

    def choice(self, field: str, choices: tuple[str, ...]) -> str | None:
        if field not in self.table:
            return None
        value = self.table[field]
        if value not in choices:
            allowed = " or ".join(f'"{choice}"' for choice in choices)
            raise self.error(field, f"is {value!r}; it must be {allowed}.")
        return str(value)


def _kind(value: object) -> str:
    """What a wrongly typed value is, as the message names it: "the number 2.5", "a date"."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        number = _number(value)
        return number if number.startswith("a number") else f"the number {number}"
    # TOML's dates and times by their names, as this stage does not use the datetime library.
    kinds = {
        "str": "text",
        "list": "a list",
        "dict": "a table",
        "date": "a date",
        "datetime": "a date and time",
        "time": "a time of day",
    }
    return kinds.get(type(value).__name__, "something else")


def _number(value: float) -> str:
    """A number from the file as a message quotes it (a huge one by its size, not in full)."""
    text = str(value)
    return text if len(text) <= 20 else f"a number of {len(text.lstrip('-'))} digits"


_ROUTINE_FIELDS = (
    "title",
    "description",
    "safety",
    "setup",
    "closing",
    "encouragement",
    "exercise",
)
_EXERCISE_FIELDS = (
    "id",
    "title",
    "instructions",
    "reminder",
    "release",
    "during",
    "reps",
    "sides",
    "move",
    "hold",
    "count",
    "relax",
    "breath",
    "min_reps",
    "min_hold",
    "min_relax",
    "priority",
)
_BREATH_FIELDS = ("move", "release")
_TEXT_FIELDS_WITH_SIDE = ("instructions", "reminder", "release", "during")
_OPTIONAL_TEXT_FIELDS = ("release", "during")
PLACEHOLDERS = ("side", "other_side")


@dataclass(frozen=True)
class _Timing:
    """An exercise's reps (per side), hold and relax in ms, and count, as read or as minimums."""

    reps: int
    hold_ms: int
    count: int
    relax_ms: int


class _RoutineReader:
    def __init__(self, source: str, name: str) -> None:
        self.source = source
        self.name = name

    def read(self, document: Mapping[str, Any]) -> Routine:
        fields = _Fields(document, self.source, _ROUTINE_FIELDS)
        title = fields.text("title", limit=MAX_TITLE_CHARS)
        description = fields.text("description", default="")
        safety = fields.lines("safety")
        setup = fields.lines("setup", required=False)
        closing = fields.lines("closing")
        encouragement = fields.lines("encouragement", required=False)
        raw_exercises = document.get("exercise")
        if raw_exercises is None:
            raise fields.error("exercise", "is missing. Add at least one [[exercise]] table.")
        if not isinstance(raw_exercises, list) or not all(
            isinstance(item, dict) for item in raw_exercises
        ):
            raise fields.error("exercise", "should be written as [[exercise]] tables.")
        if not raw_exercises:
            raise fields.error("exercise", "is empty. Add at least one [[exercise]] table.")
        if len(raw_exercises) > MAX_EXERCISES:
            raise fields.error(
                "exercise", f"has {len(raw_exercises)} entries; at most {MAX_EXERCISES}."
            )
        exercises: list[Exercise] = []
        for number, table in enumerate(raw_exercises, start=1):
            exercise = self._exercise(table, number)
            first = next((n for n, e in enumerate(exercises, 1) if e.id == exercise.id), None)
            if first is not None:
                raise CoachError(
                    f"{self.source}, exercise {number}, field 'id': the id '{exercise.id}' "
                    f"is already used by exercise {first}. Give each exercise its own id."
                )
            exercises.append(exercise)
        return Routine(
            name=self.name,
            title=title,
            description=description,
            safety=safety,
            setup=setup,
            closing=closing,
            exercises=tuple(exercises),
            encouragement=encouragement,
        )

    def _exercise(self, table: Mapping[str, Any], number: int) -> Exercise:
        """One [[exercise]] table, checked in the order the fields depend on each other."""
        where = self._where(table, number)
        fields = _Fields(table, where, _EXERCISE_FIELDS)
        exercise_id = self._id(fields)
        sides = self._sides(fields)
        texts = self._texts(fields, sides)
        timing = self._timing(fields)
        breath_move, breath_release = self._breath(fields, where)
        if breath_release and not timing.hold_ms:
            raise fields.error("breath", "has a 'release' breath but the exercise has no 'hold'.")
        least = self._minimums(fields, timing)
        return Exercise(
            id=exercise_id,
            title=fields.text("title", limit=MAX_TITLE_CHARS),
            instructions=texts["instructions"],
            reminder=texts["reminder"],
            release=texts["release"],
            during=texts["during"],
            reps=timing.reps,
            sides=sides,
            move_ms=fields.seconds("move", default=DEFAULT_MOVE_S, low=0, high=MAX_MOVE_S),
            hold_ms=timing.hold_ms,
            count=timing.count,
            relax_ms=timing.relax_ms,
            breath_move=breath_move,
            breath_release=breath_release,
            min_reps=least.reps,
            min_hold_ms=least.hold_ms,
            min_relax_ms=least.relax_ms,
            priority=fields.integer("priority", default=1, low=1, high=MAX_PRIORITY),
        )

    def _where(self, table: Mapping[str, Any], number: int) -> str:
        """How errors name the exercise: by number, and by its id when that is sensible."""
        label = table.get("id") if isinstance(table.get("id"), str) else None
        if label and not _ID_PATTERN.match(label):
            label = None  # the 'id' error quotes it; don't repeat a long or odd one
        return f"{self.source}, exercise {number}" + (f" ('{label}')" if label else "")

    @staticmethod
    def _id(fields: _Fields) -> str:
        exercise_id = fields.text("id", limit=40)
        if not _ID_PATTERN.match(exercise_id):
            raise fields.error(
                "id",
                f"is '{exercise_id}'; use lower-case letters, digits and dashes, "
                "like 'neck-release'.",
            )
        return exercise_id

    def _texts(self, fields: _Fields, sides: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """The wording fields, each a tuple of lines, with their {side} placeholders checked."""
        texts = {
            name: fields.lines(name, required=name not in _OPTIONAL_TEXT_FIELDS)
            for name in _TEXT_FIELDS_WITH_SIDE
        }
        for name, lines in texts.items():
            self._check_placeholders(fields, name, lines, sides)
        return texts

    @staticmethod
    def _timing(fields: _Fields) -> _Timing:
        """Reps, hold, count and relax, and the rules that tie them together."""
        reps = fields.integer("reps", default=1, low=1, high=MAX_REPS)
        hold_ms = fields.seconds("hold", default=0, low=1, high=MAX_HOLD_S)
        count = fields.integer("count", default=0, low=2, high=MAX_COUNT)
        relax_ms = fields.seconds("relax", default=0, low=0, high=MAX_RELAX_S)
        if count and not hold_ms:
            raise fields.error("count", "needs a 'hold': the seconds over which to count.")
        if count and hold_ms < count * 1500:
            raise fields.error(
                "count",
                f"is {count}, too many to count within a {hold_ms / 1000:g}-second "
                "hold; allow at least 1.5 seconds for each.",
            )
        for name in ("release", "during"):
            if fields.has(name) and not hold_ms:
                raise fields.error(name, "only makes sense with a 'hold'; add one or remove it.")
        if fields.has("during") and count:
            raise fields.error(
                "during", "is for still holds; a counted movement hears its counts instead."
            )
        return _Timing(reps, hold_ms, count, relax_ms)

    @staticmethod
    def _minimums(fields: _Fields, timing: _Timing) -> _Timing:
        """How far a shorter version may cut reps, hold and relax (count stays as it is)."""
        hold_s = timing.hold_ms / 1000
        relax_s = timing.relax_ms / 1000
        min_reps = fields.integer("min_reps", default=timing.reps, low=1, high=timing.reps)
        if fields.has("min_hold") and not timing.hold_ms:
            raise fields.error("min_hold", "needs a 'hold' to shorten; add one or remove it.")
        min_hold_ms = fields.seconds("min_hold", default=hold_s, low=1, high=max(hold_s, 1))
        if fields.has("min_relax") and not timing.relax_ms and fields.table["min_relax"] != 0:
            raise fields.error("min_relax", "needs a 'relax' to shorten; add one or remove it.")
        min_relax_ms = fields.seconds("min_relax", default=relax_s, low=0, high=relax_s)
        if timing.count and min_hold_ms < timing.count * 1500:
            raise fields.error(
                "min_hold", f"leaves under 1.5 seconds for each of {timing.count} counts."
            )
        return _Timing(min_reps, min_hold_ms, timing.count, min_relax_ms)

    @staticmethod
    def _sides(fields: _Fields) -> tuple[str, ...]:
        if not fields.has("sides"):
            return ()
        value = fields.table["sides"]
        if value == [] or (isinstance(value, list) and list(value) == list(SIDES)):
            return tuple(value)
        raise fields.error("sides", 'should be ["left", "right"], or left out for none.')

    @staticmethod
    def _check_placeholders(
        fields: _Fields, name: str, lines: tuple[str, ...], sides: tuple[str, ...]
    ) -> None:
        for line in lines:
            # The compiler replaces the exact texts: no format specs, no {{ escapes.
            names = _PLACEHOLDER.findall(line)
            if set("{}") & set(_PLACEHOLDER.sub("", line)):
                raise fields.error(
                    name,
                    "has an unmatched { or }. Use {side} and {other_side} for the sides, "
                    "nothing else.",
                )
            for placeholder in names:
                if placeholder not in PLACEHOLDERS:
                    raise fields.error(
                        name,
                        f"uses {{{placeholder}}}; the placeholders are {{side}} (left or "
                        "right) and {other_side} (the other one).",
                    )
                if not sides:
                    raise fields.error(
                        name, f"uses {{{placeholder}}} but the exercise has no 'sides'."
                    )

    @staticmethod
    def _breath(fields: _Fields, where: str) -> tuple[str | None, str | None]:
        if not fields.has("breath"):
            return None, None
        value = fields.table["breath"]
        if not isinstance(value, dict):
            raise fields.error("breath", 'should be a table like { move = "in", release = "out" }.')
        breath = _Fields(value, f"{where}, breath", _BREATH_FIELDS)
        return breath.choice("move", BREATHS), breath.choice("release", BREATHS)
