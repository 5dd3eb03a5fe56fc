"""The eSpeak NG engine, through pyttsx3, with the library from the `espeakng-loader` wheel.

No system package is needed: `espeakng-loader` ships `libespeak-ng` and its data. pyttsx3's
driver opens the library by its soname (`libespeak-ng.so.1`), which the dynamic linker only
finds once the wheel's copy is already loaded with RTLD_GLOBAL, and eSpeak finds its data
through ESPEAK_DATA_PATH; both must be in place before pyttsx3 builds its driver.

Three quirks of pyttsx3 2.99 that this module contains:

- it prints "Audio saved to ..." on stdout for every file; that print is swallowed here;
- it ignores an unknown voice silently (keeps the previous one), so voices are checked here;
- a driver that never signals the end of an utterance would block `runAndWait` forever,
  so synthesis runs in a worker thread with a time limit.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import tempfile
import threading
import wave
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from coach.errors import CoachError
from coach.pcm import SAMPLE_RATE, Samples, read_wav
from coach.types import Voice

__all__ = ["EspeakEngine", "Pyttsx3Like"]

SYNTH_ATTEMPTS = 4
"""Tries per phrase before an empty result from eSpeak is an error."""

_INSTALL_HINT = (
    "Install it with `pip install pyttsx3 espeakng-loader` (both are wheels that bring "
    "the eSpeak NG library and its data; no system package is needed), then run "
    "`coach doctor` to check."
)


class Pyttsx3Like(Protocol):
    """The part of a `pyttsx3.Engine` this module uses; tests pass a fake."""

    def setProperty(self, name: str, value: str | float) -> None: ...

    def getProperty(self, name: str) -> Any: ...

    def save_to_file(self, text: str, filename: str) -> None: ...

    def runAndWait(self) -> None: ...


class EspeakEngine:
    """`coach.types.SpeechEngine` backed by eSpeak NG through pyttsx3.

    The library loads on first use of `voices()` or `synthesize()` (about 15 ms), and one
    pyttsx3 engine serves every call on this instance. eSpeak itself is process-wide and
    not reentrant: use an instance from one thread at a time.

    A phrase that does not finish within `timeout_s + timeout_per_word_s * words` raises
    CoachError; the stuck worker thread is abandoned (it is a daemon, so it cannot keep the
    program alive) and every later call on this instance fails at once, because eSpeak is
    in an unknown state.
    """

    name = "espeak"

    def __init__(
        self,
        *,
        timeout_s: float = 5.0,
        timeout_per_word_s: float = 0.2,
        tts: Pyttsx3Like | None = None,
    ) -> None:
        """`tts` replaces the real pyttsx3 engine (for tests); leave it out in real use."""
        self.timeout_s = timeout_s
        self.timeout_per_word_s = timeout_per_word_s
        self._tts = tts
        self._voices: list[Voice] | None = None
        self._version: str | None = None
        self._stuck = False

    def version(self) -> str:
        """pyttsx3 and espeakng-loader versions plus the library file name.

        The loader's version pins the eSpeak NG build and its data, so this changes
        whenever the voice could sound different. Computed without loading the library.
        """
        if self._version is None:
            try:
                import espeakng_loader

                library = Path(espeakng_loader.get_library_path()).name
                self._version = (
                    f"pyttsx3 {metadata.version('pyttsx3')}; "
                    f"espeakng-loader {metadata.version('espeakng-loader')}; {library}"
                )
            except (ImportError, metadata.PackageNotFoundError) as exc:
                raise _load_error(exc) from exc
        return self._version

    def voices(self) -> list[Voice]:
        """Every eSpeak NG voice: id such as "gmw/en-us", its name and language code."""
        if self._voices is None:
            found: list[Voice] = []
            for voice in self._engine().getProperty("voices"):
                languages = getattr(voice, "languages", None) or [""]
                found.append(Voice(id=str(voice.id), name=str(voice.name), language=languages[0]))
            self._voices = found
        return list(self._voices)

    def synthesize(self, text: str, voice: str, rate: int) -> tuple[Samples, int]:
        """Speak `text` with `voice` at `rate` words per minute; return samples and rate.

        The audio is what eSpeak makes, untrimmed: about 13 ms of silence before and
        390 ms after the words. Blank text gives an empty clip without calling eSpeak.
        Raises CoachError for an unknown voice, a failed synthesis or a hang.
        """
        if not text.strip():
            return np.zeros(0, dtype=np.int16), SAMPLE_RATE
        if voice not in {v.id for v in self.voices()}:
            raise CoachError(
                f"eSpeak has no voice {voice!r}. Run `coach voices` to see the voices it has."
            )
        engine = self._engine()
        # pyttsx3's eSpeak driver now and then writes a WAV with no samples (about 1 in 60
        # phrases here: the words arrive after it has saved the file). It is all or nothing,
        # so an empty result is simply tried again.
        for _ in range(SYNTH_ATTEMPTS):
            samples, rate = self._synthesize_once(engine, text, voice, rate)
            if len(samples):
                return samples, rate
        raise CoachError(
            f"eSpeak produced no audio for {text!r} in {SYNTH_ATTEMPTS} tries. Try again; "
            "if it keeps failing, run `coach doctor`."
        )

    def _synthesize_once(
        self, engine: Pyttsx3Like, text: str, voice: str, rate: int
    ) -> tuple[Samples, int]:
        with tempfile.TemporaryDirectory(prefix="coach-espeak-", ignore_cleanup_errors=True) as tmp:
            path = Path(tmp) / "phrase.wav"
            self._run_guarded(engine, text, voice, rate, path)
            try:
                return read_wav(path)
            except (OSError, EOFError, wave.Error) as exc:
                raise CoachError(
                    f"eSpeak produced no usable audio for {text!r} ({exc}). Try again; if it "
                    "keeps failing, run `coach doctor`."
                ) from exc

    def _run_guarded(
        self, engine: Pyttsx3Like, text: str, voice: str, rate: int, path: Path
    ) -> None:
        """Run one save_to_file + runAndWait in a worker thread, within the time limit."""
        if self._stuck:
            raise CoachError(
                "eSpeak stopped responding earlier in this run and cannot be used again. "
                "Run the command again; if it keeps happening, run `coach doctor`."
            )
        errors: list[BaseException] = []

        def work() -> None:
            try:
                # Queued commands: pyttsx3 applies them in order inside runAndWait.
                engine.setProperty("voice", voice)
                engine.setProperty("rate", rate)
                engine.save_to_file(text, str(path))
                engine.runAndWait()
            except BaseException as exc:  # reported to the calling thread below
                errors.append(exc)

        limit = self.timeout_s + self.timeout_per_word_s * len(text.split())
        worker = threading.Thread(target=work, name="coach-espeak", daemon=True)
        # pyttsx3 prints "Audio saved to ..." from eSpeak's own callback thread, which we
        # cannot name in advance, so sys.stdout is swapped for the whole (~15 ms) call.
        # That is process-wide: keep synthesis out of phases where other threads print.
        with contextlib.redirect_stdout(io.StringIO()):
            worker.start()
            worker.join(limit)
        if worker.is_alive():
            self._stuck = True
            raise CoachError(
                f"eSpeak did not finish speaking {text!r} within {limit:.1f} s and was given "
                "up. Run the command again; if it keeps happening, try another voice with "
                "--voice or run `coach doctor`."
            )
        if errors:
            raise CoachError(
                f"eSpeak failed to speak {text!r}: {errors[0]}. Run `coach doctor` to check "
                "the speech engine."
            ) from errors[0]

    def _engine(self) -> Pyttsx3Like:
        if self._tts is None:
            self._tts = _load_pyttsx3()
        return self._tts


def _load_pyttsx3() -> Pyttsx3Like:
    """Load the wheel's eSpeak NG library and return a pyttsx3 engine on top of it."""
    try:
        import espeakng_loader

        # RTLD_GLOBAL so pyttsx3's own dlopen("libespeak-ng.so.1") resolves to this copy.
        ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
        # Always overwrite: data from another eSpeak install may not match this library.
        os.environ["ESPEAK_DATA_PATH"] = espeakng_loader.get_data_path()
        import pyttsx3

        return cast(Pyttsx3Like, pyttsx3.init("espeak"))
    except Exception as exc:  # any failure here means the same thing to the user
        raise _load_error(exc) from exc


def _load_error(exc: BaseException) -> CoachError:
    return CoachError(f"The eSpeak speech engine could not be loaded ({exc}). {_INSTALL_HINT}")
