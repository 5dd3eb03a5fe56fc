"""Writing sessions to files: one MP3 (or WAV), a folder of tracks, a pack of lengths.

Each checks where it writes before any work, prepares its sessions (`coach.preparation`),
masters the phrases while the start is encoded, and writes through `coach.render`; a
folder's files are one set (`coach.fileset`), written whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

from coach.preparation import SessionRequest, prepare_pack, prepare_session
from coach.progress import Progress
from coach.report import pack_text, rendered_text, split_text
from coach.routines import load_routine

PACK_MINUTES = (3.0, 5.0, 7.0)
"""The lengths of a pack when none are asked for; the full session is always in it too."""


def default_output(request: SessionRequest) -> Path:
    """Where `coach render` writes without -o: in the settings' output folder, else in this
    folder, ROUTINE.mp3, with the version in the name when it is not the full one
    ("rest-stop 5 min.mp3", "rest-stop brief.mp3")."""
    from coach.config import load_settings
    from coach.filenames import file_name
    from coach.render import length_label
    from coach.routines import DEFAULT_ROUTINE

    version = " brief" if request.brief else ""
    if request.minutes is not None:
        version += f" {length_label(request.minutes)}"
    name = file_name(Path(request.routine or DEFAULT_ROUTINE).stem, f"{version}.mp3").name
    folder = load_settings().output
    return Path(folder).expanduser() / name if folder else Path(name)


def render_to_file(
    request: SessionRequest,
    out: Path,
    *,
    progress: Progress | None,
    encode_progress: Progress | None,
) -> str:
    """Render the session to `out`; return the one-line summary.

    Each phase reports to its own callback: `progress` the synthesis, `encode_progress`
    the writing, which masters the phrases as it goes (`SessionSounds.mastering_ahead`).
    """
    from coach.files import check_writable
    from coach.plan.compiler import CompileOptions, compile_routine
    from coach.render import check_length, output_format, render_session

    # Both before any synthesis, so a bad path fails at once; the place first, so a
    # folder given as the output is named as a folder rather than as a bad file name.
    output = check_writable(out)
    output_format(out)
    routine = load_routine(request.routine)
    if request.minutes is None:  # a session too long for the file fails before any speech
        silent = compile_routine(routine, CompileOptions(brief=request.brief)).silent_ms()
        check_length(out, silent, at_least=True)
    prepared = prepare_session(request, progress=progress, routine=routine)
    writer = check_length(out, prepared.session.timeline.total_ms)  # before mastering
    with prepared.sounds.mastering_ahead(prepared.session.timeline, progress):
        rendered = render_session(
            prepared.session, prepared.sounds, output, encode_progress, writer=writer
        )
    return rendered_text(
        out,
        rendered.length_ms,
        rendered.size_bytes,
        rendered.chapters,
        prepared.session.describe_fit(),
    )


def render_tracks_to_folder(
    request: SessionRequest,
    folder_path: Path,
    *,
    progress: Progress | None,
    encode_progress: Progress | None,
) -> str:
    """Render the session as one MP3 per part, and a playlist, into a folder, as one set
    that replaces the folder's earlier split (`coach.fileset`); the summary. The phases
    report as for `render_to_file`."""
    from coach.files import check_folder
    from coach.fileset import SPLIT, open_set
    from coach.render import playlist_name, render_tracks

    with open_set(check_folder(folder_path), SPLIT) as files:
        prepared = prepare_session(request, progress=progress)
        with prepared.sounds.mastering_ahead(prepared.session.timeline, progress):
            tracks = render_tracks(prepared.session, prepared.sounds, files, encode_progress)
        done = files.commit()
    return split_text(
        prepared.session,
        len(tracks),
        playlist_name(prepared.session),
        folder_path,
        removed=done.removed,
        kept=done.kept,
    )


def render_pack(
    request: SessionRequest,
    folder_path: Path,
    minutes: tuple[float, ...] | None,
    *,
    progress: Progress | None,
    encode_progress: Progress | None,
) -> list[str]:
    """Render the session at several lengths (and in full) into a folder, one MP3 each,
    named by length so they sort shortest first; one summary line per file, and a note for
    each length asked for that is the full session.

    Every length is fitted (and checked against what an MP3 holds) before anything is
    written, so a length that is too short fails at once. The phrases are synthesized and
    mastered once for all of them. The files are one set (`coach.fileset`): all are
    written, or none.
    """
    from coach.files import check_folder
    from coach.fileset import PACK, open_set
    from coach.render import check_length, pack_names, write_session

    with open_set(check_folder(folder_path), PACK) as files:
        pack = prepare_pack(request, minutes or PACK_MINUTES, progress=progress)
        names = [
            made.name
            for made in pack_names(
                pack.routine.title, [s.minutes for s in pack.sessions], brief=request.brief
            )
        ]
        writers = [
            check_length(files.folder / name, session.timeline.total_ms)
            for session, name in zip(pack.sessions, names, strict=True)
        ]
        files.claim(names)
        for session, name, writer in zip(pack.sessions, names, writers, strict=True):
            with (
                pack.sounds.mastering_ahead(session.timeline, progress),
                files.staged(name) as path,
            ):
                write_session(session, pack.sounds, path, writer, encode_progress)
        files.commit()
    return pack_text(pack, folder_path, names)
