"""The podcast feed, read by a well-kept feed parser as a podcast app reads it: RSS 2.0 with
the iTunes tags, an enclosure per file, stable GUIDs, and Podcasting 2.0 JSON chapters."""

from __future__ import annotations

import json
import math
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import feedparser
import pytest

from coach.render.tags import read_session_tags
from support.serving import PACK, ServeProcess, fetch

pytestmark = pytest.mark.tts


def parsed_feed(server: ServeProcess) -> Any:
    reply = fetch(server.port, server.base + "feed.xml")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/rss+xml; charset=utf-8"
    feed = feedparser.parse(reply.body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    return feed


def offered(server: ServeProcess) -> dict[str, Path]:
    """The sessions' files in the folder, by name (as the tests made them)."""
    names = [*PACK, *(p.name for p in server.folder.glob("0*.mp3"))]
    return {name: server.folder / name for name in names}


def test_the_feed_has_one_item_per_file_with_its_enclosure_and_length(
    server: ServeProcess,
) -> None:
    feed = parsed_feed(server)
    base = f"http://127.0.0.1:{server.port}/{server.token}/"
    assert feed.feed.title == "Rest-stop stretch"
    assert feed.feed.link == base
    assert feed.feed.author == "coach"
    assert [tag.term for tag in feed.feed.tags] == ["Health & Fitness", "Fitness"]
    files = offered(server)
    assert len(feed.entries) == len(files) == 7
    for entry in feed.entries:
        (enclosure,) = entry.enclosures
        name = unquote(urlsplit(enclosure.href).path.rsplit("/", 1)[1])
        path = files[name]
        assert enclosure.href == base + quote(name)
        assert enclosure.type == "audio/mpeg"
        assert int(enclosure.length) == path.stat().st_size
        with path.open("rb") as file:
            tags = read_session_tags(file)
        assert tags is not None
        assert int(entry.itunes_duration) == math.ceil(tags.length_ms / 1000)
        published = parsedate_to_datetime(entry.published).timestamp()
        assert abs(published - path.stat().st_mtime) < 1
        # Each file is served at its enclosure's address.
        assert fetch(server.port, urlsplit(enclosure.href).path, "HEAD").status == 200


def test_guids_are_the_sessions_identity_and_unique(server: ServeProcess) -> None:
    feed = parsed_feed(server)
    guids = [entry.id for entry in feed.entries]
    assert len(set(guids)) == len(guids)
    assert all(entry.guidislink is False for entry in feed.entries)
    by_name = {
        unquote(urlsplit(entry.enclosures[0].href).path.rsplit("/", 1)[1]): entry.id
        for entry in feed.entries
    }
    for name, path in offered(server).items():
        with path.open("rb") as file:
            tags = read_session_tags(file)
        assert tags is not None
        assert by_name[name].startswith(tags.mark.session_id)
    # The 3-minute file and the split of the same 3-minute session are one session.
    three = by_name[PACK[0]]
    assert by_name["01 Before you start.mp3"] == f"{three}-01"


def test_guids_and_the_address_stay_the_same_after_a_restart(
    server: ServeProcess, served: tuple[Path, dict[str, str]]
) -> None:
    first = [entry.id for entry in parsed_feed(server).entries]
    folder, env = served
    again = ServeProcess(folder, dict(env))
    again.start()
    try:
        assert again.token == server.token
        assert [entry.id for entry in parsed_feed(again).entries] == first
    finally:
        assert again.stop() == 130


def test_each_whole_session_links_its_chapters_as_podcasting_2_json(
    server: ServeProcess,
) -> None:
    feed = parsed_feed(server)
    whole = [entry for entry in feed.entries if "podcast_chapters" in entry]
    assert len(whole) == len(PACK)  # the split's tracks have no chapters of their own
    for entry in whole:
        link = entry.podcast_chapters
        assert link["type"] == "application/json+chapters"
        reply = fetch(server.port, urlsplit(link["url"]).path)
        assert reply.status == 200
        assert reply.headers["content-type"] == "application/json+chapters"
        document = json.loads(reply.body)
        name = document["fileName"]
        with (server.folder / name).open("rb") as file:
            tags = read_session_tags(file)
        assert tags is not None
        assert document["version"] == "1.2.0"
        assert document["podcastName"] == "Rest-stop stretch"
        assert document["chapters"] == [
            {
                "startTime": chapter.start_ms / 1000,
                "endTime": chapter.end_ms / 1000,
                "title": chapter.title,
            }
            for chapter in tags.chapters
        ]
        starts = [chapter["startTime"] for chapter in document["chapters"]]
        assert starts == sorted(starts) and starts[0] == 0
        assert "Neck release" in entry.summary


def test_the_feed_has_a_square_picture_that_the_server_sends(server: ServeProcess) -> None:
    """Podcast apps show the feed's picture beside its title (Apple asks for a square PNG
    or JPEG of 1400 to 3000 pixels); the address the feed gives must answer with it."""
    import struct

    feed = parsed_feed(server)
    picture = f"http://127.0.0.1:{server.port}/{server.token}/artwork.png"
    assert feed.feed.image.href == picture  # itunes:image
    body = fetch(server.port, server.base + "feed.xml").body.decode()
    assert f"<image>\n      <url>{picture}</url>" in body  # and RSS 2.0's own <image>
    reply = fetch(server.port, picture)
    assert reply.status == 200
    assert reply.headers["content-type"] == "image/png"
    assert reply.body[:8] == b"\x89PNG\r\n\x1a\n" and reply.body[12:16] == b"IHDR"
    width, height = struct.unpack(">II", reply.body[16:24])
    assert width == height and 1400 <= width <= 3000
    again = fetch(server.port, picture, headers={"If-None-Match": reply.headers["etag"]})
    assert (again.status, again.body) == (304, b"")
