"""The chapters of a rendered MP3, read back with mutagen (the render writes them with it)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from coach.render.tags import Chapter


def _id3() -> Any:
    return importlib.import_module("mutagen.id3")


def read_chapters(path: Path | str) -> list[Chapter]:
    """The chapters of the MP3 at `path`, in play order.

    The order is the top-level CTOC's when there is one, else by start time. A file without
    an ID3 tag or without chapters gives an empty list.
    """
    id3 = _id3()
    try:
        tags = id3.ID3(str(path))
    except id3.ID3NoHeaderError:
        return []
    by_id = {frame.element_id: frame for frame in tags.getall("CHAP")}
    order: list[str] = []
    for toc in tags.getall("CTOC"):
        if toc.flags & id3.CTOCFlags.TOP_LEVEL:
            order = [child for child in toc.child_element_ids if child in by_id]
            break
    if not order:
        order = sorted(by_id, key=lambda element_id: by_id[element_id].start_time)
    return [_chapter(by_id[element_id]) for element_id in order]


def _chapter(frame: Any) -> Chapter:
    titles = frame.sub_frames.getall("TIT2")
    title = str(titles[0].text[0]) if titles and titles[0].text else ""
    return Chapter(title=title, start_ms=int(frame.start_time), end_ms=int(frame.end_time))
