"""Playing a session live: the safety question, the device, the keys and, with --listen,
the microphone; the player itself is `coach.live.player`."""

from __future__ import annotations

from collections.abc import Callable

from coach.preparation import SessionRequest, prepare_session
from coach.progress import Progress
from coach.time import format_length

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
    _check_confirmable(confirmed=confirmed, interactive=interactive)
    ears = open_ears() if listen else None  # a missing engine fails before any work
    output = open_output(backend)
    try:
        prepared = prepare_session(request, progress=progress)
        prepared.sounds.master_all(prepared.session.timeline, master_progress or progress)
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


def _check_confirmable(*, confirmed: bool, interactive: bool) -> None:
    """Refuse to start where nobody can confirm being parked and --yes was not given."""
    from coach.errors import CoachError

    if not confirmed and not interactive:
        raise CoachError(
            "coach play needs you to confirm that you are parked with the engine off. Run it "
            "in a terminal and type y when asked, or pass --yes."
        )
