"""Files at the edge: every file the coach writes is either complete or not there at all.

The data goes to a temporary file in the target's folder (same file system, so the final
rename is atomic), which is renamed over the target only when the writing finished without
an exception. On any exception, KeyboardInterrupt included, the temporary file is deleted
and whatever was at the target before is left untouched. One writer serves both kinds of file:

- outputs (`check_writable`, then `atomic_path`): checked up front, so a command fails in a
  second, before minutes of rendering, when the output cannot be written; the temporary
  file's `Path` is handed out for code that works on a file by name (the MP3 writer, mutagen
  adding tags), and the result is fsynced before and after the rename;
- the phrase cache (`replace_file`): bytes written whole, not fsynced (a cache entry that a
  power cut loses is only made again).

While it is being written, a temporary file is locked (`flock`, which the system releases
when the process ends, however it ends), so `remove_abandoned` can tell a temporary file
that a killed coach left behind from one that another running coach is still writing, and
deletes only the first kind, and only files of this module's own naming
(`.{name}.{8 hex digits}.tmp`, the name cut to fit in 255 bytes when it is a long one,
see `coach.filenames.temporary_target`). `check_writable` does that for its target's name; a folder
that only the coach writes (the phrase cache) can be swept for every name.

Problems the user can fix become `CoachError` with a one-paragraph message naming the path:
a missing folder, a folder that is a file, a target that is a folder, no permission, a full
disk (ENOSPC) or any other OSError while writing. An OSError that names some other file (a
read error in the caller's own code, say) passes through unchanged, so it is not mistaken
for a problem with the output; the temporary file is removed either way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import CoachError, os_reason
from coach.filenames import temporary_target

try:
    import fcntl
except ImportError:  # Windows: no flock; temporary files are then never swept
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from collections.abc import Iterator

_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.[0-9a-f]{8}\.tmp", re.DOTALL)
"""How `_create_temp` names a temporary file: a dot, the target's name, 8 hex digits."""


def _hint(exc: OSError, folder: Path) -> str:
    """What the user can do about `exc`."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk holding {folder} is full: free some space or choose another folder."
    if exc.errno == errno.EROFS:
        return f"{folder} is on a read-only disk: choose another folder."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"You may not write in {folder}: choose another folder or change its permissions."
    return "Check the folder and the disk, then try again, or choose another folder."


@dataclass(frozen=True)
class OutputPath:
    """An output file that `check_writable` has cleared: `path` is the file to replace (a
    symlink already followed). Only `check_writable` makes these, so holding one means the
    check was done, once."""

    path: Path


def check_writable(path: Path | str) -> OutputPath:
    """The file that writing to `path` will create or replace, after checking it can be done.

    A symlink is followed, so the file it points to is replaced and the link kept. Raises
    CoachError when `path` is a folder or another non-regular file, when its folder is
    missing or is a file, or when no file can be created in the folder (checked by creating
    and removing a small temporary file, which also catches read-only disks and ACLs that
    permission bits do not show, and works the same for root).
    """
    target = Path(path).expanduser()
    try:
        if target.is_symlink():
            target = target.resolve(strict=False)
        target.exists()  # raises for a name the system cannot take, e.g. too long
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise CoachError(
            f"Cannot write the output to {path}: {os_reason(exc)}. Choose another file name."
        ) from None
    if target.is_dir():
        raise CoachError(
            f"Cannot write the output to {target}: it is a folder. Give a file name "
            f"inside it instead, such as {target / 'session.mp3'}."
        )
    if target.exists() and not target.is_file():
        raise CoachError(
            f"Cannot write the output to {target}: something other than a regular file "
            "is there (a device or a pipe). Choose another file name."
        )
    if target.is_file() and _read_only(target):
        raise CoachError(
            f"{target} is read-only, so the coach leaves it as it is. To replace it, make it "
            f"writable first (`chmod u+w {target}`), or choose another name."
        )
    folder = target.parent
    if not folder.is_dir():
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if existing.exists() and not existing.is_dir():
            raise CoachError(
                f"Cannot write {target}: {existing} is a file, not a folder. "
                "Choose an output path inside an existing folder."
            )
        raise CoachError(
            f"Cannot write {target}: the folder {folder} does not exist. Create it first "
            f"(for example `mkdir -p {folder}`) or choose an existing folder."
        )
    remove_abandoned(folder, target.name)
    try:
        probe = _create_temp(target)
    except OSError as exc:
        raise CoachError(
            f"Cannot write {target}: creating a file in {folder} failed "
            f"({os_reason(exc)}). {_hint(exc, folder)}"
        ) from exc
    with contextlib.suppress(OSError):
        probe.path.unlink()
    os.close(probe.descriptor)
    return OutputPath(target)


def _read_only(path: Path) -> bool:
    """True for a file its owner made read-only (no write permission for anyone), or one
    this user may not write; the first holds for root too, who may write anything."""
    try:
        return not path.stat().st_mode & 0o222 or not os.access(path, os.W_OK)
    except OSError:
        return False


@dataclass(frozen=True)
class OutputFolder:
    """A folder that `check_folder` has made sure exists and takes new files."""

    path: Path


def check_folder(path: Path | str) -> OutputFolder:
    """The folder to write several outputs in, created (with its parents) if it is missing,
    after checking that files can be created there. CoachError, naming the folder, when it
    is a file or cannot be made or written.
    """
    folder = Path(path).expanduser()
    try:
        if folder.exists() and not folder.is_dir():
            raise CoachError(
                f"Cannot write into {folder}: it is a file, not a folder. Give the name of a "
                "folder (it is made if it does not exist)."
            )
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CoachError(
            f"Cannot make the folder {folder}: {os_reason(exc)}. {_hint(exc, folder.parent)}"
        ) from exc
    check_writable(folder / "coach-probe.mp3")
    return OutputFolder(folder)


@dataclass(frozen=True)
class _Temporary:
    """A temporary file the coach made and holds open (and so locked)."""

    descriptor: int
    path: Path


def _create_temp(target: Path, mode: int = 0o666) -> _Temporary:
    """A new, empty, hidden file next to `target`, opened for writing and locked against
    `remove_abandoned`. The lock lasts while the descriptor is open.

    Mode 0o666 lets the umask decide the permissions, as for any newly created file
    (mkstemp would force 0o600); a secret asks for 0o600. O_EXCL with a random name never
    touches an existing file.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = target.with_name(f".{temporary_target(target.name)}.{secrets.token_hex(4)}.tmp")
        try:
            descriptor = os.open(temp, flags, mode)
        except FileExistsError:
            continue
        if _lock_new(descriptor, temp):
            return _Temporary(descriptor, temp)
        os.close(descriptor)  # a sweep took it in the instant before the lock: make another


def _lock_new(descriptor: int, temp: Path) -> bool:
    """Lock a just-created temporary file; False if a sweep got to it first.

    Between creating the file and locking it, a sweep in another process may have locked
    it (the lock is refused) or already deleted it (the path no longer names this file).
    Where the file system has no locks, the file is used unlocked (a sweep leaves alone
    what it cannot lock).
    """
    if fcntl is None:
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True  # no locks on this file system
    try:
        named = temp.stat()
    except OSError:
        return False
    opened = os.fstat(descriptor)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def remove_abandoned(folder: Path, name: str | None = None) -> int:
    """Delete the temporary files in `folder` that a coach which has stopped left behind
    (killed with `kill -9`, or by a power cut); return how many were deleted.

    Only files named as `_create_temp` names them are considered: for the target `name`,
    or for any name when `name` is None (only for a folder that nothing but the coach
    writes in). A file that a running coach holds locked is left alone, and so is every
    file where there are no locks to ask. Never raises: a folder that cannot be read is
    simply not swept.
    """
    if fcntl is None:
        return 0
    removed = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                match = _TEMP_NAME.fullmatch(entry.name)
                if match and (name is None or match["target"] == temporary_target(name)):
                    removed += _remove_if_abandoned(Path(entry.path))
    except OSError:
        pass
    return removed


def _remove_if_abandoned(path: Path) -> int:
    """Delete `path` if no process holds its lock; 1 if it was deleted, else 0."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return 0
    try:
        opened = os.fstat(descriptor)
        if not stat.S_ISREG(opened.st_mode):
            return 0
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0  # a running coach is writing it (or there are no locks here)
        named = path.lstat()
        if (named.st_dev, named.st_ino) != (opened.st_dev, opened.st_ino):
            return 0
        path.unlink()
    except OSError:
        return 0
    finally:
        os.close(descriptor)
    return 1


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not possible on every platform, so best effort."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _commit(target: Path, temp: Path, *, durable: bool) -> Iterator[None]:
    """Rename `temp` over `target` if the block succeeds; delete `temp` if it does not.

    `durable` fsyncs the finished temporary file before the rename and the folder after it.
    """
    try:
        yield
        if durable:
            with temp.open("r+b") as file:  # r+ because Windows fsync needs write access
                os.fsync(file.fileno())
        if target.exists():
            # Keep the permissions of the file being replaced (the umask set the new ones).
            temp.chmod(stat.S_IMODE(target.stat().st_mode))
        temp.replace(target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError) and exc.filename in (None, str(temp), str(target)):
            raise CoachError(
                f"Could not write {target}: {os_reason(exc)}. {_hint(exc, target.parent)} "
                "Nothing was changed: any earlier file there is as it was."
            ) from exc
        raise
    if durable:
        _fsync_folder(target.parent)


def _open_temp(target: Path, mode: int = 0o666) -> _Temporary:
    """A new temporary file beside `target` (CoachError if not)."""
    try:
        return _create_temp(target, mode)
    except OSError as exc:
        raise CoachError(
            f"Could not write {target}: {os_reason(exc)}. {_hint(exc, target.parent)}"
        ) from exc


@contextlib.contextmanager
def atomic_path(output: OutputPath) -> Iterator[Path]:
    """The path of an empty temporary file that replaces `output` if the block succeeds.

    For code that writes or edits by file name; it can be opened and reopened freely inside
    the block. Whatever the block leaves in the temporary file is fsynced and renamed into
    place; on an exception it is deleted. Do not rename or delete it inside the block.
    """
    made = _open_temp(output.path)
    descriptor, temp = made.descriptor, made.path
    try:
        with _commit(output.path, temp, durable=True):
            yield temp
    finally:
        os.close(descriptor)  # only now: the open descriptor holds the lock


def replace_file(path: Path, data: bytes, *, durable: bool = False, private: bool = False) -> None:
    """Write `data` to `path` whole, through a temporary file beside it; fsynced (the file,
    then its folder) only when `durable`; `private` makes it readable by its owner only (a
    key).

    Raises CoachError, as outputs do, when the folder or the disk refuses; the caller
    decides whether that matters.
    """
    made = _open_temp(path, 0o600 if private else 0o666)
    descriptor, temp = made.descriptor, made.path
    try:
        with _commit(path, temp, durable=durable):
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)  # only now: the open descriptor holds the lock


class UnexpectedFileError(Exception):
    """What is at a path where the coach keeps a file of its own is not such a file."""


def read_own_file(path: Path, max_bytes: int) -> bytes | None:
    """The bytes of a file the coach keeps for itself (a cache entry, a list of its files),
    or None when there is none.

    Only a regular file of at most `max_bytes` is read. Anything else at `path` raises
    UnexpectedFileError saying what it is: a symbolic link (never followed), a pipe (opened
    without blocking, so it cannot hang the command), a device (which could never end), a
    folder, or a file too large. Other failures to read are OSError.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP or (exc.errno == errno.EMLINK and path.is_symlink()):
            raise UnexpectedFileError("a symbolic link") from None
        if exc.errno in (errno.EISDIR, errno.ENXIO):  # ENXIO: a socket, or a pipe's far end
            raise UnexpectedFileError("not a regular file") from None
        raise
    try:
        opened = os.fstat(descriptor)
        if not stat.S_ISREG(opened.st_mode):
            kind = "a folder" if stat.S_ISDIR(opened.st_mode) else "not a regular file"
            raise UnexpectedFileError(kind)
        if opened.st_size > max_bytes:
            raise UnexpectedFileError(f"larger than {max_bytes} bytes")
        chunks = []
        left = max_bytes + 1
        while left > 0 and (chunk := os.read(descriptor, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > max_bytes:  # it grew while being read
        raise UnexpectedFileError(f"larger than {max_bytes} bytes")
    return data
