"""The one error for a microphone that cannot listen, whichever backend it is."""

from __future__ import annotations

from coach.errors import CoachError


def no_microphone_error(reason: str) -> CoachError:
    """The one-paragraph message for a microphone that cannot listen: what failed, why, and
    that the keys still work."""
    return CoachError(
        f"The microphone could not be opened ({reason}), so the coach is not listening. "
        "The keys work as usual. Check that a microphone is connected, allowed and not in use "
        "by another program, then start again to use your voice."
    )
