"""The phrase cache: keys, round trips, damaged entries, atomic writes, unwritable folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import platformdirs
import pytest

from coach.pcm import Samples
from coach.speech.cache import PhraseCache, default_cache_dir, phrase_key
from coach.time import SAMPLE_RATE
from support.wavs import wav_bytes


def _tone(ms: int = 300) -> Samples:
    t = np.arange(SAMPLE_RATE * ms // 1000) / SAMPLE_RATE
    return np.round(8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


BASE = ("espeak", "v1", "gmw/en-us", 155, "Stop if anything hurts.")


def test_key_is_stable_hex_sha256() -> None:
    key = phrase_key(*BASE)
    assert key == phrase_key(*BASE)
    assert len(key) == 64
    int(key, 16)


@pytest.mark.parametrize(
    "changed",
    [
        ("pyttsx3", "v1", "gmw/en-us", 155, "Stop if anything hurts."),
        ("espeak", "v2", "gmw/en-us", 155, "Stop if anything hurts."),
        ("espeak", "v1", "gmw/en", 155, "Stop if anything hurts."),
        ("espeak", "v1", "gmw/en-us", 156, "Stop if anything hurts."),
        ("espeak", "v1", "gmw/en-us", 155, "Stop if anything hurts!"),
    ],
)
def test_key_changes_with_every_field(changed: tuple[str, str, str, int, str]) -> None:
    assert phrase_key(*changed) != phrase_key(*BASE)


def test_key_fields_do_not_run_together() -> None:
    assert phrase_key("a", "b c", "v", 1, "t") != phrase_key("a b", "c", "v", 1, "t")


def test_round_trip_and_missing(tmp_path: Path) -> None:
    cache = PhraseCache(tmp_path / "phrases")
    assert cache.get("0" * 64) is None  # folder does not even exist yet
    samples = _tone()
    cache.put("a" * 64, samples)
    got = cache.get("a" * 64)
    assert got is not None
    np.testing.assert_array_equal(got, samples)
    # One file per key, and no temp file left behind by the atomic write.
    assert [p.name for p in (tmp_path / "phrases").iterdir()] == [f"{'a' * 64}.wav"]


def test_empty_entry_counts_as_damaged(tmp_path: Path) -> None:
    # No phrase is silent: an empty entry could only come from a failed synthesis, and
    # would time its phrase at 0 ms, so it is dropped and made again.
    cache = PhraseCache(tmp_path)
    cache.put("e" * 64, np.zeros(0, dtype=np.int16))
    assert cache.get("e" * 64) is None
    assert not cache.path("e" * 64).exists()


def test_put_replaces_an_entry(tmp_path: Path) -> None:
    cache = PhraseCache(tmp_path)
    cache.put("k" * 64, _tone(100))
    cache.put("k" * 64, _tone(200))
    got = cache.get("k" * 64)
    assert got is not None
    assert len(got) == len(_tone(200))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw: b"not a wav file at all", id="garbage"),
        pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
        pytest.param(lambda raw: raw[:20], id="header-cut"),
        pytest.param(lambda raw: b"", id="empty"),
        pytest.param(lambda raw: wav_bytes(np.zeros(10, dtype=np.int16), 16_000), id="wrong-rate"),
    ],
)
def test_damaged_entry_is_deleted_and_missing(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    cache = PhraseCache(tmp_path)
    key = "d" * 64
    cache.put(key, _tone())
    path = cache.path(key)
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get(key) is None
    assert not path.exists()


def test_unwritable_folder_warns_once_and_carries_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A folder "inside" a regular file can never be created, even when tests run as root.
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    cache = PhraseCache(blocker / "phrases")
    cache.put("a" * 64, _tone())
    cache.put("b" * 64, _tone())
    assert cache.get("a" * 64) is None
    err = capsys.readouterr().err
    assert err.count("warning") == 1
    assert "COACH_CACHE_DIR" in err


def test_default_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path / "phrases"
    assert PhraseCache.default().directory == tmp_path / "phrases"
    monkeypatch.delenv("COACH_CACHE_DIR")
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("coach")) / "phrases"
