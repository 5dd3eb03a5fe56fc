"""Phrase mastering for a session (coach.sound.mastering): the numpy-only low-pass against scipy's
sosfiltfilt, the mastered clip against the meters, and no scipy import on the way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from coach.pcm import Samples
from coach.sound.loudness import clip_loudness
from coach.sound.mastering import (
    SPEECH_CEILING_DBTP,
    SPEECH_LUFS,
    SPEECH_TOP_HZ,
    band_limit,
    master_speech,
)
from coach.speech.cache import CACHE_DIR_ENV
from coach.time import SAMPLE_RATE
from support.meters import LoudnessMeter, TruePeakMeter
from support.signals import speech_like

EDGE = 300
"""Samples at each end where band_limit may differ from sosfiltfilt: it takes the signal as
silent outside the clip, scipy extends it by odd reflection."""


def scipy_lowpass(samples: Samples) -> Samples:
    """What master_speech did before v3: 8th-order Butterworth, forwards and backwards."""
    sos = butter(8, SPEECH_TOP_HZ, btype="lowpass", fs=SAMPLE_RATE, output="sos")
    smooth = np.asarray(sosfiltfilt(sos, samples.astype(np.float64)), dtype=np.float64)
    return np.clip(np.round(smooth), -32768, 32767).astype(np.int16)


def noisy_speech(seconds: float, seed: int) -> Samples:
    """speech_like plus white noise, so there is plenty above 8 kHz to remove."""
    clip = speech_like(seconds, seed).astype(np.float64)
    clip += 800.0 * np.random.default_rng(seed).standard_normal(clip.size)
    return np.clip(np.round(clip), -32768, 32767).astype(np.int16)


@pytest.mark.parametrize(("seconds", "seed"), [(0.5, 1), (2.0, 2), (7.5, 3)])
def test_band_limit_equals_sosfiltfilt_inside_the_clip(seconds: float, seed: int) -> None:
    clip = noisy_speech(seconds, seed)
    got = band_limit(clip)
    expected = scipy_lowpass(clip)
    assert got.dtype == np.int16
    assert got.shape == clip.shape
    inside = np.abs(got[EDGE:-EDGE].astype(np.int32) - expected[EDGE:-EDGE])
    assert inside.max() <= 1  # float rounding may flip a sample's rounding, no more


def test_band_limit_removes_what_lies_above_the_cut_off() -> None:
    clip = noisy_speech(2.0, 4)
    spectrum = np.abs(np.fft.rfft(band_limit(clip).astype(np.float64))) ** 2
    frequency = np.fft.rfftfreq(clip.size, 1.0 / SAMPLE_RATE)
    before = np.abs(np.fft.rfft(clip.astype(np.float64))) ** 2
    high = frequency > 9_500  # an octave-eighth above 8 kHz: down over 40 dB per pass
    assert spectrum[high].sum() < 1e-4 * before[high].sum()
    low = frequency < 4_000  # flat passband
    assert spectrum[low].sum() == pytest.approx(before[low].sum(), rel=1e-3)


def vowels(seconds: float, seed: int) -> Samples:
    """Syllables of a harmonic tone (12 harmonics falling at 4.5 dB an octave), quiet.

    Peaky enough that mastering to -14.5 LUFS needs 0.4 to 3.3 dB of limiting, yet within
    the makeup gain master_clip allows (speech_like, a pulse per pitch period, is not)."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    f0 = 120 + 30 * rng.random()
    tone = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.3)) / k**1.5 for k in range(1, 13))
    envelope = np.zeros(n)
    start = 0
    while start < n:
        end = min(n, start + int(rng.uniform(0.12, 0.3) * SAMPLE_RATE))
        envelope[start:end] = np.hanning(end - start) * rng.uniform(0.6, 1.0)
        start = end + int(rng.uniform(0.02, 0.1) * SAMPLE_RATE)
    x = np.asarray(tone * envelope, dtype=np.float64)
    peak = float(np.max(np.abs(x)))
    return np.round(x * (3000 / peak)).astype(np.int16)


@pytest.mark.parametrize(("seconds", "seed"), [(0.3, 0), (1.5, 0), (1.5, 3), (6.0, 0)])
def test_master_speech_keeps_length_and_meets_loudness_and_ceiling(
    seconds: float, seed: int
) -> None:
    clip = vowels(seconds, seed)
    out = master_speech(clip)
    assert out.dtype == np.int16
    assert out.shape == clip.shape
    assert clip_loudness(out) == pytest.approx(SPEECH_LUFS, abs=0.1)
    if seconds >= 0.4:  # the streaming (scipy) meter agrees
        meter = LoudnessMeter(SAMPLE_RATE)
        meter.add(out)
        assert meter.integrated_lufs() == pytest.approx(SPEECH_LUFS, abs=0.1)
    peak = TruePeakMeter(SAMPLE_RATE)
    peak.add(out)
    assert peak.dbtp() <= SPEECH_CEILING_DBTP


def test_master_speech_keeps_silence() -> None:
    silent = np.zeros(2000, dtype=np.int16)
    assert np.array_equal(master_speech(silent), silent)


def scipy_modules_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    """The scipy modules loaded once `code` has run in a fresh interpreter."""
    script = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    modules: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return modules


def test_mastering_a_phrase_imports_no_scipy() -> None:
    # In a subprocess: other tests here import scipy themselves. Importing scipy.signal
    # costs a cold render about 0.45 s and 70 MB of peak memory.
    code = (
        "import numpy as np\n"
        "from coach.sound.mastering import master_speech\n"
        "t = np.arange(40_000) / 22_050\n"
        "pulses = np.sign(np.sin(2 * np.pi * 140 * t)) * np.hanning(t.size)\n"
        "noise = np.random.default_rng(0).standard_normal(t.size)\n"
        "clip = np.round(3000 * pulses + 300 * noise).astype(np.int16)\n"
        "assert master_speech(clip).shape == clip.shape\n"
    )
    assert scipy_modules_after(code) == []


@pytest.mark.tts
def test_a_cold_render_imports_no_scipy(tmp_path: Path) -> None:
    env = {**os.environ, CACHE_DIR_ENV: str(tmp_path / "cache")}
    out = tmp_path / "session.mp3"
    code = (
        "from coach.cli import cli\n"
        f"cli.main(['render', '-q', '-o', {str(out)!r}, '-m', '5'], standalone_mode=False)\n"
    )
    assert scipy_modules_after(code, env) == []
    assert out.stat().st_size > 0
