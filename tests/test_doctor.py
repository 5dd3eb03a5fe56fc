"""`coach doctor`: one line per part, and a non-zero exit when a part is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import coach.live.outputs
from coach.cli import cli
from coach.doctor import run_checks
from coach.errors import CoachError


@pytest.fixture(autouse=True)
def own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))


def _no_device(name: str | None) -> object:
    raise coach.live.outputs.no_device_error("miniaudio", "no sound card found")


@pytest.mark.tts
def test_every_part_is_checked_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    null = coach.live.outputs.BACKENDS["null"]
    monkeypatch.setattr(coach.live.outputs, "open_output", lambda name: null())
    checks = run_checks()
    assert [c.name for c in checks] == [
        "python",
        "speech",
        "phrase cache",
        "mp3 encoder",
        "audio output",
    ]
    assert all(c.ok for c in checks), checks
    speech = checks[1].detail
    assert "espeak" in speech and "voices" in speech and "real time" in speech


@pytest.mark.tts
def test_missing_device_is_reported_with_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(coach.live.outputs, "open_output", _no_device)
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    audio = next(line for line in lines if "audio output" in line)
    assert audio.startswith("NO ") and "coach render" in audio
    assert next(line for line in lines if " speech " in line).startswith("ok ")
    assert "Traceback" not in result.output


def test_broken_speech_engine_is_a_failed_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import coach.speech

    def broken(name: str = "espeak") -> object:
        raise CoachError("The eSpeak speech engine could not be loaded (test).")

    monkeypatch.setattr(coach.speech, "open_engine", broken)
    monkeypatch.setattr(coach.live.outputs, "open_output", _no_device)
    checks = {c.name: c for c in run_checks()}
    assert not checks["speech"].ok and "could not be loaded" in checks["speech"].detail
    assert checks["mp3 encoder"].ok
