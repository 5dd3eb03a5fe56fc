"""`coach render --split` and `--pack`: tracks for a car's buttons, and a set of lengths.

Measured in the files: names and order, tags, the playlist, and the decoded samples (each
track exactly its chapter, the tracks joined exactly as long as the single render and
sounding like it).
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import miniaudio
import numpy as np
import pytest
from click.testing import Result

from coach.fileset import MANIFEST
from coach.time import SAMPLE_RATE, format_length, ms_to_samples
from support.cli import run, show_json
from support.paths import EXAMPLE

id3: Any = pytest.importorskip("mutagen.id3")

TITLES = ["Before you start", "Neck release", "Overhead stretch", "Shoulder rolls"]
TITLES += ["Upper-body tense and release", "Side bends", "Finish"]


def decode(path: Path) -> np.ndarray:
    decoded = miniaudio.decode_file(
        str(path),
        output_format=miniaudio.SampleFormat.SIGNED16,
        nchannels=1,
        sample_rate=SAMPLE_RATE,
    )
    return np.frombuffer(decoded.samples, dtype=np.int16)


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    folder = tmp_path_factory.mktemp("split") / "car"
    return folder, run("render", "--split", str(folder))


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("single") / "whole.wav"
    result = run("render", "-q", "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.tts
def test_split_writes_one_track_per_part_named_to_sort_in_order(
    split: tuple[Path, Result],
) -> None:
    folder, result = split
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in folder.iterdir())
    expected = [f"{n:02d} {title}.mp3" for n, title in enumerate(TITLES, start=1)]
    assert names == sorted([*expected, "Rest-stop stretch.m3u8", MANIFEST])
    assert result.stdout.startswith(
        f"Wrote 7 tracks and the playlist Rest-stop stretch.m3u8 in {folder}"
    )


@pytest.mark.tts
def test_split_tracks_are_tagged_with_numbers_album_and_title(split: tuple[Path, Result]) -> None:
    folder, _ = split
    for number, title in enumerate(TITLES, start=1):
        tags = id3.ID3(str(folder / f"{number:02d} {title}.mp3"))
        assert str(tags["TIT2"]) == title
        assert str(tags["TRCK"]) == f"{number}/{len(TITLES)}"
        assert str(tags["TALB"]) == "Rest-stop stretch"
        assert str(tags["TPE1"]) == "coach"
        assert tags.version[:2] == (2, 3)


@pytest.mark.tts
def test_the_playlist_lists_the_tracks_in_order_with_their_lengths(
    split: tuple[Path, Result],
) -> None:
    folder, _ = split
    lines = (folder / "Rest-stop stretch.m3u8").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["#EXTM3U", "#PLAYLIST:Rest-stop stretch", "#EXTART:coach"]
    chapters = show_json()["chapters"]
    entries = list(zip(lines[3::2], lines[4::2], strict=True))
    assert [name for _, name in entries] == [
        f"{n:02d} {title}.mp3" for n, title in enumerate(TITLES, start=1)
    ]
    for (info, _), chapter in zip(entries, chapters, strict=True):
        seconds = -(-(chapter["end_ms"] - chapter["start_ms"]) // 1000)
        assert info == f"#EXTINF:{seconds},{chapter['title']}"


@pytest.mark.tts
def test_split_tracks_decoded_and_joined_are_the_single_render(
    split: tuple[Path, Result], single: Path
) -> None:
    folder, _ = split
    with wave.open(str(single), "rb") as file:
        whole = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2").astype(np.int16)
    chapters = show_json()["chapters"]
    parts = []
    for number, chapter in enumerate(chapters, start=1):
        decoded = decode(folder / f"{number:02d} {chapter['title']}.mp3")
        start = ms_to_samples(chapter["start_ms"])
        end = len(whole) if number == len(chapters) else ms_to_samples(chapter["end_ms"])
        # Gapless: the info frame's delay and padding give back exactly the part's samples.
        assert len(decoded) == end - start, chapter["title"]
        parts.append(decoded)
    joined = np.concatenate(parts)
    assert len(joined) == len(whole)
    x, y = joined.astype(np.float64), whole.astype(np.float64)
    snr = 10 * np.log10(np.sum(y**2) / np.sum((x - y) ** 2))
    assert snr > 15.0  # as for the single MP3: 48 kbit/s speech


@pytest.mark.tts
def test_splitting_again_leaves_only_the_new_tracks(tmp_path: Path) -> None:
    folder = tmp_path / "car"
    first = run("render", "-q", "--split", str(folder), str(EXAMPLE))
    assert first.exit_code == 0, first.output
    keep = folder / "my notes.txt"
    keep.write_text("not ours")
    (folder / "song.mp3").write_bytes(b"a song of the user's")
    (folder / "mine.m3u8").write_text("#EXTM3U\nsong.mp3\n")
    tracks = sorted(p.name for p in folder.glob("[0-9]*.mp3"))
    assert tracks == [
        "01 Before you start.mp3",
        "02 Neck tilt.mp3",
        "03 Shoulder rolls.mp3",
        "04 Finish.mp3",
    ]
    # A version without the shoulder rolls has a track fewer: the old fourth one goes.
    second = run("render", "-q", "--split", str(folder), str(EXAMPLE), "--minutes", "1.2")
    assert second.exit_code == 0, second.output
    assert "left out" in show_json(str(EXAMPLE), "--minutes", "1.2")["changes"][-1]
    playlist = folder / "Quick neck and shoulders, 1.2-minute version.m3u8"
    listed = [line for line in playlist.read_text().splitlines() if not line.startswith("#")]
    assert listed == ["01 Before you start.mp3", "02 Neck tilt.mp3", "03 Finish.mp3"]
    # The earlier split's tracks and playlist are gone: a car plays only this version.
    assert sorted(p.name for p in folder.glob("[0-9]*.mp3")) == listed
    assert sorted(p.name for p in folder.glob("*.m3u8")) == sorted(["mine.m3u8", playlist.name])
    assert (folder / "song.mp3").read_bytes() == b"a song of the user's"
    assert keep.read_text() == "not ours"
    assert not list(folder.glob(".*.tmp"))


@pytest.mark.tts
def test_a_pack_has_each_length_and_the_full_session(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    result = run("render", "--pack", str(folder), "--minutes", "5,3")
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in folder.iterdir())
    assert names == [
        MANIFEST,
        "Rest-stop stretch 03 min.mp3",
        "Rest-stop stretch 05 min.mp3",
        "Rest-stop stretch full.mp3",
    ]
    full_ms = show_json()["total_ms"]
    for name, limit in (("03 min", 180_000), ("05 min", 300_000), ("full", full_ms)):
        decoded = decode(folder / f"Rest-stop stretch {name}.mp3")
        length_ms = len(decoded) * 1000 / SAMPLE_RATE
        assert limit - 15_000 <= length_ms <= limit + 1, name
        tags = id3.ID3(str(folder / f"Rest-stop stretch {name}.mp3"))
        assert len(tags.getall("CHAP")) >= 3
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and "fitted to 3 minutes" in lines[0] and "full session" in lines[2]


@pytest.mark.tts
def test_a_pack_length_longer_than_the_full_session_is_the_full_one(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    result = run("render", "-q", "--pack", str(folder), "--minutes", "4,500")
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in folder.iterdir()) == [
        MANIFEST,
        "Rest-stop stretch 04 min.mp3",
        "Rest-stop stretch full.mp3",
    ]


@pytest.mark.tts
def test_a_pack_length_under_the_shortest_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    result = run("render", "--pack", str(folder), "--minutes", "5,0.5")
    assert result.exit_code == 2
    assert result.stderr.startswith("coach: The shortest version of 'Rest-stop stretch' is")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["-o", "x.mp3", "--split", "car"], "Give one of -o and --split"),
        (["--split", "car", "--pack", "pack"], "Give one of --split and --pack"),
        (["--minutes", "3,5"], "add --pack FOLDER"),
        (["--pack", "p", "--minutes", "3,abc"], "--minutes takes a number of minutes above 0"),
        (["--split", ""], "--split needs a folder's name; for this folder, give ."),
        (["--pack", " "], "--pack needs a folder's name"),
        (["-o", ""], "--output needs a file's name"),
    ],
)
def test_conflicting_outputs_are_usage_errors(
    tmp_path: Path, arguments: list[str], words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("render", *arguments)
    assert result.exit_code == 2
    assert words in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_place_of_the_folder_is_a_clean_error(tmp_path: Path) -> None:
    afile = tmp_path / "car"
    afile.write_text("a file")
    for option in ("--split", "--pack"):
        result = run("render", option, str(afile))
        assert result.exit_code == 2
        assert result.stderr.startswith(f"coach: Cannot write into {afile}: it is a file")
    assert afile.read_text() == "a file"


@pytest.mark.tts
def test_packs_sort_by_length_and_brief_packs_are_named_apart(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    result = run("render", "--pack", str(folder), "--minutes", "5.5,3,10")
    assert result.exit_code == 0, result.output
    first = {path.name: path.read_bytes() for path in folder.glob("*.mp3")}
    assert sorted(first) == [
        "Rest-stop stretch 03 min.mp3",
        "Rest-stop stretch 05.5 min.mp3",
        "Rest-stop stretch full.mp3",
    ]
    full = format_length(show_json()["total_ms"])
    note = result.stdout.splitlines()[-1]
    assert note == (
        f"10 minutes is not shorter than the full session ({full}): "
        "that length is Rest-stop stretch full.mp3."
    )
    brief = run("render", "-q", "--pack", str(folder), "--minutes", "3", "--brief")
    assert brief.exit_code == 0, brief.output
    names = sorted(path.name for path in folder.glob("*.mp3"))
    assert names == sorted(
        [*first, "Rest-stop stretch brief 03 min.mp3", "Rest-stop stretch brief full.mp3"]
    )
    assert {name: (folder / name).read_bytes() for name in first} == first


@pytest.mark.tts
def test_titles_too_long_for_a_file_name_are_shortened_and_check_says_so(tmp_path: Path) -> None:
    """An exercise title of 80 CJK characters (240 bytes) and one of mostly emoji (302
    bytes), and a routine called CON: coach check warns, and the split writes every track."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('title = "Neck tilt"', 'title = "' + "\u6c34" * 80 + '"')
    text = text.replace('title = "Shoulder rolls"', 'title = "Rolls ' + "\U0001f646" * 74 + '"')
    text = text.replace('title = "Quick neck and shoulders"', 'title = "CON"')
    routine = tmp_path / "long-titles.toml"
    routine.write_text(text, encoding="utf-8")
    checked = run("check", str(routine))
    assert checked.exit_code == 0, checked.output
    warning = checked.stdout.split("Warning: too long for a file name", 1)[1]
    assert "'02 " + "\u6c34" * 10 in warning and "'03 Rolls " + "\U0001f646" * 10 in warning
    folder = tmp_path / "car"
    split = run("render", "-q", "--split", str(folder), str(routine))
    assert split.exit_code == 0, split.output
    names = sorted(path.name for path in folder.iterdir() if path.name != MANIFEST)
    assert len(names) == 5 and "CON_.m3u8" in names
    assert all(len(name.encode()) <= 241 for name in names)
