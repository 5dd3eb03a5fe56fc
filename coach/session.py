"""One session, from routine name to timeline: the function every command calls first."""

from __future__ import annotations

from dataclasses import dataclass

from coach.fit import Fitted, fit_session, full_session
from coach.routine import Routine, load_routine
from coach.timeline import Timeline, build_timeline
from coach.types import SpeechLengths


@dataclass(frozen=True)
class Session:
    """A routine compiled (and fitted, when a length was asked for) and placed in time."""

    routine: Routine
    fitted: Fitted
    timeline: Timeline
    minutes: float | None


def minutes_to_ms(minutes: float) -> int:
    """A user's --minutes as whole milliseconds."""
    return round(minutes * 60_000)


def build_session(
    routine_name: str | None,
    *,
    lengths: SpeechLengths,
    minutes: float | None = None,
    brief: bool = False,
    routine: Routine | None = None,
) -> Session:
    """Load the routine (unless given), compile it to fit `minutes`, and build its timeline."""
    routine = routine or load_routine(routine_name)
    if minutes is None:
        fitted = full_session(routine, brief, lengths)
    else:
        fitted = fit_session(routine, brief, minutes_to_ms(minutes), lengths)
    return Session(routine, fitted, build_timeline(fitted.script, lengths), minutes)
