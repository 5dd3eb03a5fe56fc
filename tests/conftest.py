"""Shared fixtures: the built-in routine and repeatable speech lengths."""

from __future__ import annotations

import pytest

from coach.estimate import EstimatedLengths
from coach.routine import Routine, load_routine


@pytest.fixture(scope="session")
def rest_stop() -> Routine:
    return load_routine("rest-stop")


@pytest.fixture(scope="session")
def lengths() -> EstimatedLengths:
    return EstimatedLengths()
