"""The podcast feed: RSS 2.0 with the iTunes podcast tags, one item per file (a whole
session, or a split's track), and each session's chapters as Podcasting 2.0 JSON chapters.

Pure: a snapshot of the folder and the address the feed is read at in, bytes out.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from email.utils import formatdate
from urllib.parse import quote

from coach.serve.catalog import SessionFile, Snapshot
from coach.time import format_clock

NAMESPACES = {
    "xmlns:itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "xmlns:podcast": "https://podcastindex.org/namespace/1.0",
    "xmlns:atom": "http://www.w3.org/2005/Atom",
}
"""The feed's namespaces, declared on its root. Elements are named with their prefixes
("itunes:duration"), which ElementTree writes as they are, so no prefix is registered in
ElementTree's module-wide table."""

FEED_NAME = "feed.xml"
CHAPTERS_FOLDER = "chapters"
CHAPTERS_TYPE = "application/json+chapters"
FEED_TYPE = "application/rss+xml"
ARTWORK_NAME = "artwork.png"
"""The feed's picture, which podcast apps show beside its title (coach/serve/artwork.png,
drawn by scripts/make_artwork.py), and the page's icon."""

AUTHOR = "coach"
DESCRIPTION = (
    "Voice-guided stretches for the neck and upper back, to follow at a rest stop: only "
    "while parked, with the engine off. Served from your computer by coach."
)


def feed_title(snapshot: Snapshot) -> str:
    """The routine's title when the folder holds one routine's sessions, else a plain
    name for them all."""
    titles = {session.album for session in snapshot.sessions if not session.split}
    titles = titles or {session.album for session in snapshot.sessions}
    return titles.pop() if len(titles) == 1 else "Stretching sessions"


def file_url(base: str, file: SessionFile) -> str:
    return base + quote(file.name)


def chapters_url(base: str, file: SessionFile) -> str:
    return f"{base}{CHAPTERS_FOLDER}/{file.guid}.json"


def item_title(file: SessionFile) -> str:
    """A whole session's own title ("Rest-stop stretch, 5-minute version (4:56)"); a
    track's with its album and number ("Rest-stop stretch, 5-minute version: 3. Overhead
    stretch")."""
    track = file.track
    if track is None:
        return file.tags.title
    return f"{file.tags.album}: {track[0]}. {file.tags.title}"


def feed_xml(snapshot: Snapshot, base: str) -> bytes:
    """The feed of every offered file; `base` is the page's address
    ("http://192.168.1.20:8765/abc.../"), which every link in it starts with."""
    title = feed_title(snapshot)
    rss = ET.Element("rss", {"version": "2.0", **NAMESPACES})
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", title)
    _text(channel, "link", base)
    _text(channel, "description", DESCRIPTION)
    _text(channel, "language", "en")
    _text(channel, "generator", AUTHOR)
    image = ET.SubElement(channel, "image")
    _text(image, "url", base + ARTWORK_NAME)
    _text(image, "title", title)
    _text(image, "link", base)
    ET.SubElement(
        channel, "atom:link", {"href": base + FEED_NAME, "rel": "self", "type": FEED_TYPE}
    )
    _text(channel, "itunes:author", AUTHOR)
    _text(channel, "itunes:summary", DESCRIPTION)
    _text(channel, "itunes:explicit", "false")
    _text(channel, "itunes:type", "episodic")
    ET.SubElement(channel, "itunes:image", {"href": base + ARTWORK_NAME})
    category = ET.SubElement(channel, "itunes:category", {"text": "Health & Fitness"})
    ET.SubElement(category, "itunes:category", {"text": "Fitness"})
    for session in snapshot.sessions:  # in the page's order; apps sort by date
        for file in session.files:
            _item(channel, file, base)
    ET.indent(rss)
    body: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _item(channel: ET.Element, file: SessionFile, base: str) -> None:
    tags = file.tags
    item = ET.SubElement(channel, "item")
    _text(item, "title", item_title(file))
    description = _description(file)
    _text(item, "description", description)
    _text(item, "itunes:summary", description)
    ET.SubElement(
        item,
        "enclosure",
        {"url": file_url(base, file), "length": str(file.size), "type": "audio/mpeg"},
    )
    _text(item, "guid", file.guid).set("isPermaLink", "false")
    _text(item, "pubDate", formatdate(file.modified, usegmt=True))
    _text(item, "itunes:duration", str(math.ceil(tags.length_ms / 1000)))
    _text(item, "itunes:episodeType", "full")
    _text(item, "itunes:explicit", "false")
    track = file.track
    if track is not None:
        _text(item, "itunes:episode", str(track[0]))
    if tags.chapters:
        ET.SubElement(
            item, "podcast:chapters", {"url": chapters_url(base, file), "type": CHAPTERS_TYPE}
        )


def _description(file: SessionFile) -> str:
    """The version (and the track), then one line per chapter with its start time."""
    lines = [f"Version: {file.tags.mark.version}."]
    track = file.track
    if track is not None:
        lines[0] += f" Track {track[0]} of {track[1]}."
    lines += [f"{format_clock(chapter.start_ms)} {chapter.title}" for chapter in file.tags.chapters]
    return "\n".join(lines)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def chapters_json(file: SessionFile, feed: str) -> bytes:
    """The file's chapters as Podcasting 2.0 JSON chapters (version 1.2.0): each chapter's
    start and end in seconds, and its title. `feed` is the podcast's name."""
    document = {
        "version": "1.2.0",
        "title": item_title(file),
        "author": AUTHOR,
        "podcastName": feed,
        "fileName": file.name,
        "chapters": [
            {
                "startTime": chapter.start_ms / 1000,
                "endTime": chapter.end_ms / 1000,
                "title": chapter.title,
            }
            for chapter in file.tags.chapters
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
