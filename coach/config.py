"""Settings: the voice, rate, length, brief mode, output folder and listening a user wants by
default.

They come from, in order of precedence: the command line, the environment (`COACH_VOICE`,
`COACH_RATE`, `COACH_MINUTES`, `COACH_BRIEF`, `COACH_OUTPUT`, `COACH_LISTEN`), the settings file
(`config.toml` in the user config folder, or the file `COACH_CONFIG` names), and the
coach's own defaults. `coach config` shows each value in effect and where it came from.
A mistake in the file or the environment is a CoachError naming the line or the variable.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.errors import CoachError, visible
from coach.plan.toml_limits import SETTINGS_LIMITS, check_toml_limits

CONFIG_ENV = "COACH_CONFIG"
"""Environment variable naming the settings file to use instead of the user's."""

MAX_CONFIG_BYTES = 64_000
"""A settings file is a few lines; anything bigger is not one."""

KEYS = ("voice", "rate", "minutes", "brief", "output", "listen")
"""Every setting, in the order `coach config` lists them."""

ENVIRONMENT = {key: f"COACH_{key.upper()}" for key in KEYS}

TEMPLATE = """\
# Settings for coach. Flags on the command line override these, and so do the environment
# variables COACH_VOICE, COACH_RATE, COACH_MINUTES, COACH_BRIEF, COACH_OUTPUT and COACH_LISTEN.
# Remove the # in front of a line to use it. `coach config` shows what is in effect.

# voice = "joe"            # a voice from `coach voices`
# rate = 155               # words per minute, 80 to 300
# minutes = 5              # the length to fit sessions to; leave out for the full session
# brief = false            # true: short reminders instead of full instructions
# output = "~/Music/coach" # the folder `coach render` writes to when -o is not given
# listen = true            # coach play listens for "coach pause", "coach next", ...
"""


@dataclass(frozen=True)
class Settings:
    """The settings in effect, before the command line is taken into account. A value the
    file and the environment leave out is None (or False), meaning the coach's own default;
    `sources` says where each of the others came from ("$COACH_VOICE", "the settings file,
    PATH")."""

    path: Path
    """The settings file (it need not exist)."""
    voice: str | None = None
    rate: int | None = None
    minutes: float | None = None
    brief: bool = False
    output: str | None = None
    listen: bool = False
    sources: Mapping[str, str] = field(default_factory=dict)

    def source(self, key: str) -> str | None:
        """Where the setting `key` came from, or None for the coach's own default."""
        return self.sources.get(key)


def config_path() -> Path:
    """The settings file: `$COACH_CONFIG`, else `config.toml` in the user config folder."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("coach")) / "config.toml"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from the file and the environment (the environment wins)."""
    environ = os.environ if environ is None else environ
    path = config_path()
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, value in _read_file(path).items():
        values[key], sources[key] = value, f"the settings file, {path}"
    for key, variable in ENVIRONMENT.items():
        text = environ.get(variable)
        if text is not None and text.strip():
            values[key] = _from_environment(key, variable, text)
            sources[key] = f"${variable}"
    return Settings(path, **values, sources=sources)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        if not path.is_file():
            if path.exists():
                raise CoachError(
                    f"The settings file {path} is not a regular file. Point {CONFIG_ENV} at "
                    "a .toml file, or remove what is there."
                )
            return {}
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise CoachError(
                f"The settings file {path} is over {MAX_CONFIG_BYTES // 1000} kB: a settings "
                "file is a few lines. Check that it is the right file."
            )
        data = path.read_bytes()
    except OSError as error:
        raise CoachError(f"Could not read the settings file {path}: {error.strerror}.") from None
    try:
        text = data.decode("utf-8-sig")
        check_toml_limits(text, f"The settings file {path}", SETTINGS_LIMITS)
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise CoachError(f"The settings file {path} is not UTF-8 text. Save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as error:
        raise CoachError(
            f"The settings file {path} is not valid TOML: {error}. Fix that line, or run "
            "`coach config --edit`."
        ) from None
    return {
        key: _checked(key, value, _place(path, text, key))
        for key, value in _known(path, document).items()
    }


def _known(path: Path, document: Mapping[str, Any]) -> Mapping[str, Any]:
    for key in document:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise CoachError(
                f"The settings file {path} has '{key}', which is not a setting.{hint} The "
                f"settings are {', '.join(KEYS)}."
            )
    return document


def _place(path: Path, text: str, key: str) -> str:
    """Where `key` is set in the file: "{path}, line 3"."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=", re.MULTILINE)
    match = pattern.search(text)
    line = text[: match.start()].count("\n") + 1 if match else 0
    return f"The settings file {path}, line {line}" if line else f"The settings file {path}"


def _checked(key: str, value: Any, where: str) -> Any:
    """`value` if it is right for `key`; else a CoachError that starts with `where`."""
    if key in ("voice", "output"):
        if not isinstance(value, str) or not value.strip():
            raise CoachError(f"{where}: '{key}' should be text in quotes, like {_EXAMPLES[key]}.")
        return value.strip()
    if key in ("brief", "listen"):
        if not isinstance(value, bool):
            raise CoachError(f"{where}: '{key}' should be true or false.")
        return value
    if key == "rate":
        from coach.speech.voices import RATE_RANGE, valid_rate

        if valid_rate(value) is None:
            low, high = RATE_RANGE
            raise CoachError(
                f"{where}: 'rate' should be a whole number of words per minute from {low} to "
                f"{high}, like 155."
            )
        return value
    # minutes: any number above 0, as for --minutes (one above the full length is the full
    # session)
    minutes = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            minutes = float(value)
        except OverflowError:  # an integer of hundreds of digits
            minutes = math.inf
    if not math.isfinite(minutes) or minutes <= 0:
        raise CoachError(
            f"{where}: 'minutes' should be a number of minutes above 0, like 5 or 7.5; "
            "leave it out for the full session."
        )
    return minutes


_EXAMPLES = {"voice": '"joe"', "output": '"~/Music/coach"'}


def _from_environment(key: str, variable: str, text: str) -> Any:
    """The value of ${variable}, as its setting expects it."""
    where = f"${variable} ({text!r})"
    text = text.strip()
    if key in ("brief", "listen"):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise CoachError(f"{where}: {variable} should be true or false (or 1 or 0).")
    if key in ("rate", "minutes"):
        try:
            number: Any = int(text) if key == "rate" else float(text)
        except ValueError:
            number = None
        if number is None:
            kind = "a whole number" if key == "rate" else "a number of minutes"
            raise CoachError(f"{where}: {variable} should be {kind}.")
        return _checked(key, number, where)
    return _checked(key, text, where)


def describe(settings: Settings) -> list[str]:
    """`coach config`'s report: the file, each setting in effect and where it came from."""
    from coach.speech.voices import DEFAULT_RATE, best_voice

    defaults = {
        "voice": best_voice(),
        "rate": DEFAULT_RATE,
        "minutes": "the full session",
        "brief": False,
        "output": "this folder",
        "listen": False,
    }
    there = settings.path.is_file()
    lines = [
        f"Settings file: {settings.path}"
        + ("" if there else " (not there yet: `coach config --edit` makes one)"),
        "",
    ]
    for key in KEYS:
        source = settings.source(key)
        value = getattr(settings, key) if source else defaults[key]
        source = source or "the coach's default"
        lines.append(f"  {key:<8} {shown(key, value):<20} from {source}")
    lines += [
        "",
        "Flags on the command line override these, and these environment variables override",
        f"the file: {', '.join(ENVIRONMENT.values())}.",
        f"{CONFIG_ENV} names another settings file; `coach config --edit` opens this one.",
    ]
    return lines


def shown(key: str, value: Any) -> str:
    """A setting's value as `coach config` shows it.

    >>> shown("brief", True), shown("minutes", 5.0), shown("minutes", 4.5), shown("voice", "joe")
    ('yes', '5', '4.5', 'joe')
    """
    if key in ("brief", "listen"):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else visible(str(value))


def edit(path: Path) -> str:
    """Make the settings file (a commented template) if it is missing, and open it in the
    user's editor ($VISUAL or $EDITOR); the file is checked afterwards. CoachError, saying
    what is in the way, when the file cannot be made or the editor not started."""
    import click

    from coach.files import check_writable, replace_file

    if not path.exists():
        _make_folder(path)
        replace_file(check_writable(path).path, TEMPLATE.encode("utf-8"))
    try:
        click.edit(filename=str(path))
    except click.ClickException as error:
        raise CoachError(
            f"Could not open the settings file in an editor ({error.format_message()}). Set "
            f"$VISUAL or $EDITOR to your editor, or edit {path} yourself."
        ) from None
    load_settings()  # a mistake made in the editor is reported now, not at the next command
    return f"Saved {path}."


def _make_folder(path: Path) -> None:
    """The settings file's folder, made if missing; CoachError naming what is in the way."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        blocker = path.parent
        while blocker != blocker.parent and not blocker.exists():
            blocker = blocker.parent
        if blocker.exists() and not blocker.is_dir():
            why = f"{blocker} is a file, not a folder"
        else:
            why = (error.strerror or str(error)).lower()
        raise CoachError(
            f"Cannot make the settings file {path}: {why}. Set {CONFIG_ENV} to a settings "
            "file in a folder you can write, or fix that path."
        ) from None
