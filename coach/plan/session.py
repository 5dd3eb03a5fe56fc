"""One session, from routine to timeline: compiled, fitted when a length was asked for, placed."""

from __future__ import annotations

from dataclasses import dataclass

from coach.plan.fit import Fitted, fit_session, full_session
from coach.plan.lengths import SpeechLengths
from coach.plan.routine import Routine
from coach.plan.timeline import Timeline, build_timeline
from coach.time import minutes_to_ms


@dataclass(frozen=True)
class Session:
    """A routine compiled (and fitted, when a length was asked for) and placed in time."""

    routine: Routine
    fitted: Fitted
    timeline: Timeline
    minutes: float | None
    """The length asked for, or None for the full session."""

    def describe_fit(self) -> str:
        """ "full session", or what was cut to fit the minutes asked for; for the brief
        version "brief version, full session" or "brief version, fitted to ..."."""
        described = self.fitted.describe(self.minutes)
        return f"brief version, {described}" if self.fitted.options.brief else described


def build_session(
    routine: Routine,
    lengths: SpeechLengths,
    *,
    minutes: float | None = None,
    brief: bool = False,
) -> Session:
    """Compile `routine` to fit `minutes` (None: in full) and build its timeline."""
    if minutes is None:
        fitted = full_session(routine, lengths, brief=brief)
    else:
        fitted = fit_session(routine, minutes_to_ms(minutes), lengths, brief=brief)
    return Session(routine, fitted, build_timeline(fitted.script, lengths), minutes)
