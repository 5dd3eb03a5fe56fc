"""A set of files written into a folder as one: a split's tracks and playlist, a pack's
lengths. The folder ends up holding either the whole new set or, after any failure or stop,
exactly what it held before.

- **One coach a folder.** `open_set` locks the folder itself (`flock`, which the system
  releases when the process ends, however it ends), so a second coach writing a set there
  is told the folder is busy instead of mixing its files with the first one's.
- **The coach's own files, and only those.** The folder's manifest (MANIFEST, a small JSON
  file) lists each file a set wrote: a plain name, never a path with a folder in it, and the
  SHA-256 of its bytes. A file is the coach's only while it is listed there and its bytes
  still match; only such a file is ever replaced or deleted. A user's file, whether a
  playlist lists it or not, and a file the user changed since, are never touched, and a
  name a new set needs that such a file holds is refused before anything is written.
- **A transaction.** The new files are written beside the old ones under hidden names
  (`.coach-TOKEN-N.new`), then checked (each still the file written, not empty, its
  checksum taken) and swapped in: the old files a set replaces or drops are renamed aside
  (`.coach-TOKEN-N.old`), the new ones renamed into place, and the manifest naming the new
  set written (the commit). Before the swap the manifest holds a journal of it, so a coach
  killed at any moment (`kill -9`, a power cut) is rolled back by the next coach that
  opens the folder: staged files deleted, set-aside files renamed back. A stop signal
  (Ctrl-C, SIGTERM, SIGHUP) that arrives during the swap is held until the swap is done
  or undone: before the commit it undoes it, so a stop at any moment leaves the old set
  whole. A failure while writing or swapping undoes everything too, and says that nothing
  in the folder was changed, which is then true.

A split replaces the folder's earlier split (its files that the new one does not write
again are removed); a pack replaces only files of the names it writes, so packs of other
lengths or routines stay.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import signal
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from coach.errors import CoachError, os_reason, visible
from coach.filenames import MAX_NAME_BYTES
from coach.files import (
    OutputFolder,
    UnexpectedFileError,
    read_own_file,
    remove_abandoned,
    replace_file,
)

try:
    import fcntl
except ImportError:  # Windows: no flock; folders are then not locked
    fcntl = None  # type: ignore[assignment]

MANIFEST = ".coach-files.json"
"""The folder's list of the coach's own files (hidden, as it is for the coach alone)."""

MAX_MANIFEST_BYTES = 1_000_000
"""A manifest lists a few dozen files; anything near this size is not one of the coach's."""

FORMAT = 1

SPLIT = "split"
"""A split: replaces the folder's earlier split, removing its files not written again."""
PACK = "pack"
"""A pack: replaces only the files of the names it writes."""
KINDS = (SPLIT, PACK)

_HELD_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TOKEN = re.compile(r"[0-9a-f]{8}")
_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Owned:
    """A file the manifest says a set wrote: its checksum, and the kind of set."""

    sha256: str
    kind: str


@dataclass(frozen=True)
class Committed:
    """What a committed set did to its folder."""

    written: tuple[str, ...]
    removed: tuple[str, ...]
    """Files of the earlier split that the new one did not write again."""
    kept: tuple[str, ...]
    """Files of the earlier split the user changed since: left as they are."""


def is_plain_name(name: object) -> bool:
    """True for a name of a file in the folder itself: no folder in it, nothing hidden or
    special, and short enough to be a file name.

    >>> [is_plain_name(n) for n in ("01 Neck.mp3", "../song.mp3", "/x.mp3", "..", ".hid")]
    [True, False, False, False, False]
    """
    return (
        isinstance(name, str)
        and bool(name)
        and not name.startswith(".")
        and not any(char in name for char in "/\\\x00")
        and len(name.encode("utf-8", errors="replace")) <= MAX_NAME_BYTES
    )


@contextlib.contextmanager
def open_set(folder: OutputFolder, kind: str) -> Iterator[FileSet]:
    """The folder, locked for a new set of `kind` (SPLIT or PACK), with whatever a killed
    coach left half-done there rolled back. CoachError if another coach holds the folder,
    or its manifest is something other than the coach's own file.

    Leaving the block without `FileSet.commit` deletes every file staged in it.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of set {kind!r}")
    lock = _lock(folder.path)
    try:
        files = FileSet(folder.path, kind)
        try:
            yield files
        finally:
            files.abandon()
    finally:
        if lock is not None:
            os.close(lock)


def _lock(folder: Path) -> int | None:
    """An open descriptor of `folder`, locked; None where there are no locks."""
    if fcntl is None:
        return None
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise CoachError(f"Cannot open the folder {folder}: {os_reason(exc)}.") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise CoachError(
            f"Another coach is writing in {folder} right now. Wait for it to finish and run "
            "this again, or choose another folder."
        ) from None
    except OSError:
        pass  # a file system without locks: carry on unlocked
    return descriptor


class FileSet:
    """A locked folder, its manifest, and the set being written into it (see the module
    docstring). Made by `open_set`: `claim` the names, write each in `staged`, `commit`."""

    def __init__(self, folder: Path, kind: str) -> None:
        self.folder = folder
        self.kind = kind
        self.token = secrets.token_hex(4)
        self._names: list[str] = []
        self._staged: dict[str, Path] = {}
        self._staging = False
        self._committed = False
        remove_abandoned(folder, MANIFEST)
        self._had_manifest = _exists(folder / MANIFEST)
        self._owned, journal = _read_manifest(folder)
        if journal:
            self._recover(journal)

    # --- what is in the folder ------------------------------------------------------------

    def is_ours(self, name: str) -> bool:
        """True if `name` is a file the manifest lists and its bytes still match."""
        owned = self._owned.get(name)
        return owned is not None and _checksum(self.folder / name) == owned.sha256

    # --- the new set ----------------------------------------------------------------------

    def claim(self, names: Sequence[str]) -> None:
        """The names the new set will write, before anything is written. CoachError naming
        the first that a file other than the coach's own holds (or a name that is not a
        plain file name, which the coach never makes)."""
        for name in names:
            if not is_plain_name(name):
                raise ValueError(f"{name!r} is not a plain file name")
        if len(set(names)) != len(names):
            raise ValueError("a set writes each name once")
        for name in names:
            if _exists(self.folder / name) and not self.is_ours(name):
                raise _not_ours(self.folder, name)
        self._names = list(names)
        self._write_manifest(self._owned, {"token": self.token, "state": "staging"})
        self._staging = True

    @contextlib.contextmanager
    def staged(self, name: str) -> Iterator[Path]:
        """The path of a new, empty hidden file that becomes `name` when the set is
        committed. On an exception it is deleted (and an OSError about it is a CoachError
        saying that nothing in the folder was changed)."""
        if name not in self._names or name in self._staged:
            raise ValueError(f"{name!r} is not a name claimed for this set, or is staged")
        path = self.folder / _staged_name(self.token, self._names.index(name))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            os.close(os.open(path, flags, 0o666))
        except OSError as exc:
            raise self._failed(name, exc) from exc
        try:
            yield path
        except BaseException as exc:
            with contextlib.suppress(OSError):
                path.unlink()
            if isinstance(exc, OSError) and exc.filename in (None, str(path)):
                raise self._failed(name, exc) from exc
            raise
        self._staged[name] = path

    def commit(self) -> Committed:
        """Check the staged files, swap them in, and write the manifest: the folder then
        holds the new set. CoachError (nothing changed) if it cannot be done."""
        missing = [name for name in self._names if name not in self._staged]
        if missing:
            raise ValueError(f"{missing[0]!r} was claimed but never written")
        new = [(name, index, self._checked(name)) for index, name in enumerate(self._names)]
        for name, _, _ in new:  # taken since the claim?
            if _exists(self.folder / name) and not self.is_ours(name):
                raise _not_ours(self.folder, name, changed=True)
        removed: list[str] = []
        kept: list[str] = []
        if self.kind == SPLIT:
            for name, owned in sorted(self._owned.items()):
                if owned.kind != SPLIT or name in self._names:
                    continue
                if self.is_ours(name):
                    removed.append(name)
                elif _exists(self.folder / name):
                    kept.append(name)
        aside = [name for name in self._names if _exists(self.folder / name)] + removed
        journal = {
            "token": self.token,
            "state": "swapping",
            "new": [[name, index, digest] for name, index, digest in new],
            "aside": [[name, index] for index, name in enumerate(aside)],
        }
        self._write_manifest(self._owned, journal)
        after = {
            name: owned
            for name, owned in self._owned.items()
            if name not in removed and name not in kept and name not in self._names
        }
        after.update({name: Owned(digest, self.kind) for name, _, digest in new})
        with _signals_held() as arrived:
            try:
                self._swap(journal)
                _stop_if(arrived)  # a stop before the commit: undo, then stop as asked
                self._write_manifest(after, {**journal, "state": "done"})
            except BaseException as exc:
                self._undo(journal)
                self._write_back()
                self._staged.clear()
                self._staging = False
                if isinstance(exc, OSError | CoachError):
                    raise self._failed(None, exc) from exc
                raise
            # Committed: a stop from here on stops the command once the folder is tidy.
            self._committed = True
            self._owned = after
            self._clean_up(journal)
        return Committed(tuple(self._names), tuple(removed), tuple(kept))

    def abandon(self) -> None:
        """Delete whatever was staged and not committed (on leaving `open_set`)."""
        if self._committed or not self._staging:
            return
        self._delete_staged(self.token)
        self._write_back()
        self._staging = False

    # --- inside ---------------------------------------------------------------------------

    def _checked(self, name: str) -> str:
        """The checksum of the staged file for `name`, after making sure it is still the
        regular, non-empty file that was written, and is on the disk (fsync)."""
        path = self._staged[name]
        try:
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
            descriptor = os.open(path, flags)
            try:
                opened = os.fstat(descriptor)
                if not stat.S_ISREG(opened.st_mode) or opened.st_size == 0:
                    raise OSError(errno.EIO, "the file written was not there whole", str(path))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as exc:
            raise self._failed(name, exc) from exc
        digest = _checksum(path)
        if digest is None:
            raise self._failed(name, OSError(errno.EIO, "the file written could not be read"))
        return digest

    def _swap(self, journal: dict[str, Any]) -> None:
        for name, index in journal["aside"]:
            _rename(self.folder / name, self.folder / _aside_name(self.token, index))
        for name, index, _ in journal["new"]:
            _rename(self.folder / _staged_name(self.token, index), self.folder / name)
        _fsync_folder(self.folder)

    def _undo(self, journal: dict[str, Any]) -> None:
        """Put the folder back as it was before the swap that `journal` describes, however
        far that swap got."""
        token = journal["token"]
        set_aside = {name for name, _ in journal.get("aside", [])}
        for name, _, digest in journal.get("new", []):
            if name not in set_aside and _checksum(self.folder / name) == digest:
                with contextlib.suppress(OSError):
                    (self.folder / name).unlink()
        for name, index in journal.get("aside", []):
            aside = self.folder / _aside_name(token, index)
            if _is_regular(aside):
                with contextlib.suppress(OSError):
                    _rename(aside, self.folder / name)
        self._delete_staged(token)
        _fsync_folder(self.folder)

    def _clean_up(self, journal: dict[str, Any]) -> None:
        """After the commit: delete the old files set aside, and the journal."""
        for _, index in journal.get("aside", []):
            aside = self.folder / _aside_name(journal["token"], index)
            if _is_regular(aside):
                with contextlib.suppress(OSError):
                    aside.unlink()
        self._write_manifest(self._owned, None, quietly=True)

    def _recover(self, journal: dict[str, Any]) -> None:
        """Finish what a coach that was killed in this folder left: a swap not committed is
        undone, one committed is cleaned up."""
        if journal.get("state") == "done":
            self._clean_up(journal)
        else:
            self._undo(journal)
            self._write_back()

    def _delete_staged(self, token: str) -> None:
        """Delete the staged files of the set `token` (only regular files of that name)."""
        pattern = re.compile(rf"\.coach-{token}-[0-9]+\.new")
        with contextlib.suppress(OSError), os.scandir(self.folder) as entries:
            for entry in entries:
                if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        Path(entry.path).unlink()

    def _write_back(self) -> None:
        """The manifest as it was before this set began: its list, without a journal; no
        manifest at all where there was none and the coach owns nothing here."""
        if self._had_manifest or self._owned:
            self._write_manifest(self._owned, None, quietly=True)
        elif _is_regular(self.folder / MANIFEST):
            with contextlib.suppress(OSError):
                (self.folder / MANIFEST).unlink()

    def _write_manifest(
        self, owned: dict[str, Owned], journal: dict[str, Any] | None, *, quietly: bool = False
    ) -> None:
        document: dict[str, Any] = {
            "coach": "Files the coach wrote here. It replaces or deletes only these, and "
            "only while their checksums match.",
            "format": FORMAT,
            "files": {
                name: {"sha256": item.sha256, "set": item.kind}
                for name, item in sorted(owned.items())
            },
        }
        if journal is not None:
            document["journal"] = journal
        data = (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            replace_file(self.folder / MANIFEST, data, durable=True)
        except CoachError:
            if not quietly:
                raise

    def _failed(self, name: str | None, exc: BaseException) -> CoachError:
        what = f"{self.folder / name}" if name else f"the new files in {self.folder}"
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        hint = ""
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            hint = " The disk is full: free some space or choose another folder."
        return CoachError(
            f"Could not write {what}: {reason.rstrip('.')}.{hint} Nothing in {self.folder} "
            "was changed: what was there before is as it was."
        )


# --- the manifest ---------------------------------------------------------------------------


def _read_manifest(folder: Path) -> tuple[dict[str, Owned], dict[str, Any] | None]:
    """The files the folder's manifest lists, and its journal (None when there is none).

    A manifest that is not a regular file is an error (the coach does not replace what it
    did not write); one that cannot be read as a manifest proves nothing: it counts as
    empty, with a warning."""
    path = folder / MANIFEST
    try:
        data = read_own_file(path, MAX_MANIFEST_BYTES)
    except UnexpectedFileError as what:
        raise CoachError(
            f"{path} is not the coach's list of its files ({what}). Move it away, or choose "
            "another folder."
        ) from None
    except OSError as exc:
        raise CoachError(f"Could not read {path}: {os_reason(exc)}.") from None
    if data is None:
        return {}, None
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        document = None
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict) or document.get("format") != FORMAT:
        _warn_damaged(path)
        return {}, None
    owned: dict[str, Owned] = {}
    for name, item in files.items():
        if (
            is_plain_name(name)
            and isinstance(item, dict)
            and isinstance(item.get("sha256"), str)
            and _SHA256.fullmatch(item["sha256"])
            and item.get("set") in KINDS
        ):
            owned[name] = Owned(item["sha256"], item["set"])
    return owned, _journal(document.get("journal"))


def _journal(raw: object) -> dict[str, Any] | None:
    """A journal as `commit` writes it, with only plain names in it; None for anything
    else (there is then nothing to undo that can be proven the coach's)."""
    if not isinstance(raw, dict):
        return None
    token, state = raw.get("token"), raw.get("state")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    if state not in ("staging", "swapping", "done"):
        return None
    new = [
        entry
        for entry in _list(raw.get("new"))
        if len(entry) == 3
        and is_plain_name(entry[0])
        and isinstance(entry[1], int)
        and isinstance(entry[2], str)
        and _SHA256.fullmatch(entry[2])
    ]
    aside = [
        entry
        for entry in _list(raw.get("aside"))
        if len(entry) == 2 and is_plain_name(entry[0]) and isinstance(entry[1], int)
    ]
    return {"token": token, "state": state, "new": new, "aside": aside}


def _list(raw: object) -> list[list[Any]]:
    """The entries of a journal's list that are lists themselves."""
    return [entry for entry in raw if isinstance(entry, list)] if isinstance(raw, list) else []


def _warn_damaged(path: Path) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(
            visible(
                f"coach: warning: {path}, the coach's list of its files there, is damaged; "
                "no earlier file in that folder is replaced or deleted."
            ),
            file=sys.stderr,
        )


# --- files ----------------------------------------------------------------------------------


def _staged_name(token: str, index: int) -> str:
    return f".coach-{token}-{index}.new"


def _aside_name(token: str, index: int) -> str:
    return f".coach-{token}-{index}.old"


def _exists(path: Path) -> bool:
    """True if anything at all is at `path` (a dangling link too)."""
    try:
        path.lstat()
    except OSError:
        return False
    return True


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _checksum(path: Path) -> str | None:
    """SHA-256 of the regular file at `path` (a link is never followed), or None."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return None
    digest = hashlib.sha256()
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        while chunk := os.read(descriptor, _CHUNK_BYTES):
            digest.update(chunk)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return digest.hexdigest()


def _stop_if(arrived: list[int]) -> None:
    """Stop the swap (it is then undone) if a stop signal has arrived."""
    if arrived:
        raise KeyboardInterrupt


def _rename(source: Path, target: Path) -> None:
    source.replace(target)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _not_ours(folder: Path, name: str, *, changed: bool = False) -> CoachError:
    when = " while this set was being made" if changed else ""
    return CoachError(
        f"{folder} holds '{name}'{when}, which the coach cannot tell it wrote (it is not in "
        f"the folder's list of the coach's files, {MANIFEST}, or it changed since). The "
        "coach never replaces such a file: move it away, or choose another folder."
    )


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """While the block runs, Ctrl-C, SIGTERM and SIGHUP are only noted (in the list it
    yields); afterwards the usual handlers are put back and the signals noted are raised
    again, so they stop the command as usual, once the folder is in order."""
    arrived: list[int] = []

    def note(signum: int, _frame: FrameType | None) -> None:
        arrived.append(signum)

    try:
        previous = {number: signal.getsignal(number) for number in _HELD_SIGNALS}
        for number, handler in previous.items():
            if handler is not signal.SIG_IGN:  # an ignored signal stays ignored
                signal.signal(number, note)
    except ValueError:  # not the main thread: signals are not handled here
        yield arrived
        return
    try:
        yield arrived
    finally:
        for number, handler in previous.items():
            if handler is not None:
                signal.signal(number, handler)
        for number in dict.fromkeys(arrived):
            signal.raise_signal(number)
