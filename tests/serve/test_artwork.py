"""The feed's picture: a valid PNG of the size podcast apps ask for, drawn as its script
says, and made again byte for byte by scripts/make_artwork.py."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from support.paths import ROOT

SHIPPED = resources.files("coach.serve").joinpath("artwork.png")


def decoded(png: bytes) -> npt.NDArray[np.uint8]:
    """The RGB pixels of a PNG as scripts/make_artwork.py writes it, every chunk's CRC
    checked on the way."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        chunks[kind] = data
        at += 12 + length
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 2)  # 8-bit RGB
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8)
    rows = rows.reshape(height, 1 + 3 * width)
    assert not rows[:, 0].any()  # no row filters
    return rows[:, 1:].reshape(height, width, 3)


def test_the_picture_is_a_square_podcast_apps_take() -> None:
    pixels = decoded(SHIPPED.read_bytes())
    height, width, _ = pixels.shape
    assert width == height and 1400 <= width <= 3000  # Apple Podcasts' bounds
    assert SHIPPED.read_bytes().__len__() < 512 * 1024  # Apple's limit is 512 KB


def test_the_picture_shows_a_figure_before_a_sun_over_a_road() -> None:
    pixels = decoded(SHIPPED.read_bytes()).astype(int)
    head, sun, sky, road = pixels[470, 700], pixels[640, 430], pixels[20, 700], pixels[1350, 700]
    assert head.min() > 220  # the figure: near white
    assert sun[0] > 200 and sun[2] < 140  # the sun: amber
    assert sky[2] > sky[0] and sky.max() < 110  # the sky at the top: a dark blue
    assert road.max() < 60  # the road: near black
    assert pixels[1230, 100].tolist() == pixels[1230, 360].tolist() != road.tolist()  # its line


def test_the_script_makes_the_same_file_again(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_artwork.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "artwork.png").read_bytes() == SHIPPED.read_bytes(), (
        "artwork.png differs from what scripts/make_artwork.py makes now; "
        "re-run the script and commit the picture"
    )
