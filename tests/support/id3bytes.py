"""An ID3v2.3 reader written from the specification, independent of mutagen: the frames of a
tag in the order they sit in the file, as players that do not sort them see them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChapterFrame:
    element_id: str
    start_ms: int
    end_ms: int
    title: str


def _syncsafe(data: bytes) -> int:
    value = 0
    for byte in data:
        assert byte < 0x80, "a syncsafe integer has no byte over 0x7f"
        value = (value << 7) | byte
    return value


def _text(frame_body: bytes) -> str:
    """A text frame's text: an encoding byte, then Latin-1 or BOM-led UTF-16."""
    encoding, data = frame_body[0], frame_body[1:]
    if encoding == 0:
        return data.split(b"\0", 1)[0].decode("latin-1")
    assert encoding == 1, f"unexpected ID3v2.3 text encoding {encoding}"
    return data.decode("utf-16").split("\0", 1)[0]


def frames(path: Path) -> list[tuple[str, bytes]]:
    """(frame id, body) of every frame of the file's ID3v2.3 tag, in file order."""
    data = path.read_bytes()
    assert data[:3] == b"ID3" and data[3] == 3, "not an ID3v2.3 tag"
    size = _syncsafe(data[6:10])
    body = data[10 : 10 + size]
    found = []
    at = 0
    while at + 10 <= len(body) and body[at] != 0:
        frame_id = body[at : at + 4].decode("ascii")
        length = int.from_bytes(body[at + 4 : at + 8], "big")
        found.append((frame_id, body[at + 10 : at + 10 + length]))
        at += 10 + length
    assert not any(body[at:]), "only zero padding follows the frames"
    return found


def chapter_frames(path: Path) -> list[ChapterFrame]:
    """The CHAP frames in file order, with the title of each one's TIT2 sub-frame."""
    chapters = []
    for frame_id, body in frames(path):
        if frame_id != "CHAP":
            continue
        end_of_id = body.index(b"\0")
        element_id = body[:end_of_id].decode("latin-1")
        times = body[end_of_id + 1 : end_of_id + 17]
        start, end = int.from_bytes(times[0:4], "big"), int.from_bytes(times[4:8], "big")
        sub = body[end_of_id + 17 :]
        assert sub[:4] == b"TIT2"
        length = int.from_bytes(sub[4:8], "big")
        chapters.append(ChapterFrame(element_id, start, end, _text(sub[10 : 10 + length])))
    return chapters
