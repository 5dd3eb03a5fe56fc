"""What playback and capture through miniaudio share: a few words for a device that will not
open, and silence on stderr while miniaudio probes the sound systems (its C code writes there
directly)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


def describe_failure(error: Exception, device: str = "sound card") -> str:
    """A few words for a miniaudio failure to open `device` ("sound card", "microphone").

    >>> describe_failure(Exception("failed to init device"), "microphone")
    'no microphone found, or it is in use'
    """
    text = str(error.args[0]) if error.args else str(error)
    if "init device" in text:
        return f"no {device} found, or it is in use"
    if "context" in text:
        return "no sound system found"
    return text


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration (C libraries write there directly).

    Does nothing where descriptor 2 cannot be duplicated (no console, e.g. a GUI launcher).
    """
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
