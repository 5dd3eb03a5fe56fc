"""What the status line shows during live play, worked out from the timeline alone."""

from __future__ import annotations

from dataclasses import dataclass

from coach.plan.timeline import Timeline
from coach.time import format_clock, seconds_left

SESSION_COMPLETE = "Session complete. Well done."


@dataclass(frozen=True)
class Status:
    """What the status line shows at one moment."""

    exercise: str | None
    step: str
    hold_left_ms: int | None
    """Time left in the current hold, or None when not in a hold."""
    session_left_ms: int
    paused: bool = False
    finished: bool = False


def status_at(
    timeline: Timeline, position_ms: int, *, paused: bool = False, finished: bool = False
) -> Status:
    """The status line's content at `position_ms` into the session."""
    exercise: str | None = None
    step = ""
    hold_left: int | None = None
    for clip in timeline.clips:
        if clip.start_ms > position_ms:
            break
        exercise, step = clip.exercise, clip.step
        if clip.kind == "hold" and position_ms < clip.end_ms:
            hold_left = clip.end_ms - position_ms
    return Status(
        exercise=exercise,
        step=step,
        hold_left_ms=hold_left,
        session_left_ms=max(0, timeline.total_ms - position_ms),
        paused=paused,
        finished=finished,
    )


def format_status(status: Status) -> str:
    """One short line: "Overhead stretch | 2 of 4 | hold 12 s | 6:40 left"."""
    if status.finished:
        return SESSION_COMPLETE
    parts = [status.exercise or "Getting ready"]
    if status.step:
        parts.append(status.step)
    if status.hold_left_ms is not None:
        parts.append(f"hold {seconds_left(status.hold_left_ms)} s")
    parts.append(f"{format_clock(status.session_left_ms)} left")
    if status.paused:
        parts.append("PAUSED: space to go on, q to quit")
    return "  |  ".join(parts)
