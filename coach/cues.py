"""The chimes that mark the start of an exercise, the end of a hold and the end of the session.

They ship as package data (`coach/audio_cues/<name>.wav`, mono 16-bit at coach.pcm.SAMPLE_RATE),
generated deterministically by `scripts/make_cues.py`; the script, not the WAVs, is the source.
"""

from __future__ import annotations

from importlib.resources import files

from coach.pcm import SAMPLE_RATE, Samples, read_wav, samples_to_ms

CUE_NAMES = ("exercise", "hold-end", "session-end")
"""Every chime there is, in the order a session first uses them."""


def load_cue(name: str) -> Samples:
    """The samples of the chime `name`, at SAMPLE_RATE; a fresh array on every call.

    Raises ValueError for a name not in CUE_NAMES, and RuntimeError if the packaged file is
    missing or not at SAMPLE_RATE (a broken install, not a user mistake).
    """
    if name not in CUE_NAMES:
        raise ValueError(f"unknown cue {name!r}; the cues are {', '.join(CUE_NAMES)}")
    resource = files("coach").joinpath("audio_cues", f"{name}.wav")
    try:
        data = resource.read_bytes()
    except FileNotFoundError as error:
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


def cue_ms(name: str) -> int:
    """Length of the chime `name` in whole milliseconds, rounded up (see pcm.samples_to_ms).

    Raises ValueError for a name not in CUE_NAMES.
    """
    return samples_to_ms(len(load_cue(name)))
