"""The built-in routines (the .toml files in this folder), and finding a routine by name or path.

This is the routine files' edge: it reads bytes from the package or from the user's file and
hands them to `coach.plan.routine.parse_routine`, which checks them. Every way a name or path
can fail becomes a `CoachError` saying what to give instead.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from coach.errors import CoachError
from coach.plan.routine import Routine, parse_routine

DEFAULT_ROUTINE = "rest-stop"
"""The routine used when none is named: the five exercises of the source article."""


TEMPLATE = "_template.toml"
"""The commented routine `coach new` writes; not a built-in routine (its name starts with _)."""


def builtin_names() -> list[str]:
    """Names of the routines shipped with the coach, sorted."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".toml") and not entry.name.startswith("_")
    )


def template_text() -> bytes:
    """The commented template routine, as `coach new` writes it."""
    return (resources.files(__name__) / TEMPLATE).read_bytes()


def load_routine(name_or_path: str | None) -> Routine:
    """Load a built-in routine by name, or a routine file by path (None: the default).

    Raises CoachError for a missing, unreadable or invalid file.
    """
    name = name_or_path or DEFAULT_ROUTINE
    if name in builtin_names():
        text = (resources.files(__name__) / f"{name}.toml").read_bytes()
        return parse_routine(text, source=f"built-in routine '{name}'", name=name)
    path = Path(name)
    try:
        exists = path.exists()
    except OSError as error:  # a name the system cannot take, e.g. too long
        raise CoachError(f"Cannot open routine file {name}: {error.strerror}.") from None
    if not exists:
        raise _not_found(name, path)
    if path.is_dir():
        raise CoachError(f"{name} is a folder, not a routine file. Give the path to a .toml file.")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CoachError(f"Could not read routine file {name}: {error.strerror}.") from None
    return parse_routine(data, source=str(path), name=path.stem)


def _not_found(name: str, path: Path) -> CoachError:
    """The error for a name that is neither a built-in routine nor an existing file."""
    looks_like_path = path.suffix == ".toml" or "/" in name or "\\" in name
    if looks_like_path:
        return CoachError(f"Routine file {name} does not exist. Check the path.")
    choices = ", ".join(builtin_names())
    return CoachError(
        f"There is no built-in routine called '{name}' and no file by that name. "
        f"Built-in routines: {choices}. To use your own, give the path to its .toml file."
    )
