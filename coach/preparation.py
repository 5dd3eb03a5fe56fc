"""Preparing a session: from what a command was asked for, and the settings, to a fitted
session placed in time, with every phrase it says made and measured.

Every command that speaks comes through here (`prepare_session`; `list` and `check` through
`routine_lengths`): find the routine, open the voice (an error about a voice the settings
chose says so), synthesize what the session says and what fitting will measure, a batch at
a time, then fit and place it on the timeline. What follows is the command's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from coach.plan.compiler import CompileOptions, compile_routine
from coach.plan.fit import Fitted, shortest_session
from coach.plan.lengths import KnownLengths, SpeechLengths
from coach.plan.routine import Routine
from coach.plan.session import Session, build_session
from coach.progress import Progress
from coach.routines import load_routine
from coach.sound.session_sounds import SessionSounds, open_sounds

Measured = TypeVar("Measured")


@dataclass(frozen=True, kw_only=True)
class SessionRequest:
    """What a command is asked for: which routine, how long, how spoken.

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


def request_with_settings(
    *,
    routine: str | None = None,
    minutes: float | None = None,
    brief: bool | None = None,
    voice: str | None = None,
    rate: int | None = None,
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


def voice_in_effect() -> str:
    """The voice a session uses when no --voice is given: the voice setting (the
    environment, then the settings file), else the best voice installed."""
    from coach.config import load_settings
    from coach.speech.voices import default_voice

    return load_settings().voice or default_voice()


@dataclass(frozen=True)
class Prepared:
    """A session ready to be heard: its timeline and the sounds it was measured with."""

    session: Session
    sounds: SessionSounds


def prepare_session(
    request: SessionRequest,
    *,
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
    sounds.synthesize(session_phrases(routine, request), progress)
    prepare_for_fit(routine, request, sounds, progress=progress)
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


def full_session_phrases(routine: Routine, *, brief: bool = False) -> list[str]:
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
        return full_session_phrases(routine, brief=request.brief)
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
    *,
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
        sounds.synthesize(fitted.script.phrases(), progress)


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
        sounds.synthesize(stand_in.asked, progress)


def shortest_version(
    routine: Routine, sounds: SessionSounds, *, progress: Progress | None
) -> Fitted:
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


@dataclass(frozen=True)
class RoutineLengths:
    """A routine measured with a voice: its full and brief sessions, and its shortest
    version."""

    full: Session
    brief: Session | None
    """None when it was not asked for."""
    shortest: Fitted


def routine_lengths(
    name_or_path: str | None,
    request: SessionRequest,
    *,
    progress: Progress | None,
    with_brief: bool = True,
) -> tuple[Routine, RoutineLengths]:
    """Load a routine and measure it with the request's voice and rate: in full, brief
    (unless not `with_brief`) and at its shortest."""
    routine = load_routine(name_or_path)
    sounds = open_request_sounds(request)
    for brief in (False, True) if with_brief else (False,):
        sounds.synthesize(full_session_phrases(routine, brief=brief), progress)
    full = build_session(routine, sounds)
    brief_session = build_session(routine, sounds, brief=True) if with_brief else None
    return routine, RoutineLengths(
        full, brief_session, shortest_version(routine, sounds, progress=progress)
    )


@dataclass(frozen=True)
class Pack:
    """A session at several lengths: the shorter versions, by length, then the full one;
    and the lengths asked for that came out as the full session."""

    routine: Routine
    sounds: SessionSounds
    sessions: list[Session]
    in_full: list[float]


def prepare_pack(
    request: SessionRequest, lengths: tuple[float, ...], *, progress: Progress | None
) -> Pack:
    """The request's session at each of `lengths` (minutes) and in full, every phrase made
    once for all of them."""
    sounds = open_request_sounds(request)
    routine = load_routine(request.routine)
    sounds.synthesize(full_session_phrases(routine, brief=request.brief), progress)
    full = build_session(routine, sounds, brief=request.brief)
    sessions = []
    in_full = []
    for length in sorted(set(lengths)):
        prepare_for_fit(routine, replace(request, minutes=length), sounds, progress=progress)
        session = build_session(routine, sounds, minutes=length, brief=request.brief)
        if session.fitted.changes:
            sessions.append(session)
        else:
            in_full.append(length)
    return Pack(routine, sounds, [*sessions, full], in_full)
