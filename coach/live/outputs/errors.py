"""The one error for an audio output that cannot play, whichever backend it is."""

from __future__ import annotations

from coach.errors import CoachError


def no_device_error(backend: str, reason: str) -> CoachError:
    """The one-paragraph error for an output that cannot play: what failed, why, what to do.

    `reason` is the underlying cause in a few words, e.g. "no sound card found".
    """
    return CoachError(
        f"No audio device could be opened ({backend}: {reason}). "
        "Check that speakers or headphones are connected and not in use by another program, "
        "or make a file to play on your phone instead: coach render -o session.mp3"
    )
