"""What each command does, below the command line: one thin function a command.

Each finds what it needs (a session through `coach.preparation`, a file written through
`coach.rendering`, live play through `coach.playing`, a server through `coach.serving`) and
returns what to print, worded in `coach.report`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from coach.preparation import SessionRequest, prepare_session, request_with_settings
from coach.progress import Progress


def list_routines(*, progress: Progress | None = None) -> list[str]:
    """`coach list`: one line per built-in routine, with its full and shortest length (with
    the voice and rate of the settings)."""
    from coach.preparation import routine_lengths
    from coach.report import routine_row, table_lines
    from coach.routines import builtin_names

    request = request_with_settings()
    rows = []
    for name in builtin_names():
        routine, lengths = routine_lengths(name, request, progress=progress, with_brief=False)
        rows.append(routine_row(name, routine, lengths))
    return table_lines(rows)


def check_routine(
    name_or_path: str, *, voice: str | None, rate: int | None, progress: Progress | None
) -> list[str]:
    """`coach check`: the routine's lengths, a line for each chapter, and notes."""
    from coach.preparation import routine_lengths
    from coach.report import check_text

    request = request_with_settings(routine=name_or_path, voice=voice, rate=rate)
    routine, lengths = routine_lengths(name_or_path, request, progress=progress)
    return check_text(name_or_path, routine, lengths)


def new_routine(path: Path) -> str:
    """`coach new`: write the commented template routine to `path`, never over a file."""
    from coach.errors import CoachError
    from coach.files import check_writable, replace_file
    from coach.routines import template_text

    if path.suffix.lower() != ".toml":
        raise CoachError(
            f"A routine file's name ends in .toml; {path.name!r} does not. "
            f"Try {path.with_suffix('.toml').name!r}."
        )
    output = check_writable(path)
    if output.path.exists():
        raise CoachError(
            f"{path} already exists, and coach new never writes over a file. Choose another "
            "name, or edit that file."
        )
    replace_file(output.path, template_text())
    return (
        f"Wrote {path}: a commented routine of two exercises to make your own. Check it with "
        f"`coach check {path}`, and hear it with `coach play {path}`."
    )


def show_cache() -> list[str]:
    """`coach cache`: where the phrase cache is and what it holds."""
    from coach.report import cache_text
    from coach.speech.cache import CACHE_DIR_ENV, PhraseCache

    cache = PhraseCache.default()
    count, size = cache.usage()
    return cache_text(cache.directory, count, size, variable=CACHE_DIR_ENV)


def clear_cache() -> str:
    """`coach cache clear`: empty the phrase cache of the coach's own entries."""
    from coach.report import cache_cleared_text
    from coach.speech.cache import PhraseCache

    cache = PhraseCache.default()
    count, size = cache.clear()
    return cache_cleared_text(cache.directory, count, size)


def voice_lines() -> list[str]:
    """`coach voices`: every voice, the natural one first, the default marked."""
    from coach.preparation import voice_in_effect
    from coach.report import voices_text
    from coach.speech.piper import INSTALL_HINT, PiperEngine, neural_installed
    from coach.speech.voices import open_engine, open_voice

    default_engine, default_id = open_voice(voice_in_effect())
    natural = PiperEngine() if neural_installed() else None
    return voices_text(
        natural.voices() if natural else None,
        natural.licence if natural else "",
        open_engine("espeak").voices(),
        (default_engine.name, default_id),
        install_hint=INSTALL_HINT,
    )


def show_session(
    request: SessionRequest, *, as_json: bool, progress: Progress | None = None
) -> str | dict[str, Any]:
    """`coach show`: the session as readable text, or as a JSON-ready dict (with measured
    speech lengths, so the times are the render's and live play's)."""
    from coach.report import session_document, timeline_text

    prepared = prepare_session(request, progress=progress)
    session = prepared.session
    if as_json:
        phrases = prepared.sounds.phrases
        return session_document(
            session,
            phrases.engine,
            phrases.voice,
            brief=request.brief,
            minutes=request.minutes,
        )
    return timeline_text(session.timeline, session.describe_fit())


def render(
    request: SessionRequest,
    *,
    out: Path | None = None,
    split: Path | None = None,
    pack: Path | None = None,
    pack_minutes: tuple[float, ...] | None = None,
    progress: Progress | None,
    encode_progress: Progress | None,
) -> list[str]:
    """`coach render`: the session as one file (`out`, by default named after the routine
    and version), a folder of tracks (`split`) or a pack of lengths (`pack`, at
    `pack_minutes`); the lines to print."""
    from coach import rendering

    bars = {"progress": progress, "encode_progress": encode_progress}
    if split is not None:
        return [rendering.render_tracks_to_folder(request, split, **bars)]
    if pack is not None:
        return rendering.render_pack(request, pack, pack_minutes, **bars)
    return [rendering.render_to_file(request, out or rendering.default_output(request), **bars)]


def play(
    request: SessionRequest,
    *,
    backend: str | None,
    confirmed: bool,
    progress: Progress | None,
    confirm: Callable[[], str],
    say: Callable[[str], None],
    master_progress: Progress | None = None,
    listen: bool = False,
) -> str:
    """`coach play`: play the session live; the closing line."""
    from coach.playing import play_live

    return play_live(
        request,
        backend=backend,
        confirmed=confirmed,
        progress=progress,
        confirm=confirm,
        say=say,
        master_progress=master_progress,
        listen=listen,
    )


def serve(
    folder: Path | None,
    *,
    host: str | None,
    port: int,
    new_address: bool,
    say: Callable[[str], None],
    progress: Progress | None,
    encode_progress: Progress | None,
) -> None:
    """`coach serve`: the sessions in a folder on the local network, until stopped."""
    from coach.serving import serve_folder

    serve_folder(
        folder,
        host=host,
        port=port,
        new_address=new_address,
        say=say,
        progress=progress,
        encode_progress=encode_progress,
    )
