"""Shared fixtures: a private phrase cache, eSpeak as the voice unless a test asks for
another, the built-in routine, repeatable speech lengths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from coach.config import CONFIG_ENV, ENVIRONMENT
from coach.plan.routine import Routine
from coach.routines import load_routine
from coach.speech.cache import CACHE_DIR_ENV
from coach.speech.voices import DEFAULT_VOICE, VOICE_ENV
from support.lengths import EstimatedLengths


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a test marked `slow` first, each kept whole and in its order: with the
    suite spread over workers (pytest-xdist), the tests that take longest start at once,
    beside the others, rather than last on one worker."""
    slow = {getattr(item, "module", None) for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: getattr(item, "module", None) not in slow)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """No workers (-n 0) when the arguments name one file, or tests in one: starting
    workers would take longer than they save. Otherwise pytest-xdist's own count."""
    files = {str(arg).split("::", 1)[0] for arg in config.args}
    if len(files) == 1 and Path(files.pop()).is_file():
        return 0
    return None


REAL_TIME_AUDIO = "*_pulse.py"
"""Modules that play into a PulseAudio null sink and measure what it heard to the
millisecond: pytest-xdist runs them one after another on one worker, never two at once."""


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadfile, but with the REAL_TIME_AUDIO modules as one unit of work: each has a
    sound server of its own, but two live plays at once on a 2-core machine, beside a worker
    synthesizing speech, would share the CPU too thinly for their timing."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):  # type: ignore[misc]  # xdist has no types
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return REAL_TIME_AUDIO if fnmatch(module, f"*/{REAL_TIME_AUDIO}") else module

    return Scheduling(config, log)


YIELDING_NICE = 10
"""How much a worker lowers its priority once it runs tests that make no sound in real time."""


@pytest.fixture(autouse=True)
def yield_to_real_time(request: pytest.FixtureRequest) -> None:
    """With the suite spread over workers, each worker lowers its priority (and that of the
    processes it starts) at its first test not marked `device`, for good: the CPU-bound
    tests (synthesis, renders) then leave the CPU to the live plays that another worker is
    measuring in real time, which run first and at the usual priority."""
    if (
        os.environ.get("PYTEST_XDIST_WORKER")
        and not request.node.get_closest_marker("device")
        and os.nice(0) < YIELDING_NICE
    ):
        os.nice(YIELDING_NICE - os.nice(0))


@pytest.fixture(scope="module", autouse=True)
def phrase_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Each test module gets a phrase cache of its own, empty at first: no test reads or
    writes the user's cache, and a module can check cold and warm behaviour. No settings
    file applies either.

    The voice, when a test gives none, is eSpeak's (through $COACH_VOICE, so commands run
    as subprocesses use it too): it synthesizes 30 times faster than the natural voice,
    which would otherwise be the default. Tests of the natural voice name it, or remove
    the variable to get the real default."""
    folder = tmp_path_factory.mktemp("phrase-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(folder))
        # No user's settings file or COACH_* variables reach a test unless it sets them.
        patch.setenv(CONFIG_ENV, str(folder / "no-settings.toml"))
        for variable in ENVIRONMENT.values():
            patch.delenv(variable, raising=False)
        patch.setenv(VOICE_ENV, DEFAULT_VOICE)
        yield folder


@pytest.fixture(scope="session")
def rest_stop() -> Routine:
    return load_routine("rest-stop")


@pytest.fixture(scope="session")
def lengths() -> EstimatedLengths:
    return EstimatedLengths()
