"""Finding a routine by name or path, and reading the built-in ones (the .toml files in
coach/routines), the template and a user's file.

This is the routine files' edge: it reads bytes from the package or from the user's file and
hands them to `coach.plan.routine.parse_routine`, which checks them. Every way a name or path
can fail becomes a `CoachError` saying what to give instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from importlib import resources
from pathlib import Path

from coach.errors import CoachError, os_reason
from coach.plan.routine import Routine, parse_routine

PACKAGE = "coach.routines"
"""Where the built-in routines and the template are installed."""

DEFAULT_ROUTINE = "rest-stop"
"""The routine used when none is named: the five exercises of the source article."""


TEMPLATE = "_template.toml"
"""The commented routine `coach new` writes; not a built-in routine (its name starts with _)."""


def builtin_names() -> list[str]:
    """Names of the routines shipped with the coach, sorted."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files(PACKAGE).iterdir()
        if entry.name.endswith(".toml") and not entry.name.startswith("_")
    )


def template_text() -> bytes:
    """The commented template routine, as `coach new` writes it."""
    return (resources.files(PACKAGE) / TEMPLATE).read_bytes()


MAX_FILE_BYTES = 1_000_000
"""The largest routine file read: a routine of 30 exercises is a few kB, so anything near
this size is some other file given by mistake, and reading stops here rather than filling
memory (a device such as /dev/zero never ends)."""


def load_routine(name_or_path: str | None) -> Routine:
    """Load a built-in routine by name, or a routine file by path (None: the default).

    Only a regular file is read (not a folder, a device or a pipe, which could hang or
    never end), and at most MAX_FILE_BYTES of it. Raises CoachError for a missing,
    unreadable, too large or invalid file.
    """
    name = name_or_path or DEFAULT_ROUTINE
    if name in builtin_names():
        text = (resources.files(PACKAGE) / f"{name}.toml").read_bytes()
        return parse_routine(text, source=f"built-in routine '{name}'", name=name)
    path = Path(name)
    return parse_routine(_read_file(name, path), source=str(path), name=path.stem)


def _read_file(name: str, path: Path) -> bytes:
    """The bytes of the routine file at `path` (typed as `name`), checked to be a regular
    file of a sensible size. Opened without blocking, so a pipe with no writer cannot hang
    the command, and checked on the opened file, so what is read is what was checked."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise _open_error(name, path, error) from None
    try:
        _check_regular(name, os.fstat(descriptor).st_mode)
    except BaseException:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor, "rb") as file:
        try:
            data = file.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise CoachError(f"Could not read routine file {name}: {os_reason(error)}.") from None
    if len(data) > MAX_FILE_BYTES:
        raise CoachError(
            f"{name} is larger than {MAX_FILE_BYTES // 1_000_000} MB, far too large for a "
            "routine file (a routine is a few kB). Check that this is the file you meant."
        )
    return data


def _check_regular(name: str, mode: int) -> None:
    """CoachError unless `mode` is that of a regular file."""
    problem = _not_regular(name, mode)
    if problem is not None:
        raise problem


def _not_regular(name: str, mode: int) -> CoachError | None:
    """The error for a path whose file is not a regular file (None when it is one)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return CoachError(f"{name} is a folder, not a routine file. Give the path to a .toml file.")
    return CoachError(
        f"{name} is {_file_kind(mode)}, not a routine file: the coach reads only ordinary "
        "files. Give the path to a .toml file."
    )


def _file_kind(mode: int) -> str:
    """What a file that is not a regular file or a folder is, for a message."""
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not an ordinary file"


_OPEN_PROBLEMS = {
    errno.ELOOP: "Cannot open routine file {name}: it is a symbolic link that leads back to "
    "itself (a loop of links). Give the path of the file itself.",
    errno.EACCES: "You may not read routine file {name} (permission denied). Check its "
    "permissions, or copy it somewhere you can read it.",
    errno.ENOTDIR: "Routine file {name} does not exist: part of that path is a file, not a "
    "folder. Check the path.",
}
_OPEN_PROBLEMS[errno.EPERM] = _OPEN_PROBLEMS[errno.EACCES]


def _open_error(name: str, path: Path, error: OSError) -> CoachError:
    """The error for a routine path that cannot be opened, by what the system said."""
    if error.errno == errno.ENOENT:
        if path.is_symlink():
            return CoachError(
                f"Routine file {name} is a link to {path.readlink()}, which does not "
                "exist. Check the link or give the path of the file itself."
            )
        return _not_found(name, path)
    if error.errno in _OPEN_PROBLEMS:
        return CoachError(_OPEN_PROBLEMS[error.errno].format(name=name))
    with contextlib.suppress(OSError):  # a socket, say, cannot be opened at all
        problem = _not_regular(name, path.stat().st_mode)
        if problem is not None:
            return problem
    return CoachError(f"Cannot open routine file {name}: {os_reason(error)}.")


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
