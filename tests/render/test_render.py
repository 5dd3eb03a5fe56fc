"""Rendering, measured in the audio: the decoded MP3 and the WAV are held against the timeline.

The default session and a short fitted one (3 minutes) are rendered once for each voice
(eSpeak and, where it is installed, the natural voice), to MP3 and to WAV, with the real
speech engine and a phrase cache of the voice's own; the tests then decode the files and
measure: length in samples, where every hold starts and ends (by the sound's envelope),
silence inside holds, where cue words and chimes sound, chapters and tags read back,
loudness and true peak. The remaining tests interrupt renders part-way.
"""

from __future__ import annotations

import importlib
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.errors import CoachError
from coach.files import check_writable
from coach.pcm import Samples
from coach.plan.session import Session
from coach.plan.timeline import AudibleClip, Clip, SpanClip
from coach.preparation import SessionRequest, prepare_session
from coach.render import ARTIST, Rendered, render_session, track_title, version_name
from coach.render.tags import read_session_tags
from coach.sound.assembly import session_samples
from coach.sound.session_sounds import SessionSounds, open_sounds
from coach.speech.cache import CACHE_DIR_ENV
from coach.speech.piper import neural_installed
from coach.speech.voices import DEFAULT_VOICE, NEURAL_VOICE
from coach.time import SAMPLE_RATE, ms_to_samples
from support.chapters import read_chapters
from support.full_disk import fill_disk_after

SILENT_DBFS = -50.0
"""Audio quieter than this counts as silence when measuring where sound starts and stops."""
SILENT = 32768.0 * 10.0 ** (SILENT_DBFS / 20.0)
EDGE_MS = 5
"""MP3 spreads a clip's edges by a few milliseconds (pre-echo, filter ringing); silence
checks next to a clip leave this much out."""
HOLD_TOLERANCE_MS = 50
"""A hold, measured in the decoded audio from the sound's end to its start again, is within
this of the routine's hold length."""
SEARCH_SAMPLES = ms_to_samples(20)
"""How far from its timeline place a clip is looked for by cross-correlation."""
FITTED_MINUTES = 3.0

pytestmark = pytest.mark.tts


# --- rendering once per module ---------------------------------------------------------------


VOICES = [
    DEFAULT_VOICE,
    pytest.param(
        NEURAL_VOICE,
        marks=pytest.mark.skipif(
            not neural_installed(), reason="the natural voice is not installed"
        ),
    ),
]


@pytest.fixture(scope="module", params=VOICES)
def voice_cache(request: pytest.FixtureRequest, phrase_cache: Path) -> Iterator[tuple[str, Path]]:
    """Each voice's renders, with a phrase cache of the voice's own (empty at first)."""
    voice: str = request.param
    folder = phrase_cache / voice.replace("/", "-")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(folder))
        yield voice, folder


@dataclass
class Cold:
    """The first prepared session of a voice: the cache was empty."""

    voice: str
    sounds: SessionSounds
    session: Session
    synthesized: int
    cache_hits: int


@pytest.fixture(scope="module")
def cold(voice_cache: tuple[str, Path]) -> Cold:
    voice, _ = voice_cache
    sounds = open_sounds(voice, None)
    session = prepare_session(SessionRequest(minutes=None), progress=None, sounds=sounds).session
    return Cold(voice, sounds, session, sounds.phrases.synthesized, sounds.phrases.cache_hits)


@dataclass
class Render:
    """A session rendered to MP3 and WAV, and both files read back."""

    session: Session
    sounds: SessionSounds
    mp3: Path
    wav: Path
    rendered: Rendered
    decoded: Samples
    """The MP3 decoded by miniaudio (dr_mp3) at the session's rate."""
    pcm: Samples
    """The WAV's samples."""
    progress: list[tuple[int, int]] = field(default_factory=list)

    def audio(self, clip: Clip) -> Samples:
        return self.sounds.audio(clip)

    def holds(self) -> list[SpanClip]:
        return [
            clip
            for clip in self.session.timeline.clips
            if isinstance(clip, SpanClip) and clip.kind == "hold"
        ]

    def words_in(self, hold: SpanClip) -> list[AudibleClip]:
        """The cue words spoken inside `hold`, in order."""
        return [
            clip
            for clip in self.session.timeline.audible_clips()
            if hold.start_ms <= clip.start_ms < hold.end_ms
        ]


def decode(path: Path) -> Samples:
    import miniaudio

    decoded = miniaudio.decode_file(
        str(path),
        output_format=miniaudio.SampleFormat.SIGNED16,
        nchannels=1,
        sample_rate=SAMPLE_RATE,
    )
    assert (decoded.nchannels, decoded.sample_rate) == (1, SAMPLE_RATE)
    return np.frombuffer(decoded.samples, dtype=np.int16)


def read_wav_file(path: Path) -> Samples:
    with wave.open(str(path), "rb") as file:
        assert (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (
            1,
            2,
            SAMPLE_RATE,
        )
        return np.frombuffer(file.readframes(file.getnframes()), dtype="<i2").astype(np.int16)


def render_both(sounds: SessionSounds, minutes: float | None, folder: Path, name: str) -> Render:
    session = prepare_session(SessionRequest(minutes=minutes), progress=None, sounds=sounds).session
    progress: list[tuple[int, int]] = []
    mp3 = folder / f"{name}.mp3"
    wav = folder / f"{name}.wav"
    rendered = render_session(
        session, sounds, check_writable(mp3), lambda done, total: progress.append((done, total))
    )
    render_session(session, sounds, check_writable(wav))
    return Render(session, sounds, mp3, wav, rendered, decode(mp3), read_wav_file(wav), progress)


@pytest.fixture(scope="module")
def full(cold: Cold, tmp_path_factory: pytest.TempPathFactory) -> Render:
    return render_both(cold.sounds, None, tmp_path_factory.mktemp("full"), "rest-stop")


@pytest.fixture(scope="module")
def fitted(cold: Cold, tmp_path_factory: pytest.TempPathFactory) -> Render:
    return render_both(cold.sounds, FITTED_MINUTES, tmp_path_factory.mktemp("fitted"), "short")


@pytest.fixture(params=["full", "fitted"])
def render(request: pytest.FixtureRequest, voice_cache: tuple[str, Path]) -> Render:
    """Each test that takes `render` runs on the full and on the fitted session (of each
    voice: `voice_cache` is named so that pytest knows this fixture depends on it)."""
    result: Render = request.getfixturevalue(request.param)
    return result


# --- measuring helpers -----------------------------------------------------------------------


def dbfs(amplitude: float) -> float:
    return 20.0 * float(np.log10(max(amplitude, 1e-9) / 32768.0))


def peak_dbfs(samples: Samples) -> float:
    return dbfs(float(np.abs(samples.astype(np.int32)).max())) if samples.size else -np.inf


def rms_dbfs(samples: Samples) -> float:
    return dbfs(float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))))


def sound_end(x: Samples, start: int, stop: int) -> int:
    """Index just after the last sample louder than SILENT in x[start:stop]."""
    loud = np.flatnonzero(np.abs(x[start:stop].astype(np.int32)) > SILENT)
    assert loud.size, f"no sound at all in samples {start}..{stop}"
    return start + int(loud[-1]) + 1


def sound_start(x: Samples, start: int, stop: int) -> int:
    """Index of the first sample louder than SILENT in x[start:stop]."""
    loud = np.flatnonzero(np.abs(x[start:stop].astype(np.int32)) > SILENT)
    assert loud.size, f"no sound at all in samples {start}..{stop}"
    return start + int(loud[0])


def locate(x: Samples, clip: Samples, expected: int) -> int:
    """Where `clip` lies in `x`, searched by cross-correlation within SEARCH_SAMPLES of
    `expected`."""
    from scipy.signal import correlate

    low = max(0, expected - SEARCH_SAMPLES)
    window = x[low : expected + len(clip) + SEARCH_SAMPLES].astype(np.float64)
    scores = correlate(window, clip.astype(np.float64), mode="valid", method="fft")
    return low + int(np.argmax(scores))


def similarity(a: Samples, b: Samples) -> float:
    """Normalised correlation of two equally long pieces of audio at lag 0 (1 = same shape)."""
    x = a.astype(np.float64)
    y = b.astype(np.float64)
    return float(np.dot(x, y) / np.sqrt(np.dot(x, x) * np.dot(y, y)))


def ms(samples: int) -> float:
    return samples * 1000.0 / SAMPLE_RATE


@dataclass(frozen=True)
class HoldMeasure:
    hold: Clip
    start: int
    """Sample where the sound of the phrase that starts the hold ends."""
    end: int
    """Sample where the sound of the chime or phrase that ends the hold starts."""

    @property
    def error_ms(self) -> float:
        return ms(self.end - self.start) - self.hold.length_ms


def measure_hold(render: Render, hold: SpanClip, x: Samples) -> HoldMeasure:
    """Find the hold's two edges in `x` from the sound, not from the timeline's numbers."""
    timeline = render.session.timeline
    words = render.words_in(hold)
    begin = ms_to_samples(hold.start_ms)
    finish = ms_to_samples(hold.end_ms)
    if hold.counted:
        # A counted hold says "One." the moment it starts, so no silence marks the edge:
        # find that word by its own sound, and take its start.
        assert words[0].start_ms == hold.start_ms
        start = locate(x, render.audio(words[0]), begin)
    else:
        starter = [c for c in timeline.audible_clips() if c.end_ms == hold.start_ms]
        assert len(starter) == 1, f"no single phrase starts the hold at {hold.start_ms} ms"
        first_word = ms_to_samples(words[0].start_ms - EDGE_MS) if words else finish
        start = sound_end(
            x, begin - ms_to_samples(300), min(begin + ms_to_samples(300), first_word)
        )
    after_words = ms_to_samples(words[-1].end_ms + EDGE_MS) if words else begin
    end = sound_start(x, max(after_words, finish - ms_to_samples(300)), finish + ms_to_samples(300))
    return HoldMeasure(hold, start, end)


# --- the cache: cold, then warm --------------------------------------------------------------


def test_a_cold_cache_synthesizes_each_phrase_once_and_a_warm_one_nothing(
    cold: Cold, voice_cache: tuple[str, Path]
) -> None:
    _, phrase_cache = voice_cache
    from coach.preparation import full_session_phrases

    distinct = len(set(full_session_phrases(cold.session.routine)))
    assert cold.synthesized == distinct
    assert cold.cache_hits == 0
    assert len(list((phrase_cache / "phrases").glob("*.wav"))) == distinct

    warm = open_sounds(cold.voice, None)
    session = prepare_session(SessionRequest(minutes=None), progress=None, sounds=warm).session
    assert warm.phrases.synthesized == 0
    assert warm.phrases.cache_hits == distinct
    assert session.timeline == cold.session.timeline


# --- length -----------------------------------------------------------------------------------


def test_the_decoded_mp3_is_exactly_as_long_as_the_timeline(render: Render) -> None:
    import miniaudio

    total = session_samples(render.session.timeline)
    assert total == ms_to_samples(render.session.timeline.total_ms)
    # The gapless info frame makes the decoder drop the encoder's delay and padding: not
    # within a frame, but to the sample.
    assert len(render.decoded) == total
    info = miniaudio.mp3_get_file_info(str(render.mp3))
    assert (info.sample_rate, info.nchannels) == (SAMPLE_RATE, 1)  # nothing was resampled
    assert info.num_frames == total
    mp3_info: Any = importlib.import_module("mutagen.mp3").MP3(render.mp3).info
    assert round(mp3_info.length * SAMPLE_RATE) == total
    assert render.rendered.length_ms == render.session.timeline.total_ms
    assert render.rendered.size_bytes == render.mp3.stat().st_size


def test_the_decoded_mp3_lines_up_with_the_wav_to_the_sample(render: Render) -> None:
    """No delay anywhere: the decoded MP3 matches the exact PCM best at lag 0, all along."""
    x = render.decoded.astype(np.float64)
    y = render.pcm.astype(np.float64)
    window = SAMPLE_RATE * 30
    for start in range(SAMPLE_RATE, len(y) - window, SAMPLE_RATE * 60):
        piece = x[start : start + window]
        lags = range(-20, 21)
        scores = [float(np.dot(piece, y[start + lag : start + lag + window])) for lag in lags]
        assert lags[int(np.argmax(scores))] == 0, f"misaligned near sample {start}"
    noise = x - y
    snr = 10 * np.log10(np.sum(y**2) / np.sum(noise**2))
    assert snr > 15.0  # measured 21 dB at 48 kbit/s


# --- holds, measured in the decoded audio -------------------------------------------------------


def test_each_hold_spans_its_length_in_the_decoded_audio(render: Render) -> None:
    holds = render.holds()
    assert holds
    measures = [measure_hold(render, hold, render.decoded) for hold in holds]
    errors = [m.error_ms for m in measures]
    bad = [
        (m.hold.start_ms, m.hold.length_ms, round(m.error_ms, 1))
        for m in measures
        if not 0.0 <= m.error_ms <= HOLD_TOLERANCE_MS
    ]
    assert not bad, f"holds off their length (start ms, hold ms, error ms): {bad}"
    # The sound stops a little before the hold starts (a phrase keeps 20 ms of near-silence
    # after its last loud sample) and the chime starts at once: never shorter than the hold.
    assert min(errors) >= 0.0
    assert max(errors) <= HOLD_TOLERANCE_MS


def test_each_relax_runs_from_the_hold_end_to_the_next_hold_in_the_decoded_audio(
    render: Render,
) -> None:
    """From the chime that ends a hold to the start of the next hold is the relax and the
    next rep's move, found in the sound; no relax is shorter than the routine's, and no move."""
    timeline = render.session.timeline
    holds = render.holds()
    relaxes = [clip for clip in timeline.clips if clip.kind == "relax"]
    assert len(relaxes) == len(holds)
    measured = {hold.start_ms: measure_hold(render, hold, render.decoded) for hold in holds}
    plans = {plan.exercise_id: plan for plan in render.session.fitted.options.plan or ()}
    checked = 0
    for hold, relax in zip(holds, relaxes, strict=True):
        assert relax.start_ms == hold.end_ms
        assert relax.exercise_id is not None
        exercise = render.session.routine.exercise(relax.exercise_id)
        planned = plans[exercise.id].relax_ms if plans else exercise.relax_ms
        assert relax.length_ms >= planned
        move = next(
            (c for c in timeline.clips if c.kind == "move" and c.start_ms == relax.end_ms), None
        )
        if move is None:
            continue  # the last relax of an exercise: the next exercise's chime follows
        assert move.length_ms >= exercise.move_ms
        following = next(h for h in holds if h.start_ms == move.end_ms)
        heard = ms(measured[following.start_ms].start - measured[hold.start_ms].end)
        # "Hold."'s sound stops up to its 20 ms trailing margin before the hold starts.
        expected = relax.length_ms + move.length_ms
        assert -HOLD_TOLERANCE_MS <= heard - expected <= 2.0, (relax, move, heard)
        checked += 1
    assert checked >= 5  # every later rep of the 3-minute version; 19 in the full session


def test_hold_edges_in_the_mp3_are_where_they_are_in_the_exact_wav(render: Render) -> None:
    """MP3 coding moves where sound starts and stops by a few milliseconds at most."""
    for hold in render.holds():
        coded = measure_hold(render, hold, render.decoded)
        exact = measure_hold(render, hold, render.pcm)
        assert abs(ms(coded.start - exact.start)) <= 10, hold
        assert abs(ms(coded.end - exact.end)) <= 2, hold


def test_holds_end_exactly_where_the_timeline_says(render: Render) -> None:
    """The clip that ends each hold (the hold-end chime) is found, by its own sound, at the
    hold's end to within a sample; the phrase that starts it ends at the hold's start."""
    timeline = render.session.timeline
    for hold in render.holds():
        (ender,) = [c for c in timeline.audible_clips() if c.start_ms == hold.end_ms]
        found = locate(render.decoded, render.audio(ender), ms_to_samples(hold.end_ms))
        assert abs(found - ms_to_samples(hold.end_ms)) <= 1, hold
        # A still hold starts as "Hold." ends; a counted one as its first count starts.
        if hold.counted:
            (starter,) = [c for c in timeline.audible_clips() if c.start_ms == hold.start_ms]
        else:
            (starter,) = [c for c in timeline.audible_clips() if c.end_ms == hold.start_ms]
        phrase = render.audio(starter)
        at = locate(render.decoded, phrase, ms_to_samples(starter.start_ms))
        assert abs(at - ms_to_samples(starter.start_ms)) <= 1, starter


def test_holds_are_silent_apart_from_their_cue_words(render: Render) -> None:
    for hold in render.holds():
        quiet = np.zeros(len(render.decoded), dtype=bool)
        quiet[ms_to_samples(hold.start_ms + EDGE_MS) : ms_to_samples(hold.end_ms - EDGE_MS)] = True
        for word in render.words_in(hold):
            quiet[ms_to_samples(word.start_ms - EDGE_MS) : ms_to_samples(word.end_ms + EDGE_MS)] = (
                False
            )
        silence = render.decoded[quiet]
        assert silence.size > ms_to_samples(hold.length_ms) // 2
        # Measured: peak at most -54 dBFS, RMS about -92 dBFS.
        assert peak_dbfs(silence) < SILENT_DBFS, hold
        assert rms_dbfs(silence) < -80.0, hold
        # And in the exact WAV it is digital zero.
        assert not np.any(render.pcm[quiet]), hold


def test_cue_words_in_holds_sound_where_the_timeline_puts_them(render: Render) -> None:
    words = [word for hold in render.holds() for word in render.words_in(hold)]
    assert words, "the session has no words inside holds"
    for word in words:
        samples = render.audio(word)
        start = ms_to_samples(word.start_ms)
        assert locate(render.decoded, samples, start) in (start - 1, start, start + 1), word
        heard = render.decoded[start : start + len(samples)]
        assert rms_dbfs(heard) > -30.0, word  # measured -17 dBFS for the quietest
        assert similarity(heard, samples) > 0.9, word
        # Nothing is heard in the 10 ms before a word, unless another clip ends right there.
        touching = any(c.end_ms == word.start_ms for c in render.session.timeline.audible_clips())
        if not touching:
            lead = render.decoded[
                ms_to_samples(word.start_ms - 15) : ms_to_samples(word.start_ms - EDGE_MS)
            ]
            assert peak_dbfs(lead) < SILENT_DBFS, word


# --- the WAV is the timeline, sample for sample --------------------------------------------------


def test_the_wav_is_sample_exact(render: Render) -> None:
    clips = render.session.timeline.audible_clips()
    total = session_samples(render.session.timeline)
    assert len(render.pcm) == total
    expected = np.zeros(total, dtype=np.int32)
    covered = np.zeros(total, dtype=bool)
    for clip in clips:
        samples = render.audio(clip)
        start = ms_to_samples(clip.start_ms)
        assert start + len(samples) <= total
        expected[start : start + len(samples)] += samples
        covered[start : start + len(samples)] = True
    assert np.array_equal(render.pcm, np.clip(expected, -32768, 32767).astype(np.int16))
    assert not np.any(render.pcm[~covered])  # silence everywhere else
    # Audible clips never overlap, so each one is there unchanged, at its own sample.
    for clip in clips:
        samples = render.audio(clip)
        start = ms_to_samples(clip.start_ms)
        assert np.array_equal(render.pcm[start : start + len(samples)], samples), clip
        assert np.any(samples), clip


def test_encode_progress_runs_to_the_total(render: Render) -> None:
    total = session_samples(render.session.timeline)
    done = [d for d, _ in render.progress]
    assert render.progress and all(t == total for _, t in render.progress)
    assert done == sorted(done) and done[-1] == total


# --- chapters and tags ----------------------------------------------------------------------


def test_chapters_read_back_one_per_exercise_plus_the_opening_and_closing(
    render: Render,
) -> None:
    timeline = render.session.timeline
    chapters = read_chapters(render.mp3)
    exercises = list(dict.fromkeys(c.exercise_id for c in timeline.clips if c.exercise_id))
    assert len(chapters) == len(exercises) + 2 == render.rendered.chapters
    assert chapters[0].start_ms == 0
    assert [c.title for c in chapters] == [c.title for c in timeline.chapters]
    assert [(c.start_ms, c.end_ms) for c in chapters] == [
        (c.start_ms, c.end_ms) for c in timeline.chapters
    ]
    assert [c.exercise_id for c in timeline.chapters[1:-1]] == exercises
    assert chapters[-1].title == "Finish"
    assert chapters[-1].end_ms == timeline.total_ms
    if render.session.minutes is None:
        routine = render.session.routine
        assert [c.title for c in chapters[1:-1]] == [e.title for e in routine.exercises]
    # Players that list chapters in the order of their frames see them in time order too.
    from support.id3bytes import chapter_frames

    in_file = chapter_frames(render.mp3)
    assert [(c.title, c.start_ms) for c in in_file] == [(c.title, c.start_ms) for c in chapters]


def test_each_exercise_chapter_starts_with_the_chime_in_the_audio(render: Render) -> None:
    chime = render.sounds.chime("exercise")
    for chapter in read_chapters(render.mp3)[1:-1]:
        start = ms_to_samples(chapter.start_ms)
        heard = render.decoded[start : start + len(chime)]
        assert similarity(heard, chime) > 0.95, chapter
        assert locate(render.decoded, chime, start) == start, chapter
        onset = sound_start(render.decoded, start - ms_to_samples(100), start + len(chime))
        assert abs(ms(onset - start)) <= 2, chapter
    # The opening chapter starts with the title, spoken at once.
    onset = sound_start(render.decoded, 0, ms_to_samples(500))
    assert ms(onset) <= 15


def test_id3_tags_read_back(render: Render) -> None:
    tags: Any = importlib.import_module("mutagen.id3").ID3(render.mp3)
    assert tags.version[:2] == (2, 3)
    title = str(tags["TIT2"])
    assert title == track_title(render.session)
    assert title.startswith(render.session.routine.title)
    assert str(tags["TPE1"]) == ARTIST
    assert str(tags["TALB"]) == render.session.routine.title
    assert str(tags["TRCK"]) == "1"
    if render.session.minutes is not None:
        assert f"{render.session.minutes:g}-minute version" in title
    from coach.time import format_length

    assert title.endswith(f"({format_length(render.session.timeline.total_ms)})")
    with render.mp3.open("rb") as file:
        read = read_session_tags(file)
    assert read is not None
    assert read.mark.version == version_name(render.session)
    assert read.mark.version == (
        "full" if render.session.minutes is None else f"{FITTED_MINUTES:g} minutes"
    )
    assert read.length_ms == render.session.timeline.total_ms


# --- loudness ---------------------------------------------------------------------------------


def test_loudness_is_minus_16_lufs_and_true_peak_under_minus_1_dbtp(render: Render) -> None:
    import pyloudnorm

    from support.meters import TruePeakMeter

    audio = render.decoded.astype(np.float64) / 32768.0
    loudness = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(audio)
    assert -17.0 <= loudness <= -15.0, loudness  # measured -16.1 (eSpeak), -16.7 LUFS (joe)
    meter = TruePeakMeter(SAMPLE_RATE)
    meter.add(render.decoded)
    assert meter.dbtp() <= -1.0, meter.dbtp()  # measured -1.2 to -2.2 dBTP


def test_true_peak_by_plain_oversampling(fitted: Render) -> None:
    """An independent true-peak check (scipy's 4x polyphase resampler) on the fitted MP3."""
    from scipy.signal import resample_poly

    oversampled = resample_poly(fitted.decoded.astype(np.float64) / 32768.0, 4, 1)
    assert 20 * np.log10(np.abs(oversampled).max()) <= -1.0


# --- same input, same bytes -------------------------------------------------------------------


def test_a_second_render_is_byte_identical_and_synthesizes_nothing(
    cold: Cold, full: Render, fitted: Render, tmp_path: Path
) -> None:
    warm = open_sounds(cold.voice, None)
    for first, minutes in ((full, None), (fitted, FITTED_MINUTES)):
        session = prepare_session(
            SessionRequest(minutes=minutes), progress=None, sounds=warm
        ).session
        again = tmp_path / first.mp3.name
        render_session(session, warm, check_writable(again))
        assert again.read_bytes() == first.mp3.read_bytes()
    wav = tmp_path / fitted.wav.name
    render_session(session, warm, check_writable(wav))
    assert wav.read_bytes() == fitted.wav.read_bytes()
    assert warm.phrases.synthesized == 0


# --- interrupted and failed writes -------------------------------------------------------------

EARLIER = b"an earlier render that must survive\n"


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def raise_after_chunks(
    monkeypatch: pytest.MonkeyPatch, folder: Path, error: BaseException, chunks: int = 3
) -> list[int]:
    """Make the render's chunk source raise `error` after `chunks` chunks; returns a list
    that gets the size of the temporary file at the moment of the error."""
    import coach.sound.assembly

    real = coach.sound.assembly.assemble_chunks
    seen: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> Iterator[Samples]:
        for index, chunk in enumerate(real(*args, **kwargs)):
            if index == chunks:
                (temp,) = [folder / name for name in temp_files(folder)]
                seen.append(temp.stat().st_size)
                raise error
            yield chunk

    monkeypatch.setattr("coach.render.writing.assemble_chunks", failing)
    return seen


@pytest.mark.parametrize("suffix", [".mp3", ".wav"])
@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("earlier", [True, False], ids=["earlier-file", "no-file"])
def test_an_interrupted_render_leaves_the_earlier_file_and_no_temporary(
    fitted: Render,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
    error: BaseException,
    *,
    earlier: bool,
) -> None:
    out = tmp_path / f"session{suffix}"
    if earlier:
        out.write_bytes(EARLIER)
    seen = raise_after_chunks(monkeypatch, tmp_path, error)
    with pytest.raises(type(error)):
        render_session(fitted.session, fitted.sounds, check_writable(out))
    assert seen and seen[0] > 0  # the error came mid-write, with data in a temporary file
    assert temp_files(tmp_path) == []
    if earlier:
        assert out.read_bytes() == EARLIER
        assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
    else:
        assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error", [RuntimeError("encoder broke"), KeyboardInterrupt()])
def test_an_encoder_failure_part_way_leaves_the_earlier_file(
    fitted: Render, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    from coach.render.mp3 import Mp3Encoder

    real = Mp3Encoder.encode
    calls: list[int] = []

    def encode(self: Mp3Encoder, chunk: Samples) -> bytes:
        calls.append(len(chunk))
        if len(calls) == 4:
            raise error
        return real(self, chunk)

    monkeypatch.setattr(Mp3Encoder, "encode", encode)
    out = tmp_path / "session.mp3"
    out.write_bytes(EARLIER)
    with pytest.raises(type(error)):
        render_session(fitted.session, fitted.sounds, check_writable(out))
    assert out.read_bytes() == EARLIER
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_a_failure_while_tagging_leaves_the_earlier_file(
    fitted: Render, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import coach.render.tags

    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(coach.render.tags, "write_tags", broken)
    out = tmp_path / "session.mp3"
    out.write_bytes(EARLIER)
    with pytest.raises(KeyboardInterrupt):
        render_session(fitted.session, fitted.sounds, check_writable(out))
    assert out.read_bytes() == EARLIER
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_a_full_disk_is_a_clear_error_and_the_earlier_file_stays(
    fitted: Render, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_disk_after(monkeypatch, 100_000)
    out = tmp_path / "session.mp3"
    out.write_bytes(EARLIER)
    with pytest.raises(CoachError) as caught:
        render_session(fitted.session, fitted.sounds, check_writable(out))
    message = str(caught.value)
    assert str(out) in message
    assert "full" in message and "earlier file" in message
    assert "\n" not in message
    assert out.read_bytes() == EARLIER
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
