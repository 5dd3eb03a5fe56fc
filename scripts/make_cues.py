"""Generate the four chimes in audio_cues/ as mono 16-bit WAV at coach.time.SAMPLE_RATE.

    .venv/bin/python scripts/make_cues.py            # rewrite audio_cues/*.wav
    .venv/bin/python scripts/make_cues.py --out DIR  # write them somewhere else (tests do)

Each chime is a few soft bell notes: sine partials with an exponential decay, a short
raised-cosine attack (a hard onset clicks) and a raised-cosine fade to exact zero at the end
(an exponential never gets there, and a cut-off tail clicks too).

The output is byte-identical on every run: there is no randomness, and the transcendental
functions come from Python's `math` (the C library) one sample at a time rather than from
numpy, whose vectorised sin/exp pick different SIMD code paths on different CPUs, so the same
C library gives the same bits on any machine. Everything after that is IEEE arithmetic
(add, multiply, divide, round), which is exact to the same bit everywhere.

Levels: each cue peaks between -6 and -9 dBFS, chosen so that all three measure about
-21 LUFS (pyloudnorm; checked in tests/sound/test_chimes.py): some 5 LU below speech normalised to
-16 LUFS, so a chime is clearly heard but never startles, and no cue is louder than another.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from coach.pcm import Samples, sample_bytes, wav_header
from coach.time import SAMPLE_RATE

ATTACK_S = 0.006
"""Raised-cosine onset of each note: short enough to sound struck, long enough not to click."""

FADE_S = 0.040
"""Raised-cosine fade that brings the end of each cue to exactly zero."""

PARTIALS = ((1.0, 1.0, 1.0), (2.0, 0.28, 0.55), (3.0, 0.07, 0.35))
"""(frequency ratio, amplitude, decay-time ratio) of each sine partial of a bell note.

Mostly the fundamental, with quieter, faster-dying octave and twelfth: a soft, round bell
rather than a bright, metallic one.
"""

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "audio_cues"


@dataclass(frozen=True)
class Note:
    """One struck bell note inside a cue."""

    start_s: float
    midi: int
    gain: float
    decay_s: float
    """Time constant of the fundamental's exponential decay."""


@dataclass(frozen=True)
class Cue:
    """A chime: its notes and total length."""

    name: str
    length_s: float
    peak_dbfs: float
    """Level of the loudest sample, set by ear and meter so the cue lands near -21 LUFS."""
    notes: tuple[Note, ...]


CUES = (
    # Start of an exercise: a soft rising fourth, E5 then A5, the second note ringing on.
    Cue(
        "exercise",
        0.8,
        -8.0,
        (Note(0.0, 76, 0.8, 0.16), Note(0.16, 81, 1.0, 0.22)),
    ),
    # End of a hold: a single soft G5.
    Cue("hold-end", 0.5, -6.5, (Note(0.0, 79, 1.0, 0.11),)),
    # End of the session: G5, E5, C5 coming to rest on the tonic, which rings longest.
    Cue(
        "session-end",
        1.5,
        -9.0,
        (Note(0.0, 79, 0.8, 0.2), Note(0.28, 76, 0.85, 0.22), Note(0.56, 72, 1.0, 0.32)),
    ),
    # A voice command was heard: two quick, light notes, C6 then E6, over in a quarter second
    # (the file runs on to 0.4 s so that its loudness can be measured like the others').
    Cue("heard", 0.4, -8.0, (Note(0.0, 84, 0.8, 0.04), Note(0.07, 88, 1.0, 0.06))),
)


def midi_hz(midi: int) -> float:
    """Equal-tempered frequency of MIDI note `midi` (A4 = 69 = 440 Hz)."""
    return 440.0 * math.pow(2.0, (midi - 69) / 12)


def note_wave(note: Note, count: int, rate: int) -> npt.NDArray[np.float64]:
    """The float waveform of `note` over a cue of `count` samples (zero before it starts)."""
    out = np.zeros(count, dtype=np.float64)
    first = round(note.start_s * rate)
    attack = round(ATTACK_S * rate)
    base = midi_hz(note.midi)
    for n in range(first, count):
        t = (n - first) / rate
        value = 0.0
        for ratio, amplitude, decay_ratio in PARTIALS:
            freq = base * ratio
            if freq >= rate / 2:
                continue  # above Nyquist it would alias into an off-key tone
            value += (
                amplitude
                * math.exp(-t / (note.decay_s * decay_ratio))
                * math.sin(2.0 * math.pi * freq * t)
            )
        if n - first < attack:
            value *= 0.5 - 0.5 * math.cos(math.pi * (n - first) / attack)
        out[n] = note.gain * value
    return out


def render_cue(cue: Cue, rate: int = SAMPLE_RATE) -> Samples:
    """The samples of `cue`: its notes mixed, faded to zero, peak-normalised to its peak_dbfs."""
    count = round(cue.length_s * rate)
    mix = np.zeros(count, dtype=np.float64)
    for note in cue.notes:
        mix = mix + note_wave(note, count, rate)
    fade = round(FADE_S * rate)
    # Reaches exactly 0 on the last sample, so the cue can be cut there without a click.
    ramp = np.array([0.5 + 0.5 * math.cos(math.pi * (i + 1) / fade) for i in range(fade)])
    mix[count - fade :] = mix[count - fade :] * ramp
    peak = float(np.max(np.abs(mix)))
    scale = 32767.0 * math.pow(10.0, cue.peak_dbfs / 20.0) / peak
    return np.round(mix * scale).astype(np.int16)


def write_cues(out_dir: Path) -> list[Path]:
    """Write every cue as `<name>.wav` into `out_dir` (created if missing); return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for cue in CUES:
        path = out_dir / f"{cue.name}.wav"
        samples = render_cue(cue)
        path.write_bytes(wav_header(len(samples), SAMPLE_RATE) + sample_bytes(samples))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: write the cues and say where."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})"
    )
    args = parser.parse_args(argv)
    for path in write_cues(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
