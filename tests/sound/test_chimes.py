"""The packaged chimes: present, in the shared PCM format, soft, click-free and reproducible."""

from __future__ import annotations

import subprocess
import sys
import wave
from importlib.resources import files
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from coach.sound.chimes import CHIMES, CHIMES_PACKAGE, load_chime
from coach.sound.session_sounds import SessionSounds
from coach.time import SAMPLE_RATE, samples_to_ms
from support.paths import ROOT

EXPECTED_SECONDS = {"exercise": 0.8, "hold-end": 0.5, "session-end": 1.5, "heard": 0.4}


def cue_bytes(name: str) -> bytes:
    return files(CHIMES_PACKAGE).joinpath(f"{name}.wav").read_bytes()


def dbfs(value: float) -> float:
    return 20.0 * float(np.log10(value / 32768.0))


@pytest.mark.parametrize("name", CHIMES)
def test_cue_is_mono_16_bit_at_the_shared_rate(name: str, tmp_path: Path) -> None:
    path = tmp_path / "cue.wav"
    path.write_bytes(cue_bytes(name))
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
    samples = load_chime(name)
    assert samples.dtype == np.int16
    assert len(samples) / SAMPLE_RATE == pytest.approx(EXPECTED_SECONDS[name], abs=0.01)


def cue_ms(name: str) -> int:
    """The length the timeline gives a chime (SessionSounds needs no speech for chimes)."""
    return SessionSounds(cast(Any, None)).cue_ms(name)


@pytest.mark.parametrize("name", CHIMES)
def test_cue_ms_covers_every_sample(name: str) -> None:
    count = len(load_chime(name))
    assert cue_ms(name) == samples_to_ms(count)
    assert (cue_ms(name) - 1) * SAMPLE_RATE < count * 1000 <= cue_ms(name) * SAMPLE_RATE


@pytest.mark.parametrize("name", CHIMES)
def test_cue_starts_and_ends_without_a_click(name: str) -> None:
    samples = load_chime(name).astype(np.int32)
    peak = int(np.abs(samples).max())
    ms = SAMPLE_RATE // 1000
    assert abs(samples[0]) <= 10 and samples[-1] == 0
    # A raised-cosine attack: the first millisecond stays far below the peak ...
    assert np.abs(samples[:ms]).max() < 0.15 * peak
    # ... and the fade-out leaves the last 5 ms nearly silent, ending exactly at zero.
    assert np.abs(samples[-5 * ms :]).max() < 0.02 * peak


@pytest.mark.parametrize("name", CHIMES)
def test_cue_is_soft_but_audible(name: str) -> None:
    samples = load_chime(name)
    peak = dbfs(float(np.abs(samples.astype(np.int32)).max()))
    assert -9.5 <= peak <= -5.5
    pyloudnorm = pytest.importorskip("pyloudnorm", reason="pyloudnorm (test extra) measures LUFS")
    loudness = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(samples / 32768.0)
    # Below speech at -16 LUFS, but not so far below that it is missed in a car.
    assert -23.0 <= loudness <= -19.0


def test_unknown_cue_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="exercise, hold-end, session-end"):
        load_chime("gong")
    with pytest.raises(ValueError):
        cue_ms("gong")


def test_load_cue_returns_a_fresh_array() -> None:
    first = load_chime("hold-end")
    first[:] = 0
    assert np.abs(load_chime("hold-end")).max() > 0


def test_script_regenerates_byte_identical_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_cues.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in CHIMES:
        assert (tmp_path / f"{name}.wav").read_bytes() == cue_bytes(name), (
            f"{name}.wav differs from what scripts/make_cues.py makes now; "
            "re-run the script and commit the WAVs"
        )
