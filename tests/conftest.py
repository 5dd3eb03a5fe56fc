"""Shared fixtures: a private phrase cache, eSpeak as the voice unless a test asks for
another, the built-in routine, repeatable speech lengths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.config import CONFIG_ENV, ENVIRONMENT
from coach.plan.routine import Routine
from coach.routines import load_routine
from coach.speech.cache import CACHE_DIR_ENV
from coach.speech.voices import DEFAULT_VOICE, VOICE_ENV
from support.lengths import EstimatedLengths


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
