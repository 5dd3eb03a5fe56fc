"""Draw the artwork a podcast app shows for the feed of `coach serve`: coach/serve/artwork.png.

    .venv/bin/python scripts/make_artwork.py            # rewrite coach/serve/artwork.png
    .venv/bin/python scripts/make_artwork.py --out DIR  # write it somewhere else (tests do)

A figure with both arms raised in a stretch, in front of a rising sun, over a dark road
with its centre line: 1400 by 1400 pixels, the smallest square Apple Podcasts takes, as a
plain RGB PNG. Each shape is a signed distance in pixels, covered by how much of a pixel
lies inside it, so edges are smooth without any image library.

The file is byte-identical on every run: the arithmetic is IEEE addition, multiplication,
division and square roots, which give the same bits on every machine, and zlib compresses
the same bytes the same way.
"""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

SIZE = 1400
"""Apple Podcasts asks for a square of 1400 to 3000 pixels; AntennaPod shows any size."""

Plane = npt.NDArray[np.float64]
Colour = tuple[int, int, int]

SKY_TOP: Colour = (24, 52, 84)
SKY_BOTTOM: Colour = (46, 118, 128)
SUN: Colour = (240, 196, 104)
FIGURE: Colour = (246, 241, 230)
ROAD: Colour = (30, 42, 52)
LINE: Colour = (240, 196, 104)

HORIZON = 1060
"""Where the road starts, from the top."""


def _circle(x: Plane, y: Plane, cx: float, cy: float, radius: float) -> Plane:
    return np.sqrt((x - cx) ** 2 + (y - cy) ** 2) - radius


def _capsule(
    x: Plane, y: Plane, start: tuple[float, float], end: tuple[float, float], radius: float
) -> Plane:
    """Distance to a line segment with round ends, `radius` thick on each side."""
    (ax, ay), (bx, by) = start, end
    px, py, dx, dy = x - ax, y - ay, bx - ax, by - ay
    along = np.clip((px * dx + py * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.sqrt((px - along * dx) ** 2 + (py - along * dy) ** 2) - radius


def _box(x: Plane, y: Plane, left: float, top: float, right: float, bottom: float) -> Plane:
    """Distance to an axis-aligned rectangle (negative inside)."""
    cx, cy, hx, hy = (left + right) / 2, (top + bottom) / 2, (right - left) / 2, (bottom - top) / 2
    qx, qy = np.abs(x - cx) - hx, np.abs(y - cy) - hy
    outside: Plane = np.sqrt(np.maximum(qx, 0.0) ** 2 + np.maximum(qy, 0.0) ** 2)
    inside: Plane = np.minimum(np.maximum(qx, qy), 0.0)
    return outside + inside


def _paint(image: npt.NDArray[np.float64], distance: Plane, colour: Colour) -> None:
    """Lay `colour` over `image` wherever `distance` is inside, a pixel's share at the edge."""
    cover = np.clip(0.5 - distance, 0.0, 1.0)[..., None]
    image *= 1.0 - cover
    image += cover * np.array(colour, dtype=np.float64)


def draw() -> npt.NDArray[np.uint8]:
    """The artwork as rows of RGB pixels."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) + 0.5
    mix = (y / SIZE)[..., None]
    image = (1.0 - mix) * np.array(SKY_TOP, dtype=np.float64) + mix * np.array(SKY_BOTTOM)
    centre = SIZE / 2
    _paint(image, _circle(x, y, centre, 640, 360), SUN)
    figure = np.minimum.reduce(
        [
            _circle(x, y, centre, 470, 92),  # head
            _capsule(x, y, (centre, 710), (centre, HORIZON + 40), 112),  # body
            _capsule(x, y, (centre - 96, 720), (centre - 262, 300), 50),  # arms, raised
            _capsule(x, y, (centre + 96, 720), (centre + 262, 300), 50),
        ]
    )
    _paint(image, figure, FIGURE)
    _paint(image, _box(x, y, -10, HORIZON, SIZE + 10, SIZE + 10), ROAD)
    for left in range(-40, SIZE, 260):
        _paint(image, _box(x, y, left, 1216, left + 150, 1244), LINE)
    return np.asarray(np.round(image), dtype=np.uint8)


def png(pixels: npt.NDArray[np.uint8]) -> bytes:
    """`pixels` (rows of RGB) as a PNG file: 8-bit RGB, no filter, no interlace."""
    height, width, _ = pixels.shape
    rows = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent.parent / "coach" / "serve"
    parser.add_argument("--out", type=Path, default=default, help="folder to write artwork.png to")
    out: Path = parser.parse_args().out
    (out / "artwork.png").write_bytes(png(draw()))


if __name__ == "__main__":
    main()
