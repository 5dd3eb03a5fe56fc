"""What each command does, below the command line: one function a command.

Every command that speaks starts the same way (`prepare_session`): find the routine, open
the voice, synthesize what the session says and what fitting will measure, fit, and place
it on the timeline. What follows is the command's own: print it, render it, play it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from coach.plan.compiler import CompileOptions, compile_routine
from coach.plan.fit import Fitted, full_session, shortest_session
from coach.plan.lengths import KnownLengths, SpeechLengths
from coach.plan.routine import Exercise, Routine
from coach.plan.session import Session, build_session
from coach.plan.timeline import Timeline
from coach.routines import builtin_names, load_routine
from coach.sound.session_sounds import SessionSounds, open_sounds
from coach.time import format_clock, format_length, seconds_text
from coach.width import display_width, pad

Progress = Callable[[int, int], None]
Measured = TypeVar("Measured")


@dataclass(frozen=True)
class SessionRequest:
    """What `show`, `render` and `play` are asked for: which routine, how long, how spoken.

    None means the default: the built-in routine, the full session, the default voice and
    rate.
    """

    routine: str | None = None
    minutes: float | None = None
    brief: bool = False
    voice: str | None = None
    rate: int | None = None
    voice_from: str | None = None
    """Where the voice came from when a setting chose it ("$COACH_VOICE", "the settings
    file, PATH"), so that an error about the voice can say so."""


def session_request(
    routine: str | None,
    minutes: float | None,
    brief: bool | None,
    voice: str | None,
    rate: int | None,
    *,
    pack: bool = False,
) -> SessionRequest:
    """The request for these command-line values, with the settings (`coach.config`) filling
    in what the command line leaves out. A pack takes no length from the settings."""
    from coach.config import load_settings

    settings = load_settings()
    return SessionRequest(
        routine=routine,
        minutes=minutes if minutes is not None or pack else settings.minutes,
        brief=brief if brief is not None else settings.brief,
        voice=voice if voice is not None else settings.voice,
        rate=rate if rate is not None else settings.rate,
        voice_from=None if voice is not None else settings.source("voice"),
    )


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


@dataclass(frozen=True)
class Prepared:
    """A session ready to be heard: its timeline and the sounds it was measured with."""

    session: Session
    sounds: SessionSounds


def prepare_session(
    request: SessionRequest,
    progress: Progress | None,
    sounds: SessionSounds | None = None,
    routine: Routine | None = None,
) -> Prepared:
    """Load the routine, synthesize the phrases the fit will measure (the main batch with
    progress, see `session_phrases`; any the guess missed after it, see `prepare_for_fit`),
    then fit.

    `sounds` are the request's voice and rate opened afresh, and `routine` the request's
    routine loaded, unless given.
    """
    sounds = sounds or open_request_sounds(request)
    routine = routine or load_routine(request.routine)
    sounds.prepare(session_phrases(routine, request), progress)
    prepare_for_fit(routine, request, sounds, progress)
    session = build_session(routine, sounds, minutes=request.minutes, brief=request.brief)
    return Prepared(session, sounds)


def open_request_sounds(request: SessionRequest) -> SessionSounds:
    """The request's voice and rate, opened; an error about a voice that a setting chose
    says where it was set."""
    from coach.errors import CoachError

    try:
        return open_sounds(request.voice, request.rate)
    except CoachError as error:
        if request.voice_from is None:
            raise
        raise CoachError(f"{error} (The voice was set by {request.voice_from}.)") from None


def full_session_phrases(routine: Routine, brief: bool) -> list[str]:
    """Every phrase of the full session, to synthesize ahead of fitting."""
    return compile_routine(routine, CompileOptions(brief=brief)).phrases()


def session_phrases(routine: Routine, request: SessionRequest) -> list[str]:
    """The phrases to synthesize before the fit: the full session's, or for a shorter
    version those of the version a fit with lengths guessed from the words picks ("One of
    two.", the shorter version's note). For a length that is too short, those the guessed
    fit measured to find the shortest version, which the error names.

    Synthesized together, they are made several at a time by an engine that can (Piper).
    """
    if request.minutes is None:
        return full_session_phrases(routine, request.brief)
    from coach.errors import CoachError
    from coach.plan.fit import fit_session
    from coach.time import minutes_to_ms

    guess = _GuessedLengths()
    try:
        fitted = fit_session(routine, minutes_to_ms(request.minutes), guess, brief=request.brief)
    except CoachError:  # the real fit says what is wrong
        return list(dict.fromkeys(guess.asked))
    return fitted.script.phrases()


def prepare_for_fit(
    routine: Routine,
    request: SessionRequest,
    sounds: SessionSounds,
    progress: Progress | None = None,
) -> None:
    """Synthesize, a batch at a time, every phrase the fit and the timeline will measure
    that is not made yet: those the fit measures (`make_what_it_measures`), then the
    phrases of the version it picks (words said inside a hold, which no fit measures).
    Each batch that synthesizes anything reports to `progress`."""
    if request.minutes is None:
        return
    from coach.plan.fit import fit_session
    from coach.time import minutes_to_ms

    target = minutes_to_ms(request.minutes)
    fitted = make_what_it_measures(
        sounds,
        lambda lengths: fit_session(routine, target, lengths, brief=request.brief),
        progress,
    )
    if fitted is not None:
        sounds.prepare(fitted.script.phrases(), progress)


def make_what_it_measures(
    sounds: SessionSounds,
    compute: Callable[[SpeechLengths], Measured],
    progress: Progress | None = None,
) -> Measured | None:
    """Synthesize, a batch at a time, every phrase that `compute` (the fit, say) measures
    and that is not made yet; what it gives once they are all made (None for a CoachError,
    which the caller's own call will raise).

    The fit measures a version only when the phrases made so far cannot rule it out (see
    `coach.plan.fit`), so which phrases it needs depends on their lengths. It is run with
    the lengths made so far and a guess for the rest, noting the phrases it guessed; those
    are made together, and again until it guesses none. Afterwards, the same computation
    with the real lengths measures every phrase from memory, with the same answer. Each
    batch reports to `progress`.
    """
    from coach.errors import CoachError

    made: set[str] = set()
    while True:
        stand_in = _GuessedLengths(sounds)
        result: Measured | None
        try:
            result = compute(stand_in)
        except CoachError:
            result = None
        if not stand_in.asked:
            return result
        if made.issuperset(stand_in.asked):  # made, yet still not known: a broken engine
            raise RuntimeError(f"speech for {stand_in.asked[0]!r} was made but not kept")
        made.update(stand_in.asked)
        sounds.prepare(stand_in.asked, progress)


def _shortest(routine: Routine, sounds: SessionSounds, progress: Progress | None) -> Fitted:
    """The routine's shortest version, its phrases made in batches first (each reported
    to `progress`)."""
    make_what_it_measures(sounds, lambda made: shortest_session(routine, made), progress)
    return shortest_session(routine, sounds)


class _GuessedLengths:
    """`KnownLengths` from word counts (165 words a minute): close enough to tell which
    phrases a fit will ask about. Notes the phrases whose length it guessed when asked.

    Given the `made` lengths, it gives the lengths of the phrases made there, and only the
    others are guessed; without, every guess is known at once.
    """

    def __init__(self, made: KnownLengths | None = None) -> None:
        self.asked: list[str] = []
        self.made = made

    def speech_ms(self, text: str) -> int:
        known = None if self.made is None else self.made.known_speech_ms(text)
        if known is not None:
            return known
        self.asked.append(text)
        return self._guess(text)

    def known_speech_ms(self, text: str) -> int | None:
        return self._guess(text) if self.made is None else self.made.known_speech_ms(text)

    @staticmethod
    def _guess(text: str) -> int:
        return len(text.split()) * 60_000 // 165 + 150

    def cue_ms(self, name: str) -> int:
        return 800 if self.made is None else self.made.cue_ms(name)


def list_routines(progress: Progress | None = None) -> list[str]:
    """One line per built-in routine: name, title, full and shortest length (with the voice
    and rate of the settings)."""
    request = session_request(None, None, None, None, None)
    lengths = open_sounds(request.voice, request.rate)
    rows = []
    for name in builtin_names():
        routine = load_routine(name)
        lengths.prepare(full_session_phrases(routine, False), progress)
        full = full_session(routine, lengths)
        shortest = _shortest(routine, lengths, progress)
        rows.append(
            (
                name,
                routine.title,
                f"{len(routine.exercises)} exercises",
                f"full {format_length(full.length_ms)}",
                f"shortest {format_length(shortest.length_ms)}",
            )
        )
    widths = [max(display_width(row[column]) for row in rows) for column in range(4)]
    return [
        "  ".join(pad(cell, width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[4]
        for row in rows
    ]


def new_routine(path: Path) -> str:
    """Write the commented template routine to `path`, never over an existing file."""
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


def check_routine(
    name_or_path: str, *, voice: str | None, rate: int | None, progress: Progress | None
) -> list[str]:
    """Check a routine and describe it: its lengths (full, brief and shortest, measured with
    the voice) and a line for each chapter of the full session."""
    from coach.time import minutes_at_least

    routine = load_routine(name_or_path)
    sounds = open_sounds(voice, rate)
    for brief_mode in (False, True):
        sounds.prepare(full_session_phrases(routine, brief_mode), progress)
    full = build_session(routine, sounds)
    brief = build_session(routine, sounds, brief=True)
    shortest = _shortest(routine, sounds, progress)
    least = minutes_at_least(shortest.length_ms)
    count = len(routine.exercises)
    lines = [
        (
            f'{name_or_path}: a valid routine, "{routine.title}", with {count} '
            f"exercise{'s' if count != 1 else ''}."
        ),
        (
            f"Full session {format_length(full.timeline.total_ms)}, brief "
            f"{format_length(brief.timeline.total_ms)}, shortest version "
            f"{format_length(shortest.length_ms)} (--minutes {least:g} or more)."
        ),
        "",
    ]
    width = max(display_width(chapter.title) for chapter in full.timeline.chapters)
    for chapter in full.timeline.chapters:
        detail = ""
        if chapter.exercise_id is not None:
            detail = _exercise_summary(routine.exercise(chapter.exercise_id))
        length = format_clock(chapter.end_ms - chapter.start_ms)  # as the time column
        lines.append(
            f"  {format_clock(chapter.start_ms, width=2)}  {pad(chapter.title, width)}  "
            f"{length:>5}  {detail}".rstrip()
        )
    notes = grown_relax_notes(routine, full.timeline)
    if notes:
        lines.append("")
        lines.extend(notes)
    return lines + _long_titles(full)


def _long_titles(session: Session) -> list[str]:
    """A warning for each title too long for a file name, with the name it gets."""
    from coach.render import shortened_names

    shortened = dict(shortened_names(session))
    if not shortened:
        return []
    return [
        "",
        "Warning: too long for a file name, so shortened where a file is named after it:",
    ] + [f"  {title!r} as {name!r}" for title, name in shortened.items()]


def grown_relax_notes(routine: Routine, timeline: Timeline) -> list[str]:
    """A line for each exercise whose relax had to grow to fit its words (the release, and
    the quiet a rest keeps): a relax is meant to be exactly as long as the file says."""
    from coach.plan.compiler import REST_FROM_MS, REST_QUIET_MS

    notes = []
    for exercise in routine.exercises:
        longest = max(
            (
                clip.length_ms
                for clip in timeline.clips
                if clip.kind == "relax" and clip.exercise_id == exercise.id
            ),
            default=0,
        )
        if exercise.relax_ms and longest > exercise.relax_ms:
            words = (
                f"the chime, the release and {seconds_text(REST_QUIET_MS)} of quiet"
                if exercise.relax_ms >= REST_FROM_MS
                else "the chime and the release"
            )
            notes.append(
                f"Note: in {exercise.title}, {words} need more than "
                f"its relax of {seconds_text(exercise.relax_ms)}, so the relax grows to "
                f"{seconds_text(longest, 1)}. Shorten the release, or give a longer relax."
            )
    return notes


def _exercise_summary(exercise: Exercise) -> str:
    """ "3 reps a side, move 3.5 s, hold 4 s, relax 1 s" or "4 sets of 3 counted over 12 s,
    move 2 s"."""
    sides = " a side" if exercise.sides else ""
    if exercise.count:
        what = f"{exercise.reps} set{'s' if exercise.reps != 1 else ''}{sides} of "
        what += f"{exercise.count} counted over {seconds_text(exercise.hold_ms)}"
        what += f", move {seconds_text(exercise.move_ms)}"
    else:
        what = f"{exercise.reps} rep{'s' if exercise.reps != 1 else ''}{sides}"
        what += f", move {seconds_text(exercise.move_ms)}"
        if exercise.hold_ms:
            what += f", hold {seconds_text(exercise.hold_ms)}"
    if exercise.relax_ms:
        what += f", relax {seconds_text(exercise.relax_ms)}"
    return what


def cache_lines(clear: bool) -> list[str]:
    """What the phrase cache holds (and, with `clear`, that it was emptied)."""
    from coach.speech.cache import CACHE_DIR_ENV, PhraseCache

    cache = PhraseCache.default()
    if clear:
        count, size = cache.clear()
        return [
            (
                f"Emptied the phrase cache in {cache.directory}: {count} phrases, {_size(size)} "
                "freed. They are made again as sessions need them."
            )
        ]
    count, size = cache.usage()
    return [
        f"Phrase cache: {cache.directory}",
        f"{count} phrases, {_size(size)}.",
        f"Empty it with `coach cache clear`; set {CACHE_DIR_ENV} to keep it elsewhere.",
    ]


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


ESPEAK_LICENCE = "GPL-3.0-or-later"
"""eSpeak NG's licence (the library espeakng-loader ships)."""

PIPER_LICENCE = "GPL-3.0-or-later"
"""piper-tts's licence (the runtime of the natural voice)."""


def voice_setting() -> str:
    """The voice a session uses when no --voice is given: the voice setting (the
    environment, then the settings file), else the best voice installed."""
    from coach.config import load_settings
    from coach.speech import default_voice

    return load_settings().voice or default_voice()


def voice_lines() -> list[str]:
    """Every voice, by engine: the natural (Piper) voice first, then eSpeak's, English
    first; each with what `--voice` takes, its name, and the licences; the default marked."""
    from coach.speech import open_engine, open_voice
    from coach.speech.piper import INSTALL_HINT, neural_installed

    default_engine, default_id = open_voice(voice_setting())
    voices = open_engine("espeak").voices()
    width = max(len(v.id) for v in voices)
    lines = ["Natural voice (Piper, neural; runtime piper-tts, " + PIPER_LICENCE + "):"]
    if neural_installed():
        piper = open_engine("piper")
        for voice in piper.voices():
            mark = (
                "  (default)" if default_engine.name == "piper" and voice.id == default_id else ""
            )
            licence = getattr(piper, "licence", "")
            lines.append(f"  {voice.id.ljust(width)}  {voice.name}; voice licence {licence}{mark}")
    else:
        lines.append(f"  not installed. {INSTALL_HINT}")
    lines.append("  Any downloaded Piper voice: --voice PATH.onnx (with its .onnx.json beside it).")
    english = [v for v in voices if v.is_english]
    others = [v for v in voices if not v.is_english and v.is_for_speech]
    last = [v for v in voices if not v.is_for_speech]  # a test voice, another alphabet
    lines.append(f"eSpeak NG voices (robotic, always installed; {ESPEAK_LICENCE}), English first:")
    for voice in english + others + last:
        mark = "  (default)" if default_engine.name == "espeak" and voice.id == default_id else ""
        lines.append(f"  {voice.id.ljust(width)}  {voice.name}{mark}")
    return lines


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
    from coach.render import check_length, output_format, render_session

    # Both before any synthesis, so a bad path fails at once; the place first, so a
    # folder given as the output is named as a folder rather than as a bad file name.
    output = check_writable(out)
    output_format(out)
    routine = load_routine(request.routine)
    if request.minutes is None:  # a session too long for the file fails before any speech
        silent = compile_routine(routine, CompileOptions(brief=request.brief)).silent_ms()
        check_length(out, silent, at_least=True)
    prepared = prepare_session(request, progress, routine=routine)
    check_length(out, prepared.session.timeline.total_ms)  # before mastering and writing
    with prepared.sounds.mastering_ahead(prepared.session.timeline, progress):
        rendered = render_session(prepared.session, prepared.sounds, output, encode_progress)
    chapters = f", {rendered.chapters} chapters" if rendered.chapters else ""
    return (
        f"Wrote {out}: {format_length(rendered.length_ms)}, {_size(rendered.size_bytes)}{chapters} "
        f"({prepared.session.describe_fit()})."
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
        prepared = prepare_session(request, progress)
        with prepared.sounds.mastering_ahead(prepared.session.timeline, progress):
            tracks = render_tracks(prepared.session, prepared.sounds, files, encode_progress)
        done = files.commit()
    return (
        f"Wrote {len(tracks)} tracks and the playlist {playlist_name(prepared.session)} in "
        f"{folder_path}: {format_length(prepared.session.timeline.total_ms)} "
        f"({prepared.session.describe_fit()}).{_earlier_split(done.removed, done.kept)}"
    )


def _earlier_split(removed: tuple[str, ...], kept: tuple[str, ...]) -> str:
    """What became of an earlier split's files, for the summary ("" when there were none)."""
    notes = ""
    if removed:
        notes += f" Removed the earlier split's {_files(len(removed))}."
    if kept:
        notes += (
            f" Left the earlier split's {_files(len(kept))} that changed since the coach wrote "
            f"them: {', '.join(kept)}."
        )
    return notes


def _files(count: int) -> str:
    return f"{count} other file{'s' if count != 1 else ''}"


PACK_MINUTES = (3.0, 5.0, 7.0)
"""The lengths of a pack when none are asked for; the full session is always in it too."""


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
    from coach.time import minutes_text

    with open_set(check_folder(folder_path), PACK) as files:
        sounds = open_sounds(request.voice, request.rate)
        routine = load_routine(request.routine)
        sounds.prepare(full_session_phrases(routine, request.brief), progress)
        full = build_session(routine, sounds, brief=request.brief)
        sessions = []
        in_full = []
        for length in sorted(set(minutes or PACK_MINUTES)):
            prepare_for_fit(routine, replace(request, minutes=length), sounds, progress)
            session = build_session(routine, sounds, minutes=length, brief=request.brief)
            if session.fitted.changes:
                sessions.append(session)
            else:
                in_full.append(length)
        sessions.append(full)
        names = [
            made.name
            for made in pack_names(routine.title, [s.minutes for s in sessions], request.brief)
        ]
        for session, name in zip(sessions, names, strict=True):
            check_length(files.folder / name, session.timeline.total_ms)
        files.claim(names)
        for session, name in zip(sessions, names, strict=True):
            with (
                sounds.mastering_ahead(session.timeline, progress),
                files.staged(name) as path,
            ):
                write_session(session, sounds, path, encode_progress, kind=Path(name))
        files.commit()
    lines = [
        f"Wrote {folder_path / name}: {format_length(session.timeline.total_ms)} "
        f"({session.describe_fit()})."
        for session, name in zip(sessions, names, strict=True)
    ]
    lines += [
        f"{minutes_text(length).capitalize()} is not shorter than the full session "
        f"({format_length(full.timeline.total_ms)}): that length is {names[-1]}."
        for length in in_full
    ]
    return lines


KEY_HELP = "Keys: space pause/resume, n next, p back (twice: the exercise before), q quit."
VOICE_HELP = (
    'Listening: say "coach pause", "coach go on", "coach next", "coach back" or "coach stop".'
)

START_ANSWERS = ("y", "yes")
NO_ANSWERS = ("n", "no", "q", "quit")


def parked_refusal(answer: str) -> str | None:
    """None if `answer`, a line typed at the safety prompt ("" at end of input), is a
    deliberate yes; otherwise the line to end with instead of starting."""
    word = answer.strip().lower()
    if word in START_ANSWERS:
        return None
    if word in NO_ANSWERS:
        return "Not started."
    again = "When you are parked with the engine off, run coach play again and type y."
    if not answer:
        return f"Not started: no answer was typed. {again}"
    return f"Not started: only y starts the session. {again}"


def play_live(
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
    """Play the session live; return the closing line.

    The audio device is opened first (no device fails at once, suggesting a render), then
    the speech is prepared (synthesis reported to `progress`, mastering to
    `master_progress`), then the device starts on silence while the user confirms they are
    parked (unless `confirmed`): `confirm()` returns the line they typed ("" at end of
    input), and only a deliberate yes starts (see `parked_refusal`). With `listen`, voice
    commands work alongside the keys (`coach.live.listener`); off a terminal, every control
    is logged on a line of its own.
    """
    import sys
    from contextlib import nullcontext

    from coach.live.listener import Listening, open_ears
    from coach.live.outputs import open_output
    from coach.live.player import Player
    from coach.live.status import SESSION_COMPLETE, format_event
    from coach.live.terminal import StatusLine, TerminalKeys
    from coach.sound.chimes import load_chime

    interactive = sys.stdin.isatty()
    _check_confirmable(confirmed, interactive)
    ears = open_ears() if listen else None  # a missing engine fails before any work
    output = open_output(backend)
    try:
        prepared = prepare_session(request, progress)
        prepared.sounds.prepare_audio(prepared.session.timeline, master_progress or progress)
        timeline = prepared.session.timeline
        say(
            f"{prepared.session.routine.title}: {format_length(timeline.total_ms)} "
            f"({prepared.session.describe_fit()})."
        )
        keys = TerminalKeys() if interactive else None
        display = StatusLine()
        player = Player(
            timeline,
            prepared.sounds.audio,
            output,
            keys=keys,
            display=display,
            closing_lines=len(prepared.session.routine.closing),
            acknowledge=load_chime("heard") if ears else None,
            on_event=None if sys.stdout.isatty() else lambda e: display.notice(format_event(e)),
        )
        listening = Listening(ears, player, display.notice) if ears else None
        player.warm()  # the device wakes up while the question is read
        if not confirmed:
            refusal = parked_refusal(confirm())
            if refusal is not None:
                return refusal
        with listening or nullcontext() as listener:
            if listener is not None:
                say(VOICE_HELP)
            if keys is None:
                finished = player.run().finished
            else:
                say(KEY_HELP)
                with keys:
                    finished = player.run().finished
    finally:
        output.close()
    return SESSION_COMPLETE if finished else "Stopped."


def _check_confirmable(confirmed: bool, interactive: bool) -> None:
    """Refuse to start where nobody can confirm being parked and --yes was not given."""
    from coach.errors import CoachError

    if not confirmed and not interactive:
        raise CoachError(
            "coach play needs you to confirm that you are parked with the engine off. Run it "
            "in a terminal and type y when asked, or pass --yes."
        )


def show_session(
    request: SessionRequest,
    *,
    as_json: bool,
    progress: Progress | None = None,
) -> str | dict[str, Any]:
    """The session as readable text, or as a JSON-ready dict (with measured speech lengths,
    so the times are the render's and live play's)."""
    prepared = prepare_session(request, progress)
    session = prepared.session
    if as_json:
        document = session.timeline.to_json()
        document["routine"] = session.routine.name
        phrases = prepared.sounds.phrases
        document["voice"] = {"engine": phrases.engine.name, "id": phrases.voice}
        document["brief"] = request.brief
        document["minutes"] = request.minutes
        document["changes"] = list(session.fitted.changes)
        return document
    return format_timeline(session.timeline, session.describe_fit())


def format_timeline(timeline: Timeline, fit_line: str) -> str:
    """A readable listing: chapters, then each clip with its start time."""

    long_session = timeline.total_ms >= 3_600_000  # every line in h:mm:ss, so they line up

    def clock(ms: int) -> str:
        return format_clock(ms, hours=True) if long_session else format_clock(ms, width=2)

    chapter_starts = {chapter.start_ms: chapter for chapter in timeline.chapters}
    shown_chapters: set[str | None] = set()
    lines = [f"{timeline.title}: {format_length(timeline.total_ms)} ({fit_line})", ""]
    hold_end = -1
    for clip in timeline.clips:
        chapter = chapter_starts.get(clip.start_ms)
        if chapter and chapter.title not in shown_chapters:
            shown_chapters.add(chapter.title)
            lines.append(f"{clock(clip.start_ms)}  == {chapter.title} ==")
        inside_hold = clip.start_ms < hold_end
        indent = "        " if inside_hold else "    "
        if clip.kind == "speech":
            lines.append(f'{clock(clip.start_ms)}{indent}"{clip.text}"')
        elif clip.kind == "chime":
            lines.append(f"{clock(clip.start_ms)}{indent}(chime: {clip.cue})")
        elif clip.kind in ("move", "hold", "relax"):
            what = {
                "move": "move",
                "hold": "counted movement" if clip.counted else "hold",
                "relax": "relax",
            }
            step = f", {clip.step}" if clip.step and clip.kind == "hold" else ""
            places = 3 if clip.kind == "hold" else 1  # a move or relax grown to fit its words
            lines.append(
                f"{clock(clip.start_ms)}{indent}"
                f"[{what[clip.kind]} {seconds_text(clip.length_ms, places)}{step}]"
            )
            hold_end = clip.end_ms
    lines.append(f"{clock(timeline.total_ms)}  end")
    return "\n".join(lines)


DEFAULT_PORT = 8765
"""The port `coach serve` listens on unless told: the same every time, so an address a
podcast app subscribed to keeps working."""

SERVE_KEY_NAME = "serve-key"
"""The file beside the settings file that holds the key of `coach serve`'s addresses."""


def serve_folder(
    folder_path: Path | None,
    *,
    host: str | None,
    port: int,
    new_address: bool,
    say: Callable[[str], None],
    progress: Progress | None,
    encode_progress: Progress | None,
) -> None:
    """Serve the sessions in a folder (default: the settings' output folder, else this
    one) to phones on the local network until stopped, after rendering the default pack
    into it when it holds none. Prints, through `say`, what it serves and where, with a QR
    code of the address."""
    from coach.config import config_path
    from coach.serve.app import ServeApp
    from coach.serve.catalog import Catalog
    from coach.serve.network import link_token, load_key
    from coach.serve.server import Server

    folder = _served_folder(folder_path).resolve()
    catalog = Catalog(folder)
    snapshot = catalog.snapshot()
    if not snapshot.sessions:
        say(
            f"No sessions in {folder} yet: rendering the default pack into it first "
            "(3, 5 and 7 minutes and the full session)."
        )
        request = session_request(None, None, None, None, None, pack=True)
        for line in render_pack(
            request, folder, None, progress=progress, encode_progress=encode_progress
        ):
            say(line)
        snapshot = catalog.snapshot()
    key, key_note = load_key(config_path().with_name(SERVE_KEY_NAME), renew=new_address)
    token = link_token(key, folder)
    app = ServeApp(catalog, token, "localhost", notice=lambda line: say(f"  {line}"))
    server = Server(app, host or "0.0.0.0", port)
    try:
        say(_serving_line(snapshot, folder))
        if snapshot.left_out:
            say(_left_out_line(snapshot.left_out))
        where = _where_to_open(host, server.port, token)
        app.host = where.host
        for line in where.lines:
            say(line)
        if key_note:
            say(key_note)
        say("Press Ctrl-C to stop.")
    except BaseException:
        server.close()
        raise
    server.run()


def _served_folder(folder_path: Path | None) -> Path:
    """The folder asked for, else the settings' output folder, else this one; a CoachError
    for a file."""
    from coach.config import load_settings
    from coach.errors import CoachError

    if folder_path is None:
        setting = load_settings().output
        folder_path = Path(setting).expanduser() if setting else Path()
    folder = folder_path.expanduser()
    if folder.exists() and not folder.is_dir():
        raise CoachError(
            f"{folder} is a file, not a folder: give coach serve the folder your sessions are "
            "in (or one to render them into)."
        )
    return folder


def _serving_line(snapshot: Any, folder: Path) -> str:
    """ "Serving 4 sessions from FOLDER: 3 minutes, 5 minutes, 7 minutes and full; and the 7
    tracks of 5 minutes." """
    wholes = [session.version for session in snapshot.sessions if not session.split]
    splits = [
        f"the {len(session.files)} tracks of {session.version}"
        for session in snapshot.sessions
        if session.split
    ]
    count = len(snapshot.sessions)
    parts = [_and_list(wholes)] if wholes else []
    parts += [_and_list(splits)] if splits else []
    return (
        f"Serving {count} session{'s' if count != 1 else ''} from {folder}: {'; and '.join(parts)}."
    )


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _left_out_line(count: int) -> str:
    files = "file" if count == 1 else "files"
    return (
        f"Left out {count} other MP3 {files} there: only sessions the coach rendered into "
        "this folder are served (no links to elsewhere, no copies)."
    )


@dataclass(frozen=True)
class _Where:
    host: str
    """host:port for the addresses the server makes when a request does not say."""
    lines: list[str]


def _where_to_open(host: str | None, port: int, token: str) -> _Where:
    """What to tell the user about where a phone opens the page: the address (with a QR
    code), the feed's, and the other addresses when the computer has several."""
    import ipaddress

    from coach.serve.network import phone_addresses
    from coach.serve.qr import terminal_qr

    def url(ip: str) -> str:
        shown = f"[{ip}]" if ":" in ip else ip
        return f"http://{shown}:{port}/{token}/"

    if host is not None and host not in ("", "0.0.0.0", "::"):
        try:
            local_only = ipaddress.ip_address(host.strip("[]")).is_loopback
        except ValueError:
            local_only = host == "localhost"
        address = url(host.strip("[]"))
        shown_host = address.split("/")[2]
        if local_only:
            return _Where(
                shown_host,
                [f"This computer only (--host {host}): open {address}", f"Feed: {address}feed.xml"],
            )
        return _Where(shown_host, _open_lines(address, terminal_qr(address)))
    addresses = phone_addresses()
    if not addresses:
        address = url("127.0.0.1")
        return _Where(
            address.split("/")[2],
            [
                (
                    "No network address found: this computer is not on a network a phone "
                    "could join. Connect it to the Wi-Fi (or the phone's hotspot) and run "
                    f"coach serve again. Meanwhile, this computer can open {address}"
                ),
            ],
        )
    best = addresses[0]
    address = url(best.ip)
    lines = _open_lines(address, terminal_qr(address))
    if len(addresses) > 1:
        others = "; ".join(f"{url(a.ip)} ({a.interface})" for a in addresses[1:])
        lines.append(
            f"This computer has {len(addresses)} network addresses; the one above is on "
            f"{best.interface}. If the phone is on another network, try: {others}."
        )
    return _Where(address.split("/")[2], lines)


def _open_lines(address: str, qr: str) -> list[str]:
    """The address, its QR code (where the terminal can show it), and the feed's address."""
    import sys

    try:
        qr.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        qr = "(A QR code of it would show here on a terminal that shows Unicode.)"
    return [
        "On your phone, on the same Wi-Fi, open this address (or scan the code):",
        "",
        f"    {address}",
        "",
        qr.rstrip("\n"),
        "",
        f"Podcast app (for offline play, with chapters): add {address}feed.xml",
    ]
