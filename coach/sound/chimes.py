"""The chimes that mark the start of an exercise, the end of a hold and the end of the session,
and the one that says a voice command was heard.

They ship as package data (`audio_cues/<name>.wav` in the source tree, installed as
`coach.audio_cues`; mono 16-bit at coach.time.SAMPLE_RATE), generated deterministically by
`scripts/make_cues.py`.
"""

from __future__ import annotations

from importlib.resources import files

from coach.pcm import Samples, read_wav
from coach.time import SAMPLE_RATE

CHIMES = ("exercise", "hold-end", "session-end", "heard")
"""Every chime there is: the session's, in the order it first uses them, then the one live play
gives when it hears a voice command."""

CHIMES_PACKAGE = "coach.audio_cues"
"""Where the chime files are installed (the top-level `audio_cues/` folder)."""


def load_chime(name: str) -> Samples:
    """The samples of the chime `name`, at SAMPLE_RATE; a fresh array on every call.

    Raises ValueError for a name not in CHIMES, and RuntimeError if the packaged file is
    missing or not at SAMPLE_RATE (a broken install, not a user mistake).
    """
    if name not in CHIMES:
        raise ValueError(f"unknown chime {name!r}; the chimes are {', '.join(CHIMES)}")
    try:
        data = files(CHIMES_PACKAGE).joinpath(f"{name}.wav").read_bytes()
    except (FileNotFoundError, ModuleNotFoundError) as error:
        raise RuntimeError(
            f"the chime file audio_cues/{name}.wav is missing from the coach package; "
            "reinstall coach or run scripts/make_cues.py"
        ) from error
    samples, rate = read_wav(data)
    if rate != SAMPLE_RATE:
        raise RuntimeError(
            f"the chime audio_cues/{name}.wav is at {rate} Hz, not {SAMPLE_RATE} Hz; "
            "regenerate it with scripts/make_cues.py"
        )
    return samples
