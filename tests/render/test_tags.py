"""ID3 tags and chapters: exact round trip and byte-for-byte repeatability."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import miniaudio
import numpy as np
import pytest

from coach.render.mp3 import Mp3Encoder
from coach.render.tags import (
    SESSION_TAG,
    TAG_PADDING_BYTES,
    VERSION_TAG,
    Chapter,
    SessionMark,
    read_session_tags,
    write_tags,
)
from coach.time import SAMPLE_RATE
from support.chapters import read_chapters

id3: Any = importlib.import_module("mutagen.id3")  # mutagen's own hints are partial
CHAPTERS = [
    Chapter("Safety first", 0, 7_413),
    Chapter("Neck tilt", 7_413, 65_001),
    Chapter("Shoulder rolls — slow", 65_001, 123_457),  # not Latin-1: UTF-16 in ID3v2.3
    Chapter("Chin tuck", 130_000, 180_000),  # a gap before it is allowed
]
SAMPLES = np.round(
    3000 * np.sin(2 * np.pi * 440 * np.arange(2 * SAMPLE_RATE) / SAMPLE_RATE)
).astype(np.int16)


def mp3_file(path: Path) -> Path:
    encoder = Mp3Encoder()
    body = encoder.encode(SAMPLES) + encoder.flush()
    path.write_bytes(encoder.header() + body)
    return path


def tag(path: Path, chapters: list[Chapter] = CHAPTERS, title: str = "Rest stop") -> None:
    write_tags(
        path, title=title, artist="coach", album="Driver stretches", track=3, chapters=chapters
    )


def test_chapters_read_back_exactly(tmp_path: Path) -> None:
    path = mp3_file(tmp_path / "a.mp3")
    tag(path)
    assert read_chapters(path) == CHAPTERS


def test_text_frames_and_version(tmp_path: Path) -> None:
    path = mp3_file(tmp_path / "a.mp3")
    tag(path, title="Pause — Nacken")
    tags = id3.ID3(path)
    assert tags.version == (2, 3, 0)
    assert tags["TIT2"].text == ["Pause — Nacken"]
    assert tags["TPE1"].text == ["coach"]
    assert tags["TALB"].text == ["Driver stretches"]
    assert tags["TRCK"].text == ["3"]
    toc = tags.getall("CTOC")
    assert len(toc) == 1
    assert toc[0].child_element_ids == ["ch0", "ch1", "ch2", "ch3"]
    assert sorted(tags.keys()) == sorted(
        ["TIT2", "TPE1", "TALB", "TRCK", "CTOC:toc"] + [f"CHAP:ch{i}" for i in range(4)]
    )


def test_same_input_gives_the_same_bytes_even_over_an_old_tag(tmp_path: Path) -> None:
    fresh = mp3_file(tmp_path / "fresh.mp3")
    tag(fresh)
    again = mp3_file(tmp_path / "again.mp3")
    tag(again)
    assert fresh.read_bytes() == again.read_bytes()

    # A file that already carries a bigger tag, with a date and an encoder name in it,
    # comes out the same as a fresh one.
    old = mp3_file(tmp_path / "old.mp3")
    junk = id3.ID3()
    junk.add(id3.TIT2(encoding=3, text=["x" * 5000]))
    junk.add(id3.TDRC(encoding=3, text=["2024-05-01"]))
    junk.add(id3.TSSE(encoding=3, text=["Lavf"]))
    junk.save(old, padding=lambda info: 4321)
    tag(old)
    assert old.read_bytes() == fresh.read_bytes()


def test_padding_is_fixed_and_audio_is_untouched(tmp_path: Path) -> None:
    path = mp3_file(tmp_path / "a.mp3")
    audio = path.read_bytes()
    tag(path)
    data = path.read_bytes()
    assert data.endswith(audio)  # ID3v2 in front, MP3 stream unchanged
    tag_size = len(data) - len(audio)
    assert data[tag_size - TAG_PADDING_BYTES : tag_size] == bytes(TAG_PADDING_BYTES)
    decoded = miniaudio.decode(
        data, output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1, sample_rate=SAMPLE_RATE
    )
    assert len(decoded.samples) == SAMPLES.size


def test_retagging_replaces_chapters(tmp_path: Path) -> None:
    path = mp3_file(tmp_path / "a.mp3")
    tag(path)
    tag(path, chapters=CHAPTERS[:1])
    assert read_chapters(path) == CHAPTERS[:1]
    tag(path, chapters=[])
    assert read_chapters(path) == []
    assert id3.ID3(path).getall("CTOC") == []


def test_untagged_file_has_no_chapters(tmp_path: Path) -> None:
    assert read_chapters(mp3_file(tmp_path / "a.mp3")) == []


@pytest.mark.parametrize(
    "chapters",
    [
        [Chapter("a", 100, 100)],
        [Chapter("a", -1, 100)],
        [Chapter("a", 0, 500), Chapter("b", 400, 900)],
    ],
)
def test_bad_chapters_are_refused(tmp_path: Path, chapters: list[Chapter]) -> None:
    path = mp3_file(tmp_path / "a.mp3")
    before = path.read_bytes()
    with pytest.raises(ValueError, match="chapter"):
        tag(path, chapters=chapters)
    assert path.read_bytes() == before


# --- the order other players see ---------------------------------------------------------------

SCRAMBLED_BY_SIZE = [
    Chapter("Before you start", 0, 20_000),
    Chapter("Neck release", 20_000, 80_000),
    Chapter("Upper-body tense and release", 80_000, 140_000),
    Chapter("Side bends", 140_000, 200_000),
    Chapter("Well done", 200_000, 210_000),
]
"""Titles of different lengths: frames sorted by their size would come out of time order."""


def test_chapter_frames_sit_in_the_file_in_time_order(tmp_path: Path) -> None:
    from support.id3bytes import chapter_frames, frames

    path = mp3_file(tmp_path / "a.mp3")
    tag(path, SCRAMBLED_BY_SIZE)
    found = chapter_frames(path)
    assert [(c.title, c.start_ms, c.end_ms) for c in found] == [
        (c.title, c.start_ms, c.end_ms) for c in SCRAMBLED_BY_SIZE
    ]
    ids = [frame_id for frame_id, _ in frames(path)]
    assert ids[:4] == ["TIT2", "TPE1", "TRCK", "TALB"]
    assert ids.count("CTOC") == 1 and ids.count("CHAP") == len(SCRAMBLED_BY_SIZE)
    # mutagen still reads every frame back as written.
    assert read_chapters(path) == SCRAMBLED_BY_SIZE


def test_ffmpeg_lists_the_chapters_in_time_order(tmp_path: Path) -> None:
    """FFmpeg (and so mpv, VLC and many Android players) lists chapters in frame order."""
    import subprocess

    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="test extra: an ffmpeg binary")
    path = mp3_file(tmp_path / "a.mp3")
    tag(path, SCRAMBLED_BY_SIZE)
    metadata = tmp_path / "chapters.txt"
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(path), "-f", "ffmetadata", str(metadata)],
        check=True,
        capture_output=True,
    )
    sections = metadata.read_text(encoding="utf-8").split("[CHAPTER]")[1:]
    listed = []
    for section in sections:
        fields = dict(line.split("=", 1) for line in section.strip().splitlines())
        assert fields["TIMEBASE"] == "1/1000"
        listed.append((fields["title"], int(fields["START"]), int(fields["END"])))
    assert [title for title, _, _ in listed] == [c.title for c in SCRAMBLED_BY_SIZE]
    # FFmpeg counts from the first decoded sample, after the encoder delay it skips (50 ms).
    for (_, start, end), chapter in zip(listed, SCRAMBLED_BY_SIZE, strict=True):
        assert 0 <= chapter.start_ms - start <= 60 or start == chapter.start_ms == 0
        assert 0 <= chapter.end_ms - end <= 60


def test_a_session_mark_reads_back_with_the_tags_and_the_audio_length(tmp_path: Path) -> None:
    path = mp3_file(tmp_path / "a.mp3")
    mark = SessionMark("ab" * 32, "5 minutes, brief")
    write_tags(
        path, title="Rest stop", artist="coach", album="Driver", track="2/7", chapters=CHAPTERS,
        mark=mark,
    )  # fmt: skip
    with path.open("rb") as file:
        tags = read_session_tags(file)
    assert tags is not None
    assert tags.mark == mark
    assert (tags.title, tags.album, tags.track) == ("Rest stop", "Driver", "2/7")
    assert tags.chapters == tuple(CHAPTERS)
    assert tags.length_ms == round(SAMPLES.size * 1000 / SAMPLE_RATE)
    frames = id3.ID3(path)
    assert frames[f"TXXX:{SESSION_TAG}"].text == [mark.session_id]
    assert frames[f"TXXX:{VERSION_TAG}"].text == [mark.version]


def test_only_a_file_with_the_coachs_mark_is_read_as_a_session(tmp_path: Path) -> None:
    unmarked = mp3_file(tmp_path / "unmarked.mp3")
    tag(unmarked)  # the coach's artist and chapters, but no mark
    bare = mp3_file(tmp_path / "bare.mp3")
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all\n" * 100)
    forged = mp3_file(tmp_path / "forged.mp3")
    write_tags(
        forged, title="x", artist="coach", album="x", track=1, chapters=[],
        mark=SessionMark("not a digest", "full"),
    )  # fmt: skip
    for path in (unmarked, bare, text, forged):
        with path.open("rb") as file:
            assert read_session_tags(file) is None, path.name
