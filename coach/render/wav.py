"""WAV output: the session's samples as a mono 16-bit PCM file, exactly as assembled."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from coach.pcm import Samples, sample_bytes, wav_header
from coach.progress import Progress

MAX_SAMPLES = (2**32 - 1 - 36) // 2
"""The most samples one file holds: a WAV file counts its bytes in 32 bits (the data, and
36 bytes of header on top), which at 16 bits and 22,050 Hz is 27 hours."""


def write_wav(
    path: Path,
    chunks: Iterable[Samples],
    total: int,
    progress: Progress | None = None,
) -> None:
    """Write `chunks` (`total` samples in all) to the WAV file at `path`."""
    done = 0
    with path.open("wb") as file:
        file.write(wav_header(total))
        for chunk in chunks:
            file.write(sample_bytes(chunk))
            done += len(chunk)
            if progress:
                progress(done, total)
        if done != total:  # the header must count what was written
            file.seek(0)
            file.write(wav_header(done))
