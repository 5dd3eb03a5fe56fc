"""Render: a session to an MP3 (with chapters and tags) or a WAV file, or to a folder of
tracks. `writing` writes one file (`WRITERS`, one writer a file ending), `tracks` a split,
`naming` the names and titles the files carry, `mp3`, `wav` and `tags` the formats."""

from coach.render.naming import (
    album_title,
    length_label,
    pack_names,
    playlist_name,
    shortened_names,
    track_names,
    track_title,
    version_name,
)
from coach.render.tracks import Track, render_tracks
from coach.render.writing import (
    ARTIST,
    WRITERS,
    Rendered,
    Writer,
    check_length,
    output_format,
    render_session,
    session_mark,
    write_session,
)

__all__ = [
    "ARTIST",
    "WRITERS",
    "Rendered",
    "Track",
    "Writer",
    "album_title",
    "check_length",
    "length_label",
    "output_format",
    "pack_names",
    "playlist_name",
    "render_session",
    "render_tracks",
    "session_mark",
    "shortened_names",
    "track_names",
    "track_title",
    "version_name",
    "write_session",
]
