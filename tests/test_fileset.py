"""A set of files written as one (coach.fileset): the old set whole after any failure or stop,
the new set whole after a commit, and nothing touched that the coach cannot prove it wrote.

These drive FileSet with small byte files; tests/render/test_split_faults.py drives the real
`coach render --split` and `--pack`.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import coach.fileset
from coach.console import Stopped, stop_signals
from coach.errors import CoachError
from coach.files import check_folder
from coach.fileset import MANIFEST, PACK, SPLIT, FileSet, open_set

OLD = {"01 Old.mp3": b"old one", "02 Old.mp3": b"old two", "Old.m3u8": b"#EXTM3U\n"}
NEW = {"01 New.mp3": b"new one", "02 Old.mp3": b"new two", "03 New.mp3": b"new three"}


def write_set(folder: Path, files: dict[str, bytes], kind: str = SPLIT) -> Any:
    with open_set(check_folder(folder), kind) as fileset:
        fileset.claim(list(files))
        for name, data in files.items():
            with fileset.staged(name) as path:
                path.write_bytes(data)
        return fileset.commit()


def contents(folder: Path) -> dict[str, bytes]:
    """Every file in `folder` but the manifest, hidden ones included."""
    return {
        path.name: path.read_bytes()
        for path in sorted(folder.iterdir())
        if path.name != MANIFEST and path.is_file()
    }


def listed(folder: Path) -> dict[str, str]:
    document = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert "journal" not in document
    return {name: item["sha256"] for name, item in document["files"].items()}


@pytest.fixture
def old_set(tmp_path: Path) -> Path:
    """A folder holding a split the coach wrote, and a file of the user's."""
    folder = tmp_path / "car"
    write_set(folder, OLD)
    (folder / "09 My song.mp3").write_bytes(b"the user's song")
    return folder


BEFORE = {**OLD, "09 My song.mp3": b"the user's song"}


def test_a_commit_swaps_in_the_new_set_and_lists_it(old_set: Path) -> None:
    done = write_set(old_set, NEW)
    assert contents(old_set) == {**NEW, "09 My song.mp3": b"the user's song"}
    assert listed(old_set) == {name: hashlib.sha256(data).hexdigest() for name, data in NEW.items()}
    assert done.written == tuple(NEW)
    assert sorted(done.removed) == ["01 Old.mp3", "Old.m3u8"]


def test_a_pack_replaces_only_its_own_names(old_set: Path) -> None:
    write_set(old_set, {"Pack 05 min.mp3": b"five"}, PACK)
    write_set(old_set, {"Pack 03 min.mp3": b"three"}, PACK)
    assert contents(old_set) == {**BEFORE, "Pack 05 min.mp3": b"five", "Pack 03 min.mp3": b"three"}
    write_set(old_set, NEW)  # a split leaves the packs alone
    assert contents(old_set)["Pack 05 min.mp3"] == b"five"


def test_a_file_the_user_changed_is_kept_and_no_longer_listed(old_set: Path) -> None:
    (old_set / "01 Old.mp3").write_bytes(b"edited by the user")
    done = write_set(old_set, NEW)
    assert contents(old_set)["01 Old.mp3"] == b"edited by the user"
    assert done.kept == ("01 Old.mp3",)
    assert "01 Old.mp3" not in listed(old_set)


@pytest.mark.parametrize(
    "planted",
    ["a file of the user's", "a changed track", "a folder", "a link", "a FIFO", "a dangling link"],
)
def test_a_name_held_by_what_the_coach_did_not_write_is_refused(
    old_set: Path, tmp_path: Path, planted: str
) -> None:
    target = old_set / "03 New.mp3"
    elsewhere = tmp_path / "elsewhere.mp3"
    elsewhere.write_bytes(b"somewhere else")
    if planted == "a file of the user's":
        target.write_bytes(b"mine")
    elif planted == "a changed track":
        write_set(old_set, {**OLD, "03 New.mp3": b"ours"})
        target.write_bytes(b"changed")
    elif planted == "a folder":
        target.mkdir()
    elif planted == "a link":
        target.symlink_to(elsewhere)
    elif planted == "a FIFO":
        os.mkfifo(target)
    else:
        target.symlink_to(tmp_path / "nowhere")
    before = {p.name: p.lstat().st_mtime_ns for p in old_set.iterdir()}
    with pytest.raises(CoachError, match=r"'03 New\.mp3'.*cannot tell it wrote.*move it away"):
        write_set(old_set, NEW)
    assert {p.name: p.lstat().st_mtime_ns for p in old_set.iterdir()} == before
    assert elsewhere.read_bytes() == b"somewhere else"


@pytest.mark.parametrize(
    "entry", ["../song.mp3", "ABSOLUTE", "sub/song.mp3", ".hidden.mp3", "a\\b.mp3"]
)
def test_a_crafted_manifest_never_reaches_outside_its_folder(tmp_path: Path, entry: str) -> None:
    """A manifest that lists a path, with the right checksum of the file there, proves
    nothing: only plain names count, so the file survives a split that drops everything
    the manifest lists."""
    folder = tmp_path / "car"
    folder.mkdir()
    victim = {
        "../song.mp3": tmp_path / "song.mp3",
        "ABSOLUTE": tmp_path / "song.mp3",
        "sub/song.mp3": folder / "sub" / "song.mp3",
        ".hidden.mp3": folder / ".hidden.mp3",
        "a\\b.mp3": folder / "a\\b.mp3",
    }[entry]
    victim.parent.mkdir(exist_ok=True)
    victim.write_bytes(b"the user's song")
    listed_as = str(victim) if entry == "ABSOLUTE" else entry
    digest = hashlib.sha256(b"the user's song").hexdigest()
    (folder / MANIFEST).write_text(
        json.dumps({"format": 1, "files": {listed_as: {"sha256": digest, "set": "split"}}})
    )
    write_set(folder, NEW)
    assert victim.read_bytes() == b"the user's song"
    assert set(listed(folder)) == set(NEW)


# --- failures and stops while writing -----------------------------------------------------


def test_a_failure_while_staging_leaves_the_old_set_whole(old_set: Path) -> None:
    with pytest.raises(CoachError) as raised, open_set(check_folder(old_set), SPLIT) as fileset:
        fileset.claim(list(NEW))
        for number, (name, data) in enumerate(NEW.items(), start=1):
            with fileset.staged(name) as path:
                if number == 3:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                path.write_bytes(data)
    message = str(raised.value)
    assert "The disk is full" in message
    assert f"Nothing in {old_set} was changed" in message
    assert contents(old_set) == BEFORE
    assert set(listed(old_set)) == set(OLD)


def test_a_failed_first_set_leaves_the_folder_empty(tmp_path: Path) -> None:
    """Nothing in the folder was changed: not even a list of no files is left there."""
    folder = tmp_path / "car"
    with pytest.raises(KeyboardInterrupt), open_set(check_folder(folder), SPLIT) as fileset:
        fileset.claim(list(NEW))
        with fileset.staged("01 New.mp3") as path:
            path.write_bytes(b"half")
        raise KeyboardInterrupt
    assert list(folder.iterdir()) == []


def test_ctrl_c_while_staging_leaves_the_old_set_whole(old_set: Path) -> None:
    with pytest.raises(KeyboardInterrupt), open_set(check_folder(old_set), SPLIT) as fileset:
        fileset.claim(list(NEW))
        with fileset.staged("01 New.mp3") as path:
            path.write_bytes(b"half")
            raise KeyboardInterrupt
    assert contents(old_set) == BEFORE


def _failing_at(
    monkeypatch: pytest.MonkeyPatch, what: str, call: int, fault: Callable[[], None]
) -> None:
    """Make the `call`-th rename (what="rename") or manifest write (what="manifest") of
    coach.fileset run `fault` instead."""
    calls = 0
    name = "_rename" if what == "rename" else "replace_file"
    original = getattr(coach.fileset, name)

    def wrapped(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == call:
            fault()
        original(*args, **kwargs)

    monkeypatch.setattr(coach.fileset, name, wrapped)


def _enospc() -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize(
    ("what", "call"),
    [("rename", 1), ("rename", 3), ("rename", 5), ("manifest", 3)],
    ids=["first rename", "old set aside", "new half in", "the commit itself"],
)
def test_a_failure_during_the_swap_is_undone(
    old_set: Path, monkeypatch: pytest.MonkeyPatch, what: str, call: int
) -> None:
    """Manifest writes: 1 claims the names, 2 journals the swap, 3 commits."""
    _failing_at(monkeypatch, what, call, _enospc)
    with pytest.raises(CoachError, match=f"Nothing in {old_set} was changed"):
        write_set(old_set, NEW)
    assert contents(old_set) == BEFORE
    assert set(listed(old_set)) == set(OLD)


@pytest.mark.parametrize("call", [1, 2, 4, 5])
@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_stop_during_the_swap_undoes_it_then_stops(
    old_set: Path, monkeypatch: pytest.MonkeyPatch, call: int, signal_name: str
) -> None:
    """The signal comes from outside (os.kill) at the call-th rename of the swap."""
    number = getattr(signal, signal_name)
    _failing_at(monkeypatch, "rename", call, lambda: os.kill(os.getpid(), number))
    with pytest.raises(KeyboardInterrupt) as raised, stop_signals():
        write_set(old_set, NEW)
    if signal_name != "SIGINT":
        assert isinstance(raised.value, Stopped)
    assert contents(old_set) == BEFORE
    assert set(listed(old_set)) == set(OLD)


def test_a_stop_after_the_commit_finds_the_new_set_whole(
    old_set: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop in the instant after the commit is held until the folder is tidy."""
    _failing_at(monkeypatch, "manifest", 4, lambda: os.kill(os.getpid(), signal.SIGTERM))
    with pytest.raises(Stopped), stop_signals():
        write_set(old_set, NEW)
    assert contents(old_set) == {**NEW, "09 My song.mp3": b"the user's song"}
    assert set(listed(old_set)) == set(NEW)


# --- a coach killed outright, and the next one -------------------------------------------------


@pytest.mark.parametrize(
    ("what", "call"),
    [("manifest", 2), ("rename", 1), ("rename", 3), ("rename", 6), ("manifest", 4)],
    ids=["staged", "swap begun", "old set aside", "all renamed", "committed"],
)
def test_the_next_coach_finishes_what_a_killed_one_left(
    old_set: Path, monkeypatch: pytest.MonkeyPatch, what: str, call: int
) -> None:
    """kill -9 (in a forked child) at a moment of the transaction; the next coach to open
    the folder finds it as it was before (or, once committed, with the new set), and
    nothing hidden left over."""
    _failing_at(monkeypatch, what, call, lambda: os.kill(os.getpid(), signal.SIGKILL))
    pid = os.fork()
    if pid == 0:
        try:
            write_set(old_set, NEW)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    monkeypatch.undo()
    with open_set(check_folder(old_set), SPLIT):
        pass  # opening the folder finishes the work
    committed = what == "manifest" and call == 4
    expected = {**NEW, "09 My song.mp3": b"the user's song"} if committed else BEFORE
    assert contents(old_set) == expected
    assert set(listed(old_set)) == set(NEW if committed else OLD)


# --- the lock, and the manifest itself ----------------------------------------------------------


def test_a_second_coach_is_told_the_folder_is_busy(old_set: Path) -> None:
    with (
        open_set(check_folder(old_set), SPLIT),
        pytest.raises(CoachError, match=f"Another coach is writing in {old_set} right now"),
    ):
        write_set(old_set, NEW)
    write_set(old_set, NEW)  # free again once the first is done


@pytest.mark.parametrize(
    "damage", ["garbage", "nested", "not a list of files", "huge numbers", "empty"]
)
def test_a_damaged_manifest_proves_nothing(
    old_set: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = {
        "garbage": "not json at all {",
        "nested": "[" * 200_000 + "]" * 200_000,
        "not a list of files": '{"format": 1, "files": [1, 2, 3]}',
        "huge numbers": '{"format": 1e999999, "files": {}}',
        "empty": "",
    }[damage]
    (old_set / MANIFEST).write_text(text)
    with pytest.raises(CoachError, match=r"'02 Old\.mp3'.*cannot tell it wrote"):
        write_set(old_set, NEW)  # 02 Old.mp3 can no longer be proven the coach's
    assert contents(old_set) == BEFORE
    renamed = {name.replace("02 Old", "02 Other"): data for name, data in NEW.items()}
    write_set(old_set, renamed)  # nothing of the old set is deleted
    assert contents(old_set) == {**BEFORE, **renamed}
    assert "is damaged; no earlier file in that folder is replaced" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["a FIFO", "a link", "a folder", "/dev/zero"])
def test_a_manifest_that_is_not_a_file_is_refused_without_hanging(
    tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / "car"
    folder.mkdir()
    manifest = folder / MANIFEST
    if kind == "a FIFO":
        os.mkfifo(manifest)
    elif kind == "a link":
        (tmp_path / "real.json").write_text('{"format": 1, "files": {}}')
        manifest.symlink_to(tmp_path / "real.json")
    elif kind == "a folder":
        manifest.mkdir()
    else:
        manifest.symlink_to("/dev/zero")
    with pytest.raises(CoachError, match="is not the coach's list of its files"):
        write_set(folder, NEW)
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST]


def test_a_set_claims_before_it_writes(tmp_path: Path) -> None:
    with open_set(check_folder(tmp_path), SPLIT) as fileset:
        assert isinstance(fileset, FileSet)
        with pytest.raises(ValueError, match="not a name claimed"), fileset.staged("x.mp3"):
            pass
        with pytest.raises(ValueError, match="not a plain file name"):
            fileset.claim(["../x.mp3"])
