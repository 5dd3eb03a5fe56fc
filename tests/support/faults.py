"""Run the real `coach` command and send it a signal at a chosen moment of its work.

    python -m support.faults MOMENT SIGNAL [coach arguments...]

runs `coach.cli.main()` with the arguments, after wrapping one public seam of the pipeline
so that the process sends itself SIGNAL (INT, TERM, HUP or KILL) when the work reaches
MOMENT. The signal arrives exactly as one from outside would (os.kill on its own pid), at a
place a test can name, so the tests of what an interrupted render leaves behind do not
depend on timing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support.paths import ROOT

TIMEOUT_S = 120
"""Generous limit for one faulty or plain run (a cold cache synthesizes)."""


def _send(name: str) -> None:
    os.kill(os.getpid(), getattr(signal, f"SIG{name}"))


def _after_calls(function: Callable[..., Any], calls: int, fire: Callable[[], None]) -> Any:
    """`function`, firing once when its `calls`-th call has returned."""
    count = 0

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        result = function(*args, **kwargs)
        count += 1
        if count == calls:
            fire()
        return result

    return wrapped


def _at_synthesis(fire: Callable[[], None]) -> None:
    """After the third phrase is synthesized (the phrase cache must be cold)."""
    import coach.speech.voices

    open_engine = coach.speech.voices.open_engine

    def opened(*args: Any, **kwargs: Any) -> Any:
        engine = open_engine(*args, **kwargs)
        engine.synthesize = _after_calls(engine.synthesize, 3, fire)  # type: ignore[method-assign]
        return engine

    coach.speech.voices.open_engine = opened


def _at_mastering(fire: Callable[[], None]) -> None:
    """After the third phrase is mastered (on a worker thread, as mastering runs)."""
    import coach.sound.mastering

    mastering = coach.sound.mastering
    mastering.master_speech = _after_calls(mastering.master_speech, 3, fire)


def _at_encoding(fire: Callable[[], None]) -> None:
    """After the third chunk of samples is encoded: the temporary MP3 is part-written."""
    from coach.render.mp3 import Mp3Encoder

    Mp3Encoder.encode = _after_calls(Mp3Encoder.encode, 3, fire)  # type: ignore[method-assign]


def _at_tagging(fire: Callable[[], None]) -> None:
    """While the finished MP3 gets its tags and chapters."""
    import coach.render.tags

    tags = coach.render.tags
    write_tags = tags.write_tags

    def tagging(*args: Any, **kwargs: Any) -> None:
        fire()
        write_tags(*args, **kwargs)

    tags.write_tags = tagging


def _at_renaming(fire: Callable[[], None]) -> None:
    """After the complete temporary file is flushed to disk, just before it is renamed
    over the output."""
    import coach.files

    coach.files.os.fsync = _after_calls(coach.files.os.fsync, 1, fire)  # type: ignore[attr-defined]


def _at_cache_write(fire: Callable[[], None]) -> None:
    """Half-way through writing the first phrase-cache entry (the cache must be cold)."""
    import coach.files

    write = os.write
    fired = False

    def half_then_fire(descriptor: int, data: Any) -> int:
        nonlocal fired
        opened = Path(f"/proc/self/fd/{descriptor}").readlink()
        if fired or len(data) < 2 or "phrases" not in opened.parts:
            return write(descriptor, data)
        fired = True
        written = write(descriptor, bytes(data[: len(data) // 2]))
        fire()
        return written

    coach.files.os.write = half_then_fire  # type: ignore[attr-defined]


def _at_swapping(fire: Callable[[], None]) -> None:
    """In the middle of swapping a split's or pack's new files in: after the first rename."""
    import coach.fileset

    coach.fileset._rename = _after_calls(coach.fileset._rename, 1, fire)


MOMENTS: dict[str, Callable[[Callable[[], None]], None]] = {
    "synthesis": _at_synthesis,
    "mastering": _at_mastering,
    "encoding": _at_encoding,
    "tagging": _at_tagging,
    "renaming": _at_renaming,
    "cache-write": _at_cache_write,
    "swapping": _at_swapping,
}
"""Moment -> how to arrange for the signal to be sent there, in pipeline order."""


def environment(cache: Path) -> dict[str, str]:
    """The environment a test runs `coach` (or this module) in: `cache` as the phrase
    cache, the tests' helpers importable, no fixed terminal width."""
    from coach.speech.cache import CACHE_DIR_ENV

    env = {**os.environ, CACHE_DIR_ENV: str(cache), "PYTHONPATH": str(ROOT / "tests")}
    env.pop("COLUMNS", None)
    return env


def run_to_the_end(command: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    """`command` run to its end with `environment(cache)`, its output captured."""
    return subprocess.run(
        command,
        env=environment(cache),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def start(command: list[str], cache: Path) -> subprocess.Popen[str]:
    """`command` started with `environment(cache)`, its output to be read with
    communicate()."""
    return subprocess.Popen(
        command,
        env=environment(cache),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_stopped(pid: int) -> None:
    """Until the process `pid` is stopped (SIGSTOP: state T)."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "T":
            return
        time.sleep(0.01)
    raise AssertionError("the process never stopped")


def main() -> None:
    moment, signal_name, *arguments = sys.argv[1:]
    MOMENTS[moment](lambda: _send(signal_name))
    sys.argv = ["coach", *arguments]
    from coach.cli import main as coach_main

    coach_main()


if __name__ == "__main__":
    main()
