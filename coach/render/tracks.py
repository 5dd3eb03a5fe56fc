"""A session as tracks: one MP3 per chapter, for a car's next and previous buttons, and a
playlist, written as one set (`coach.fileset`)."""

from __future__ import annotations

from dataclasses import dataclass

from coach.fileset import FileSet
from coach.plan.session import Session
from coach.progress import Progress
from coach.render import mp3
from coach.render.naming import album_title, playlist_name, track_names
from coach.render.writing import ARTIST, session_mark, write_file_tags
from coach.sound.assembly import assemble_chunks, session_samples
from coach.sound.session_sounds import SessionSounds
from coach.time import ms_to_samples


@dataclass(frozen=True)
class Track:
    """One part of a session written as a file of its own, for a car's next/previous buttons."""

    number: int
    title: str
    name: str
    """The file's name in the folder."""
    length_ms: int


def render_tracks(
    session: Session,
    sounds: SessionSounds,
    files: FileSet,
    progress: Progress | None = None,
) -> list[Track]:
    """Write one MP3 per chapter of the session into the set `files` ("01 Before you
    start.mp3", "02 Neck release.mp3", ...), tagged with track numbers (n/total), album and
    title, and a playlist (`playlist_name`) listing them in order.

    Each file holds exactly its chapter's samples, so the files decoded one after another
    give the single render's samples. The files are staged in the set, which the caller
    commits: the folder then holds these and no earlier split's (`coach.fileset`).
    """
    timeline = session.timeline
    total = session_samples(timeline)
    chapters = timeline.chapters
    album = album_title(session)
    mark = session_mark(session, sounds)
    names = [made.name for made in track_names(session)]
    playlist = playlist_name(session)
    files.claim([*names, playlist])
    tracks: list[Track] = []
    done = 0
    for number, (chapter, name) in enumerate(zip(chapters, names, strict=True), start=1):
        start = ms_to_samples(chapter.start_ms)
        end = total if number == len(chapters) else ms_to_samples(chapter.end_ms)

        def report(part_done: int, _part_total: int, before: int = done) -> None:
            if progress:
                progress(before + part_done, total)

        with files.staged(name) as temporary:
            chunks = assemble_chunks(timeline, sounds.audio, start=start, end=end)
            mp3.write_mp3(temporary, chunks, end - start, report)
            write_file_tags(
                temporary,
                title=chapter.title,
                album=album,
                track=f"{number}/{len(chapters)}",
                chapters=[],
                mark=mark,
            )
        done += end - start
        tracks.append(Track(number, chapter.title, name, chapter.end_ms - chapter.start_ms))
    with files.staged(playlist) as temporary:
        temporary.write_bytes(_playlist(album, tracks))
    return tracks


def _playlist(album: str, tracks: list[Track]) -> bytes:
    """An extended M3U playlist of `tracks`, in UTF-8."""
    lines = ["#EXTM3U", f"#PLAYLIST:{album}", f"#EXTART:{ARTIST}"]
    for track in tracks:
        lines.append(f"#EXTINF:{-(-track.length_ms // 1000)},{track.title}")
        lines.append(track.name)
    return ("\n".join(lines) + "\n").encode("utf-8")
