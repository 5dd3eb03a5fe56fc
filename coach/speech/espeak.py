"""The eSpeak NG engine, through pyttsx3's eSpeak bindings, with the library from the
`espeakng-loader` wheel.

No system package is needed: `espeakng-loader` ships `libespeak-ng` and its data. pyttsx3's
bindings open the library by its soname (`libespeak-ng.so.1`), which the dynamic linker
finds once the wheel's copy is loaded, and eSpeak finds its data through ESPEAK_DATA_PATH;
both must be in place before pyttsx3 loads them. The copy is loaded with RTLD_LOCAL: with
RTLD_GLOBAL its symbols took the place of the eSpeak NG that piper-tts builds into its own
phonemizer, which then crashed the process (Piper and eSpeak share a process in
`coach voices`, `coach doctor` and the tests).

Why the bindings and not pyttsx3's `Engine`: its eSpeak driver runs eSpeak in retrieval
mode with one-second buffers and saves the file when the end-of-message event arrives,
before adding the samples that came with that same event. Now and then a phrase's audio
all arrives with it, and the saved file is empty (5 of 300 phrases here; "Two of three."
four times running), or a longer phrase loses its last buffer. It also prints "Audio
saved to ..." on stdout from eSpeak's thread and keeps the previous voice when given an
unknown one. Here eSpeak runs in synchronous mode: `Synth` returns once every sample has
been handed to our callback, which keeps all of them.

A phrase that does not finish in time would block forever, so synthesis runs in a worker
thread with a time limit.

eSpeak's samples for a phrase also depended on what it had spoken before: its wave
generator keeps two counters from call to call (the pitch flutter's position and a cycle
count), so the same phrase came out up to 40 samples longer or shorter depending on the
phrases before it, and a render from an empty cache differed from one whose cache had
been filled in another order. Those two counters are function-local statics with no API;
the library in the wheel keeps its symbol table, so `_HistoryReset` finds them there and
puts them back to their state after initialisation before every phrase. Every phrase then
sounds the same whatever was synthesized before it (see `history_reset`).
"""

from __future__ import annotations

import ctypes
import functools
import os
import struct
import threading
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from coach.errors import CoachError
from coach.pcm import Samples
from coach.speech.choices import check_voice
from coach.speech.types import Voice
from coach.time import SAMPLE_RATE

__all__ = ["EspeakEngine", "EspeakLibrary"]

SYNTH_ATTEMPTS = 3
"""Tries per phrase before an empty result from eSpeak is an error."""

_INSTALL_HINT = (
    "Install it with `pip install pyttsx3 espeakng-loader` (both are wheels that bring "
    "the eSpeak NG library and its data; no system package is needed), then run "
    "`coach doctor` to check."
)


class EspeakLibrary(Protocol):
    """The calls this module makes into eSpeak NG; tests pass a fake."""

    sample_rate: int
    history_reset: bool
    """True when each phrase is synthesized from the same starting state."""

    def list_voices(self) -> list[Voice]: ...

    def speak(self, text: str, voice: str, rate: int) -> bytes:
        """All the 16-bit mono samples of `text` spoken, as little-endian bytes."""
        ...


_HISTORY_STATICS = ("Flutter_ix.", "cycle_count.")
"""Name prefixes (the compiler appends a number) of the wave generator's counters that carry
over from one phrase to the next."""


def _local_symbols(library: Path, prefixes: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """Symbols of an ELF64 little-endian shared library whose names start with one of
    `prefixes` (plus `espeak_Synth`, the anchor): name -> (address in the file, size).

    Reads the full symbol table (.symtab), which holds the static variables the dynamic
    one leaves out. Returns what it finds; an unreadable or stripped file gives {}.
    """
    try:
        data = library.read_bytes()
    except OSError:
        return {}
    if data[:6] != b"\x7fELF\x02\x01":  # 64-bit, little-endian
        return {}
    found: dict[str, tuple[int, int]] = {}
    try:
        section_offset = struct.unpack_from("<Q", data, 0x28)[0]
        entry_size, count = struct.unpack_from("<HH", data, 0x3A)
        sections = [
            struct.unpack_from("<IIQQQQIIQQ", data, section_offset + index * entry_size)
            for index in range(count)
        ]
        for _name, kind, _flags, _addr, offset, size, link, _info, _align, sym_size in sections:
            if kind != 2 or not sym_size:  # SHT_SYMTAB
                continue
            strings_offset = sections[link][4]
            for start in range(offset, offset + size, sym_size):
                name_at, _, _, _, value, length = struct.unpack_from("<IBBHQQ", data, start)
                end = data.index(b"\0", strings_offset + name_at)
                name = data[strings_offset + name_at : end].decode("ascii", errors="replace")
                if name == "espeak_Synth" or name.startswith(prefixes):
                    found[name] = (value, length)
    except (struct.error, ValueError, IndexError):
        return {}
    return found


class _HistoryReset:
    """Puts the wave generator's carried-over counters back to their first state.

    Built right after eSpeak is initialised; `restore()` before each phrase. `works` is
    False when the counters cannot be found (a stripped library), and then nothing is done.
    """

    def __init__(self, library_path: Path, library: ctypes.CDLL) -> None:
        symbols = _local_symbols(library_path, _HISTORY_STATICS)
        anchor = symbols.pop("espeak_Synth", None)
        self._saved: list[tuple[int, bytes]] = []
        found = {name.split(".")[0] + "." for name in symbols}
        self.works = anchor is not None and found == set(_HISTORY_STATICS)
        if not self.works or anchor is None:
            return
        loaded = ctypes.cast(library.espeak_Synth, ctypes.c_void_p).value or 0
        base = loaded - anchor[0]
        for address, size in symbols.values():
            self._saved.append((base + address, ctypes.string_at(base + address, size)))

    def restore(self) -> None:
        for address, value in self._saved:
            ctypes.memmove(address, value, len(value))


class _Bindings:
    """eSpeak NG in synchronous mode through `pyttsx3.drivers._espeak` (one per process)."""

    def __init__(self) -> None:
        import espeakng_loader

        library_path = Path(espeakng_loader.get_library_path())
        library = ctypes.CDLL(str(library_path), mode=ctypes.RTLD_LOCAL)
        os.environ["ESPEAK_DATA_PATH"] = espeakng_loader.get_data_path()
        from pyttsx3.drivers import _espeak

        self._espeak: Any = _espeak
        rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 200)
        if rate <= 0:
            raise RuntimeError("espeak_Initialize failed")
        self.sample_rate = int(rate)
        self._chunks: list[bytes] = []
        _espeak.SetSynthCallback(self._on_synth)
        self._history = _HistoryReset(library_path, library)
        self.history_reset = self._history.works

    def _on_synth(self, wav: Any, count: int, _events: Any) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0  # 0: go on synthesizing

    def list_voices(self) -> list[Voice]:
        voices = []
        for entry in self._espeak.ListVoices(None):
            language = (
                entry.languages[1:].decode("utf-8", errors="ignore") if entry.languages else ""
            )
            voices.append(
                Voice(
                    id=entry.identifier.decode("utf-8").lower(),
                    name=entry.name.decode("utf-8"),
                    language=language,
                )
            )
        return voices

    def speak(self, text: str, voice: str, rate: int) -> bytes:
        espeak = self._espeak
        if espeak.SetVoiceByName(voice.encode("utf-8")) != espeak.EE_OK:
            raise RuntimeError(f"eSpeak could not select the voice {voice!r}")
        espeak.SetParameter(espeak.RATE, rate, 0)
        self._history.restore()
        self._chunks = []
        espeak.Synth(text, flags=espeak.ENDPAUSE | espeak.CHARS_UTF8)
        espeak.Synchronize()
        return b"".join(self._chunks)


@functools.cache
def _load_bindings() -> _Bindings:
    """The process's one eSpeak NG (it can be initialised only once per process)."""
    try:
        return _Bindings()
    except Exception as exc:  # any failure here means the same thing to the user
        raise _load_error(exc) from exc


class EspeakEngine:
    """`coach.speech.types.SpeechEngine` backed by eSpeak NG.

    The library loads on first use of `voices()` or `synthesize()` (about 15 ms). eSpeak is
    process-wide and not reentrant: use an instance from one thread at a time.

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
        library: EspeakLibrary | None = None,
    ) -> None:
        """`library` replaces the real eSpeak NG (for tests); leave it out in real use."""
        self.timeout_s = timeout_s
        self.timeout_per_word_s = timeout_per_word_s
        self._library = library
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
                    f"espeakng-loader {metadata.version('espeakng-loader')}; {library}; "
                    "sync; fresh state"
                )
            except (ImportError, metadata.PackageNotFoundError) as exc:
                raise _load_error(exc) from exc
        return self._version

    @property
    def history_reset(self) -> bool:
        """True when every phrase starts from the same state (loads the library)."""
        return self._lib().history_reset

    def voices(self) -> list[Voice]:
        """Every eSpeak NG voice: id such as "gmw/en-us", its name and language code."""
        if self._voices is None:
            self._voices = self._lib().list_voices()
        return list(self._voices)

    def synthesize(self, text: str, voice: str, rate: int) -> tuple[Samples, int]:
        """Speak `text` with `voice` at `rate` words per minute; return samples and rate.

        The audio is what eSpeak makes, untrimmed: a little silence before and about
        390 ms after the words. Blank text gives an empty clip without calling eSpeak.
        Raises CoachError for an unknown voice, a failed synthesis or a hang.
        """
        if not text.strip():
            return np.zeros(0, dtype=np.int16), SAMPLE_RATE
        check_voice(self, voice)
        library = self._lib()
        for _ in range(SYNTH_ATTEMPTS):
            data = self._run_guarded(library, text, voice, rate)
            if data:
                return np.frombuffer(data, dtype="<i2").astype(np.int16), library.sample_rate
        raise CoachError(
            f"eSpeak produced no audio for {text!r} in {SYNTH_ATTEMPTS} tries. Try again; "
            "if it keeps failing, run `coach doctor`."
        )

    def synthesize_many(
        self, texts: Sequence[str], voice: str, rate: int
    ) -> Iterator[tuple[int, tuple[Samples, int]]]:
        """`synthesize` for each text in turn (eSpeak is not reentrant, and fast)."""
        for index, text in enumerate(texts):
            yield index, self.synthesize(text, voice, rate)

    def _run_guarded(self, library: EspeakLibrary, text: str, voice: str, rate: int) -> bytes:
        """Run one synthesis in a worker thread, within the time limit."""
        if self._stuck:
            raise CoachError(
                "eSpeak stopped responding earlier in this run and cannot be used again. "
                "Run the command again; if it keeps happening, run `coach doctor`."
            )
        results: list[bytes] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                results.append(library.speak(text, voice, rate))
            except BaseException as exc:  # reported to the calling thread below
                errors.append(exc)

        limit = self.timeout_s + self.timeout_per_word_s * len(text.split())
        worker = threading.Thread(target=work, name="coach-espeak", daemon=True)
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
        return results[0]

    def _lib(self) -> EspeakLibrary:
        if self._library is None:
            self._library = _load_bindings()
        return self._library


def _load_error(exc: BaseException) -> CoachError:
    return CoachError(f"The eSpeak speech engine could not be loaded ({exc}). {_INSTALL_HINT}")
