"""The phrase cache under faults: damaged entries of every kind, other cache histories, and
several renders sharing one empty cache at once. Each must give the bytes a render from an
empty cache gives, and a damaged entry must be made again, never played.

The renders use eSpeak (fast) and the example routine or the five-minute version of the
built-in one; each test has cache folders of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from coach.files import check_writable
from coach.pcm import read_wav
from coach.preparation import SessionRequest, prepare_session
from coach.render import render_session
from coach.sound.session_sounds import open_sounds
from coach.speech.cache import CACHE_DIR_ENV, PhraseCache, entry_bytes, read_entry
from coach.speech.voices import DEFAULT_VOICE
from coach.time import SAMPLE_RATE
from support.paths import EXAMPLE, ROOT

Damage = Callable[[Path], None]


def _garble_samples(path: Path) -> None:
    """Flip bytes in the middle of the samples, leaving the header intact: rot on a disk."""
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 400] = bytes(b ^ 0x5A for b in raw[middle : middle + 400])
    path.write_bytes(bytes(raw))


def _garble_header(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[20:36] = b"\xff" * 16  # the fmt chunk: format, channels, rate, widths
    path.write_bytes(bytes(raw))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) * 2 // 3])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "stray.txt").write_text("not a phrase")


def _fifo(path: Path) -> None:
    """A named pipe with nothing writing to it: reading it would wait for ever."""
    path.unlink()
    os.mkfifo(path)


def _link_to_dev_zero(path: Path) -> None:
    """A link to a device that never ends."""
    path.unlink()
    path.symlink_to("/dev/zero")


def _link_to_a_good_entry(path: Path) -> None:
    """A link to an intact entry elsewhere: still not a file of the cache's own."""
    outside = path.parent.parent / f"outside-{path.name}"
    path.rename(outside)
    path.symlink_to(outside)


def _wrong_checksum(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))


DAMAGE: dict[str, Damage] = {
    "garbled-samples": _garble_samples,
    "garbled-header": _garble_header,
    "truncated": _truncate,
    "empty": _empty,
    "folder": _folder,
    "wrong-checksum": _wrong_checksum,
    "fifo": _fifo,
    "link-to-dev-zero": _link_to_dev_zero,
    "link-to-a-good-entry": _link_to_a_good_entry,
}


class HungError(Exception):
    """Not an OSError, which the cache would take for an unreadable entry."""


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Each test here fails after 60 s instead of hanging (a pipe read without a writer
    waits for ever; SIGALRM interrupts it)."""

    def hung(_signum: int, _frame: object) -> None:
        raise HungError("the cache hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _tone() -> np.ndarray:
    t = np.arange(SAMPLE_RATE // 4) / SAMPLE_RATE
    return np.round(9000 * np.sin(2 * np.pi * 330 * t)).astype(np.int16)


# --- one entry ---------------------------------------------------------------------------------


def test_an_entry_is_a_playable_wav_with_a_checksum() -> None:
    samples = _tone()
    raw = entry_bytes(samples)
    read, rate = read_wav(raw)  # any WAV reader skips the checksum chunk
    assert rate == SAMPLE_RATE
    assert np.array_equal(read, samples)
    assert b"csum" in raw[-40:]
    back = read_entry(raw)
    assert back is not None and np.array_equal(back, samples)


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_entry_is_deleted_reported_once_and_made_again(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = PhraseCache(tmp_path)
    for key in ("a" * 64, "b" * 64):
        cache.put(key, _tone())
        DAMAGE[kind](cache.path(key))
    assert cache.get("a" * 64) is None
    assert cache.get("b" * 64) is None
    assert not os.path.lexists(cache.path("a" * 64)) and not os.path.lexists(cache.path("b" * 64))
    assert cache.repaired == 2
    err = capsys.readouterr().err
    assert err.count("warning") == 1 and "damaged" in err and str(tmp_path) in err
    cache.put("a" * 64, _tone())  # a folder in the way is gone, so the entry goes back
    again = cache.get("a" * 64)
    assert again is not None and np.array_equal(again, _tone())


def test_garbled_samples_with_an_intact_header_are_caught() -> None:
    # The damage the checksum is for: a WAV reader reads these bytes without complaint.
    raw = bytearray(entry_bytes(_tone()))
    raw[2000] ^= 0x40
    read, _ = read_wav(bytes(raw))
    assert len(read) == len(_tone())
    assert read_entry(bytes(raw)) is None


# --- renders -----------------------------------------------------------------------------------


EXAMPLE_SESSION = SessionRequest(routine=str(EXAMPLE))


def _render(
    cache: Path, out: Path, monkeypatch: pytest.MonkeyPatch, request: SessionRequest
) -> bytes:
    """Render in this process with `cache` as the phrase cache; the file's bytes."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(cache))
    sounds = open_sounds(DEFAULT_VOICE, None)
    session = prepare_session(request, progress=None, sounds=sounds).session
    sounds.master_all(session.timeline, None)
    render_session(session, sounds, check_writable(out))
    return out.read_bytes()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """The example routine rendered to WAV from an empty cache: the cache it left, and the
    file's bytes. Each test below renders again over a copy of that cache, damaged."""
    folder = tmp_path_factory.mktemp("clean")
    with pytest.MonkeyPatch.context() as patch:
        wav = _render(folder / "cache", folder / "clean.wav", patch, EXAMPLE_SESSION)
    return folder / "cache", wav


def _copy(cache: Path, to: Path) -> Path:
    shutil.copytree(cache, to, symlinks=True)
    return to


@pytest.mark.tts
@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_render_over_damaged_entries_is_the_render_from_an_empty_cache(
    kind: str,
    clean: tuple[Path, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    cache = _copy(clean[0], tmp_path / "cache")
    entries = sorted((cache / "phrases").glob("*.wav"))
    assert entries
    for entry in entries:  # plain and mastered clips alike
        DAMAGE[kind](entry)
    capfd.readouterr()
    repaired = _render(cache, tmp_path / "repaired.wav", monkeypatch, EXAMPLE_SESSION)
    assert repaired == clean[1]
    assert capfd.readouterr().err.count("coach: warning: a damaged entry") == 1
    # ... and the cache is whole again: every entry reads back.
    for entry in entries:
        assert entry.is_file() and read_entry(entry.read_bytes()) is not None, entry.name


@pytest.mark.tts
def test_rotten_samples_never_reach_the_output(
    clean: tuple[Path, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before entries were checked, one rotten entry put 0 dBFS noise into the render."""
    cache = _copy(clean[0], tmp_path / "cache")
    for entry in (cache / "phrases").glob("*.wav"):
        _garble_samples(entry)
    again, _ = read_wav(_render(cache, tmp_path / "again.wav", monkeypatch, EXAMPLE_SESSION))
    reference, _ = read_wav(clean[1])
    assert np.array_equal(again, reference)
    assert int(np.abs(again.astype(np.int32)).max()) < 32000  # mastered to -1 dBTP, no bursts


@pytest.mark.tts
@pytest.mark.slow
def test_two_cache_histories_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    five = SessionRequest(minutes=5.0)
    fresh = _render(tmp_path / "fresh", tmp_path / "fresh.mp3", monkeypatch, five)
    # Another history: the cache first filled by another routine and the brief version,
    # then half its entries lost (and so made again, after other phrases).
    used = tmp_path / "used"
    _render(used, tmp_path / "other.mp3", monkeypatch, EXAMPLE_SESSION)
    _render(used, tmp_path / "brief.mp3", monkeypatch, SessionRequest(brief=True))
    _render(used, tmp_path / "first.mp3", monkeypatch, five)
    for entry in sorted((used / "phrases").glob("*.wav"))[::2]:
        entry.unlink()
    again = _render(used, tmp_path / "again.mp3", monkeypatch, five)
    assert again == fresh


RENDER = (
    "import sys; from coach.cli import main; "
    "sys.argv = ['coach', 'render', '-q', '--voice', sys.argv[1], '-m', '5', '-o', sys.argv[2]]; "
    "main()"
)


def _start_render(cache: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, CACHE_DIR_ENV: str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", RENDER, DEFAULT_VOICE, str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.tts
@pytest.mark.slow
def test_renders_sharing_an_empty_cache_at_once_match_a_render_alone(tmp_path: Path) -> None:
    alone = _start_render(tmp_path / "alone", tmp_path / "alone.mp3")
    assert alone.wait(120) == 0, alone.stderr.read() if alone.stderr else ""
    expected = (tmp_path / "alone.mp3").read_bytes()
    shared = tmp_path / "shared"
    for attempt in range(2):
        outs = [tmp_path / f"together-{attempt}-{index}.mp3" for index in range(3)]
        runs = [_start_render(shared, out) for out in outs]
        for run in runs:
            assert run.wait(120) == 0, run.stderr.read() if run.stderr else ""
        for out in outs:
            assert out.read_bytes() == expected, out.name
        for entry in (shared / "phrases").glob("*.wav"):  # next round starts empty again
            if attempt == 0:
                entry.unlink()
    # The cache they filled together gives the same output from then on.
    after = _start_render(shared, tmp_path / "after.mp3")
    assert after.wait(120) == 0
    assert (tmp_path / "after.mp3").read_bytes() == expected
    assert not [p.name for p in (shared / "phrases").iterdir() if p.suffix != ".wav"]


def test_the_checksum_covers_exactly_the_samples() -> None:
    raw = entry_bytes(_tone())
    (size,) = struct.unpack_from("<I", raw, 40)
    assert size == 2 * len(_tone())
    assert len(raw) == 44 + size + 8 + 32


# --- what the cache reads and clears: its own files only ---------------------------------------


@pytest.mark.parametrize(
    "damage", ["nested 200,000 deep", "link to /dev/zero", "FIFO", "not an object", "folder"]
)
def test_a_damaged_digests_file_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """The digests of voice files beside the cache are read by every natural-voice command:
    whatever is there, the digest comes out right and the file is whole again."""
    from coach.speech.cache import DIGESTS_FILE
    from coach.speech.piper import file_digest

    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    memo = tmp_path / "cache" / DIGESTS_FILE
    memo.parent.mkdir()
    if damage == "nested 200,000 deep":
        memo.write_text("[" * 200_000 + "]" * 200_000)
    elif damage == "link to /dev/zero":
        memo.symlink_to("/dev/zero")
    elif damage == "FIFO":
        os.mkfifo(memo)
    elif damage == "not an object":
        memo.write_text("[1, 2, 3]")
    else:
        memo.mkdir()
    voice = tmp_path / "voice.onnx"
    voice.write_bytes(b"a model")
    assert file_digest(voice) == hashlib.sha256(b"a model").hexdigest()
    if damage != "folder":
        assert str(voice.resolve()) in json.loads(memo.read_text(encoding="utf-8"))


def test_clearing_removes_only_the_caches_own_entries(tmp_path: Path) -> None:
    """A cache folder shared with the user's own WAV files (COACH_CACHE_DIR pointed at
    them): `coach cache clear` removes the entries, damaged ones included, and the
    digests file, and nothing else; links are removed, never followed, and count no bytes."""
    from coach.speech.cache import DIGESTS_FILE
    from support.cli import run

    root = tmp_path / "music"
    phrases = root / "phrases"
    phrases.mkdir(parents=True)
    cache = PhraseCache(phrases)
    cache.put("a" * 64, _tone())
    cache.put("b" * 64, _tone())
    entry_size = cache.path("a" * 64).stat().st_size
    mine = {"song.wav": b"the user's song", "take 2.wav": b"a take", "notes.txt": b"notes"}
    for name, data in mine.items():
        (phrases / name).write_bytes(data)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 1_000_000)
    (phrases / ("c" * 64 + ".wav")).symlink_to(big)
    (phrases / "linked.wav").symlink_to(big)  # the user's link: not a name of the cache's
    os.mkfifo(phrases / ("d" * 64 + ".wav"))
    (root / DIGESTS_FILE).write_text("{}")
    result = run("cache", "clear", env={CACHE_DIR_ENV: str(root)})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Emptied the phrase cache in {phrases}: 4 phrases, ")
    freed = 2 * entry_size + 2
    assert f" {freed / 1000:.0f} kB freed" in result.stdout
    assert {path.name: path.read_bytes() for path in phrases.iterdir() if path.is_file()} == {
        **mine,
        "linked.wav": big.read_bytes(),
    }
    assert big.read_bytes() == b"x" * 1_000_000
    assert not (root / DIGESTS_FILE).exists()
    usage = run("cache", env={CACHE_DIR_ENV: str(root)})
    assert "0 phrases, 0 kB." in usage.stdout
