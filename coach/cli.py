"""The command line: thin commands that parse options, call one function, and print.

Everything about how a command ends lives in `CoachGroup.main` (with its helpers in
`coach.console`): user errors (CoachError) become a one-paragraph "coach: " message and
exit status 2, option mistakes the same (in the product's words, saying what to type: the
option callbacks below), Ctrl-C, SIGTERM and SIGHUP "Stopped." with 128 + the signal's
number, and an output that cannot be written (a full disk) a clean message instead of a
traceback. Every command's --help never breaks a word at its hyphen.
Heavy modules are imported inside the commands so `coach --help` stays instant.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from coach.console import (
    CoachCommand,
    CoachContext,
    is_output_error,
    reopen_closed_streams,
    say_error,
    say_stopped,
    stop_printing,
    stop_signals,
    usage_message,
    while_stopping,
)
from coach.errors import CoachError, os_reason, printable

MINUTES_HELP = (
    "Fit the session to at most this many minutes (decimals allowed), by cutting words, "
    "reps, hold time and then whole exercises, and say what changed. Any number above the "
    "full session's length gives the full session."
)


class CoachGroup(click.Group):
    """The one place where a command's ending becomes an exit status and a message.

    A CoachError becomes "coach: <message>" with status 2, and so does a usage error (in
    the product's words); Ctrl-C (anywhere: in a command, at a prompt, while parsing)
    "Stopped." with status 130, and SIGTERM and SIGHUP the same with 143 and 129; an
    output that cannot be written (a full disk) "coach: ..." with status 2. Click is run with
    standalone_mode off so that it leaves all of these to this method, for `coach` and
    for tests that invoke the group alike.
    """

    context_class = CoachContext
    command_class = CoachCommand
    group_class = type  # a group inside (coach cache) is one of these too, with the same help

    def main(  # exits, as click standalone mode does
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,  # noqa: FBT001, FBT002 (click's own signature)
        **extra: Any,
    ) -> Any:
        try:
            with stop_signals():
                result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except CoachError as error:
            say_error(str(error))
            sys.exit(error.exit_code)
        except click.UsageError as error:
            say_error(usage_message(error, self._command_path(args, prog_name)))
            sys.exit(error.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except (click.Abort, KeyboardInterrupt) as error:
            # Click turns Ctrl-C into Abort, after starting a new line on stderr.
            say_stopped(error)
        except Exception as error:
            if while_stopping(error):
                # The clean-up after a stop failed: after SIGHUP the terminal is gone, so
                # writing to it or restoring its mode fails. The command was stopped.
                say_stopped(error)
            if not isinstance(error, OSError) or not is_output_error(error):
                raise
            stop_printing()
            if error.errno == errno.EBADF:
                say_error(
                    "Could not print the output: standard output is closed. Run the command "
                    "with its output going to a terminal, a file, or /dev/null."
                )
            else:
                say_error(
                    f"Could not print the output: {os_reason(error)}. "
                    "If it goes to a file, free some space on that disk or choose another."
                )
            sys.exit(2)
        if not standalone_mode:  # the caller asked for the command's result
            return result
        sys.exit(result if isinstance(result, int) else 0)

    def _command_path(self, args: Sequence[str] | None, prog_name: str | None) -> str:
        """ "coach show" for `coach show -m`: the command a usage error was made in."""
        words = list(sys.argv[1:] if args is None else args)
        name = prog_name or "coach"
        command = next((word for word in words if not word.startswith("-")), None)
        return f"{name} {command}" if command in self.commands else name


@click.group(cls=CoachGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coach")
def cli() -> None:
    """A voice-guided stretching coach for drivers.

    Talks you through a short routine for the neck and upper back at a rest stop: live
    through the speakers (`coach play`), or as an MP3 with one chapter per exercise to play
    from a phone (`coach render`), served to the phone over the Wi-Fi (`coach serve`). Only
    while parked, with the engine off.

    Examples:

    \b
      coach render -o rest-stop.mp3   the session as an MP3, for a phone
      coach play --minutes 5          the five-minute version, live
      coach show --brief              what the brief version says, and when
      coach new my-stretch.toml       a routine of your own, to edit
      coach serve phone/              the sessions, to a phone on the Wi-Fi
    """


def echo(text: str) -> None:
    """Print a line of a command's output, with any control character in it escaped (a
    setting, a variable or a file name can hold them; routine text cannot)."""
    click.echo(printable(text))


def routine_argument(function: Any) -> Any:
    return click.argument("routine", required=False, metavar="[ROUTINE]")(function)


def voice_options(function: Any) -> Any:
    """--voice and --rate, shared by the commands that speak or time speech."""
    from coach.speech.voices import DEFAULT_RATE, DEFAULT_VOICE, NEURAL_VOICE, RATE_RANGE

    function = click.option(
        "--voice",
        metavar="VOICE",
        help=f"Speech voice: {NEURAL_VOICE} (the natural voice), an eSpeak voice such as "
        f"en-us, or a Piper voice's .onnx file (see `coach voices`). Default: the voice "
        f"setting (`coach config`), else {NEURAL_VOICE} where installed, else {DEFAULT_VOICE}.",
    )(function)
    return click.option(
        "--rate",
        callback=_rate_option,
        metavar="WPM",
        help=f"Speaking rate in words per minute, {RATE_RANGE[0]} to {RATE_RANGE[1]} "
        f"(default {DEFAULT_RATE}, the natural voice's own pace).",
    )(function)


# --- option callbacks: a value checked here, or a CoachError saying what to type instead ---


def _rate_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    """--rate: a whole number of words per minute within the engine's range."""
    from coach.speech.voices import DEFAULT_RATE, RATE_RANGE, valid_rate

    if value is None:
        return None
    with contextlib.suppress(ValueError):
        rate = valid_rate(int(value))
        if rate is not None:
            return rate
    low, high = RATE_RANGE
    raise CoachError(
        f"--rate takes a whole number of words per minute from {low} to {high}, like "
        f"--rate {DEFAULT_RATE}, not {value!r}."
    )


def _path_option(_ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """-o, --split and --pack: a path, never an empty one (which would name this folder)."""
    if value is None:
        return None
    if not value.strip():
        option = max(param.opts, key=len)
        if option == "--output":
            needs = "a file's name, such as rest-stop.mp3"
        else:
            needs = "a folder's name; for this folder, give ."
        raise CoachError(f"{option} needs {needs} ({value!r} names nothing).")
    return Path(value)


_WITH_UNIT = re.compile(r"\s*(.+?)\s*(?:m|mins?|minutes?)\.?\s*", re.IGNORECASE)
_CLOCK = re.compile(r"(\d+):([0-5]\d)")


def _minutes_option(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> float | None:
    """--minutes: any number of minutes above 0, decimals allowed (one above the full
    length gives the full session). A near miss ("5min", "5:30", "7,5") is answered with
    the number to type."""
    return None if value is None else _minutes(value, decimal_comma=True)


def _minutes_list_option(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[float, ...] | None:
    """--minutes of `coach render`: one length, or several separated by commas ("3,5,10")
    for a pack, each as `_minutes_option` takes it."""
    if value is None:
        return None
    return tuple(_minutes(part.strip(), decimal_comma=False) for part in value.split(","))


def _minutes(value: str, *, decimal_comma: bool) -> float:
    """One number of minutes from the command line, or a CoachError saying what to type."""
    minutes = _positive_number(value)
    if minutes is not None:
        return minutes
    meant = _meant_minutes(value, decimal_comma=decimal_comma)
    if meant is not None:
        raise CoachError(
            f"--minutes takes just the number of minutes, like 5 or 7.5: for {value!r}, "
            f"type --minutes {meant:g}."
        )
    raise CoachError(f"--minutes takes a number of minutes above 0, like 5 or 7.5, not {value!r}.")


def _positive_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def _meant_minutes(value: str, *, decimal_comma: bool) -> float | None:
    """The number of minutes a near miss means: "5min" 5, "5:30" 5.5, and "7,5" 7.5 where
    a comma cannot be a list's."""
    with_unit = _WITH_UNIT.fullmatch(value)
    if with_unit:
        return _positive_number(with_unit[1])
    clock = _CLOCK.fullmatch(value.strip())
    if clock:
        return int(clock[1]) + int(clock[2]) / 60 or None
    if decimal_comma and value.count(",") == 1:
        return _positive_number(value.replace(",", "."))
    return None


def progress_bar(label: str, *, quiet: bool = False) -> Callable[[int, int], None] | None:
    """A progress bar on stderr, when stderr is a terminal; None otherwise.

    The callback takes (done, total). A call with done == 0 starts a new bar, so one
    callback can report several phases (synthesizing, then mastering).
    """
    if quiet or not sys.stderr.isatty():
        return None
    state: dict[str, Any] = {}

    def report(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None or done == 0:
            if bar is not None:
                bar.render_finish()
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.render_progress()
            state["bar"] = bar
            state["done"] = 0
        bar.update(done - state["done"])
        state["done"] = done
        if done >= total:
            bar.render_finish()
            state.pop("bar")

    return report


SPEECH_LABEL = "Synthesizing speech"
MASTER_LABEL = "Mastering speech"
ENCODE_LABEL = "Encoding"


def note_robotic_default(voice: str | None, *, quiet: bool = False) -> None:
    """Say on stderr how to get the natural voice, when the default fell back to eSpeak
    because it is not installed: `voice` is the request's, after the settings, so None means
    that neither --voice nor a setting chose one."""
    from coach.speech.piper import INSTALL_STEP, neural_installed

    if quiet or voice is not None or neural_installed():
        return
    click.echo(
        "coach: note: speaking with the robotic eSpeak voice; the natural voice is not "
        f"installed. {INSTALL_STEP}.",
        err=True,
    )


def session_options(function: Any) -> Any:
    """Options shared by show, render and play."""
    return _session_options(function, several=False)


def render_session_options(function: Any) -> Any:
    """The session options, with --minutes taking a list of lengths for --pack."""
    return _session_options(function, several=True)


def _session_options(function: Any, *, several: bool) -> Any:
    function = click.option(
        "--minutes",
        "-m",
        metavar="MINUTES",
        callback=_minutes_list_option if several else _minutes_option,
        help=MINUTES_HELP + (" With --pack, a list of lengths: 3,5,10." if several else ""),
    )(function)
    return click.option(
        "--brief/--no-brief",
        default=None,
        help="Short reminders instead of full instructions, for people who know the routine "
        "(--no-brief: full instructions, whatever the settings say).",
    )(function)


@cli.command("list")
def list_command() -> None:
    """The built-in routines, with their full and shortest lengths.

    A routine's name goes where a command takes ROUTINE; a path to a .toml file does too.

    Examples:

    \b
      coach list
      coach show rest-stop
    """
    from coach.commands import list_routines

    for line in list_routines(progress=progress_bar(SPEECH_LABEL)):
        echo(line)


@cli.command("voices")
def voices_command() -> None:
    """The speech voices on this machine; use one with --voice.

    The natural voice first, then eSpeak's (English first): what to give to --voice, the
    voice's name, the licences, and which voice is the default.

    Examples:

    \b
      coach voices
      coach render --voice gmw/en -o british.mp3
    """
    from coach.commands import voice_lines

    for line in voice_lines():
        echo(line)


@cli.command("new")
@click.argument("file", type=click.Path(path_type=Path))
def new_command(file: Path) -> None:
    """Write a commented routine to FILE, to make your own.

    It never writes over an existing file.

    Examples:

    \b
      coach new my-stretch.toml
      coach check my-stretch.toml
    """
    from coach.commands import new_routine

    echo(new_routine(file))


@cli.command("check")
@click.argument("routine", metavar="ROUTINE")
@voice_options
def check_command(routine: str, voice: str | None, rate: int | None) -> None:
    """Check a routine file: its lengths, and a line for each exercise.

    ROUTINE is a path to a .toml file (or a built-in routine name). The lengths are measured
    with the voice, as `coach show` would give them.

    Examples:

    \b
      coach check my-stretch.toml
    """
    from coach.commands import check_routine

    lines = check_routine(routine, voice=voice, rate=rate, progress=progress_bar(SPEECH_LABEL))
    for line in lines:
        echo(line)


@cli.group("cache", invoke_without_command=True)
@click.pass_context
def cache_command(ctx: click.Context) -> None:
    """Show where the phrase cache is and how big it is.

    Every phrase is synthesized once and kept, so later sessions start at once.
    `coach cache clear` empties it.

    Examples:

    \b
      coach cache
      coach cache clear
    """
    if ctx.invoked_subcommand is None:
        from coach.commands import show_cache

        for line in show_cache():
            echo(line)


@cache_command.command("clear")
def cache_clear_command() -> None:
    """Delete every cached phrase; each is made again when needed."""
    from coach.commands import clear_cache

    echo(clear_cache())


@cli.command("config")
@click.option(
    "--edit", is_flag=True, help="Open the settings file in your editor (made if missing)."
)
def config_command(*, edit: bool) -> None:
    """Show the settings in effect and where each comes from.

    The settings are the voice, rate, minutes, brief and output folder; --edit to change
    them.

    Examples:

    \b
      coach config
      coach config --edit
      COACH_MINUTES=5 coach play
    """
    from coach.config import config_path, describe, load_settings
    from coach.config import edit as edit_settings

    if edit:
        echo(edit_settings(config_path()))
    for line in describe(load_settings()):
        echo(line)


@cli.command("doctor")
def doctor_command() -> None:
    """Check speech, voices, audio, network, phrase cache and settings.

    Each line says ok, or NO with what is wrong and what to do about it; the exit status is
    1 if any part is missing.

    Examples:

    \b
      coach doctor
    """
    from coach.doctor import run_checks, summary

    checks = run_checks()
    for check in checks:
        mark = "ok " if check.ok else "NO "
        echo(f"{mark} {check.name:<13} {check.detail}")
    last = summary(checks)
    if last is not None:
        echo(last)
        sys.exit(1)


@cli.command("show")
@routine_argument
@session_options
@voice_options
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
def show_command(
    *,
    routine: str | None,
    minutes: float | None,
    brief: bool | None,
    voice: str | None,
    rate: int | None,
    as_json: bool,
) -> None:
    """Print the session as a timeline of what is said and when.

    Each line is a time, then what is said, a chime or a hold, under each exercise.

    ROUTINE is a built-in routine name or a path to a .toml file (default: rest-stop).
    Times use the measured length of each spoken phrase, so they are exactly those of
    `coach render` and `coach play` with the same options.

    Examples:

    \b
      coach show
      coach show --minutes 5
      coach show my-stretch.toml --json
    """
    from coach.commands import show_session
    from coach.preparation import request_with_settings

    request = request_with_settings(
        routine=routine, minutes=minutes, brief=brief, voice=voice, rate=rate
    )
    note_robotic_default(request.voice)
    output = show_session(
        request,
        as_json=as_json,
        progress=progress_bar(SPEECH_LABEL),
    )
    if isinstance(output, dict):
        echo(json.dumps(output, indent=2))
    else:
        echo(output)


@cli.command("render")
@routine_argument
@click.option(
    "--output",
    "-o",
    "output",
    # No dir_okay=False: click would reject a folder with its own usage error; the
    # render checks the path itself and says "coach: ... it is a folder" (exit 2).
    callback=_path_option,
    help="The file to write: .mp3 (with a chapter per exercise) or .wav. "
    "Default: ROUTINE.mp3 in this folder.",
)
@click.option(
    "--split",
    callback=_path_option,
    metavar="FOLDER",
    help="Write one MP3 per part instead (01 Before you start.mp3, 02 Neck release.mp3, ...) "
    "and a playlist, so a car's next and previous buttons step through the exercises.",
)
@click.option(
    "--pack",
    callback=_path_option,
    metavar="FOLDER",
    help="Write several lengths instead, one MP3 each, named by length: 3, 5 and 7 minutes "
    "and the full session, or the lengths given with --minutes (3,5,10).",
)
@render_session_options
@voice_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary line.")
def render_command(
    *,
    routine: str | None,
    output: Path | None,
    split: Path | None,
    pack: Path | None,
    minutes: tuple[float, ...] | None,
    brief: bool | None,
    voice: str | None,
    rate: int | None,
    quiet: bool,
) -> None:
    """Render the session to an MP3 to play from a phone, eyes-free.

    ROUTINE is a built-in routine name or a path to a .toml file (default: rest-stop).
    The file is written whole or not at all: an earlier file of the same name is only
    replaced once the new one is complete.

    Examples:

    \b
      coach render -o rest-stop.mp3
      coach render --minutes 5 -o five.mp3
      coach render --split car/
      coach render --pack phone/ --minutes 3,5,10
    """
    from coach.commands import render
    from coach.preparation import request_with_settings

    chosen = [
        name for name, value in (("-o", output), ("--split", split), ("--pack", pack)) if value
    ]
    if len(chosen) > 1:
        raise click.UsageError(
            f"Give one of {' and '.join(chosen)}: each writes the session its own way."
        )
    if minutes is not None and len(minutes) > 1 and pack is None:
        raise click.UsageError("Several lengths in --minutes make a pack: add --pack FOLDER.")
    one = minutes[0] if minutes and len(minutes) == 1 else None
    request = request_with_settings(
        routine=routine,
        minutes=None if pack is not None else one,
        brief=brief,
        voice=voice,
        rate=rate,
        pack=pack is not None,
    )
    note_robotic_default(request.voice, quiet=quiet)
    lines = render(
        request,
        out=output,
        split=split,
        pack=pack,
        pack_minutes=minutes,
        progress=progress_bar(SPEECH_LABEL, quiet=quiet),
        encode_progress=progress_bar(ENCODE_LABEL, quiet=quiet),
    )
    if not quiet:
        for line in lines:
            echo(line)


@cli.command("play")
@routine_argument
@session_options
@voice_options
@click.option(
    "--audio-backend",
    "backend",
    metavar="NAME",
    help="Audio output: miniaudio (the default: your sound system) or null (silent).",
)
@click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Confirm you are parked with the engine off, without being asked.",
)
@click.option(
    "--listen/--no-listen",
    default=None,
    help='Also obey your voice: "coach pause", "coach go on", "coach next", "coach back", '
    '"coach stop" (default: the listen setting, else off).',
)
def play_command(
    *,
    routine: str | None,
    minutes: float | None,
    brief: bool | None,
    voice: str | None,
    rate: int | None,
    backend: str | None,
    yes: bool,
    listen: bool | None,
) -> None:
    """Play the session live through the speakers.

    ROUTINE is a built-in routine name or a path to a .toml file (default: rest-stop).
    Asks you to confirm that you are parked with the engine off before it starts: type y
    and press Enter. At a terminal: space pauses and resumes, n skips to the next exercise
    (or from the last one to the closing words), p goes back to the start of this exercise
    and, pressed again soon after, to the one before; q quits, Ctrl-C stops at once, and
    Ctrl-Z pauses until you bring coach back with fg. With --listen, your voice works too:
    "coach pause", "coach go on", "coach next", "coach back" and "coach stop".

    Examples:

    \b
      coach play
      coach play --minutes 5
      coach play my-stretch.toml --brief
    """
    from coach.commands import play
    from coach.preparation import request_with_settings

    def confirm() -> str:
        from coach.live.terminal import read_line

        click.echo("Only do this while parked, with the engine off. Stop if anything hurts.")
        click.echo("Type y and press Enter to start: ", nl=False)
        answer = read_line()
        if not answer:  # end of input (Ctrl-D): finish the prompt's line
            click.echo()
        return answer

    request = request_with_settings(
        routine=routine, minutes=minutes, brief=brief, voice=voice, rate=rate
    )
    note_robotic_default(request.voice)
    if listen is None:
        from coach.config import load_settings

        listen = load_settings().listen
    closing = play(
        request,
        backend=backend,
        confirmed=yes,
        progress=progress_bar(SPEECH_LABEL),
        confirm=confirm,
        say=echo,
        master_progress=progress_bar(MASTER_LABEL),
        listen=listen,
    )
    echo(closing)


def _port_option(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    """--port: a whole number from 0 (any free port) to 65535."""
    with contextlib.suppress(ValueError):
        port = int(value)
        if 0 <= port <= 65535:
            return port
    raise CoachError(
        f"--port takes a port number from 1 to 65535, like --port 8765, not {value!r}."
    )


@cli.command("serve")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option(
    "--host",
    metavar="ADDRESS",
    help="Listen on this address only: one of this computer's (coach doctor lists them), or "
    "127.0.0.1 for this computer alone. Default: every network it is on.",
)
@click.option(
    "--port",
    default="8765",
    callback=_port_option,
    metavar="PORT",
    help="The port to listen on (default 8765; 0 takes any free one).",
)
@click.option(
    "--new-address",
    is_flag=True,
    help="Make a new secret part of the address: anyone who has the old one loses it, and "
    "podcast apps must subscribe again.",
)
def serve_command(*, folder: Path | None, host: str | None, port: int, new_address: bool) -> None:
    """Serve the sessions to a phone on the Wi-Fi, with a podcast feed.

    Serves the sessions the coach rendered in FOLDER (default: the output folder of your
    settings, else this folder), and nothing else; when it holds none, the default pack is
    rendered into it first. Open the address it prints on the phone, or scan the QR code:
    the page plays each session and jumps to its exercises, and a podcast app subscribed
    to the feed keeps them offline, with chapters. The address has a secret part, so only
    people you show it to find it. Ctrl-C stops it.

    Examples:

    \b
      coach serve
      coach serve phone/
      coach serve --host 127.0.0.1 --port 8000
    """
    from coach.commands import serve

    serve(
        folder,
        host=host,
        port=port,
        new_address=new_address,
        say=click.echo,
        progress=progress_bar(SPEECH_LABEL),
        encode_progress=progress_bar(ENCODE_LABEL),
    )


def main() -> None:
    """Entry point of the `coach` command."""
    reopen_closed_streams()
    cli.main(prog_name="coach")
