"""Atomic output: complete or untouched, never half-written, and clear errors up front.

Tests run as root in CI containers, where permission bits do not stop a write, so the
unwritable cases are ones that fail for root too (missing folder, a file where the folder
should be, a folder where the file should be) or are simulated by making the system call
fail.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from coach.errors import CoachError
from coach.files import atomic_path, check_writable
from support.files import atomic_write

OLD = b"the previous render\n"


def leftovers(folder: Path, keep: str = "out.mp3") -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    path = tmp_path / "out.mp3"
    path.write_bytes(OLD)
    return path


def test_a_successful_write_replaces_the_file(existing: Path) -> None:
    with atomic_write(existing) as file:
        file.write(b"new ")
        file.write(b"content")
        # Until the block ends the old file is still what readers see.
        assert existing.read_bytes() == OLD
    assert existing.read_bytes() == b"new content"
    assert leftovers(existing.parent) == []


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "out.mp3") as file:
            file.write(b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out.mp3").stat().st_mode) == 0o644


def test_a_replaced_file_keeps_its_permissions(existing: Path) -> None:
    existing.chmod(0o640)
    with atomic_write(existing) as file:
        file.write(b"x")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640


def test_an_exception_mid_write_leaves_the_old_file(existing: Path) -> None:
    with pytest.raises(ValueError, match="boom"), atomic_write(existing) as file:
        file.write(b"half of the new")
        raise ValueError("boom")
    assert existing.read_bytes() == OLD
    assert leftovers(existing.parent) == []


def test_ctrl_c_mid_write_leaves_the_old_file(existing: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_write(existing) as file:
        file.write(b"half of the new")
        raise KeyboardInterrupt
    assert existing.read_bytes() == OLD
    assert leftovers(existing.parent) == []


def test_a_full_disk_while_writing_is_a_clear_error(existing: Path) -> None:
    with pytest.raises(CoachError) as caught, atomic_write(existing) as file:
        file.write(b"some")
        # What a write() on a full disk raises: an OSError with no file name.
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    message = str(caught.value)
    assert str(existing) in message
    assert "full" in message
    assert existing.read_bytes() == OLD
    assert leftovers(existing.parent) == []


def test_a_full_disk_at_fsync_is_a_clear_error(
    existing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("coach.files.os.fsync", no_space)
    with pytest.raises(CoachError, match="full"), atomic_write(existing) as file:
        file.write(b"all of it")
    assert existing.read_bytes() == OLD
    assert leftovers(existing.parent) == []


def test_an_oserror_about_another_file_passes_through(existing: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), atomic_write(existing):
        (tmp_path / "missing-cache-entry.wav").read_bytes()
    assert existing.read_bytes() == OLD
    assert leftovers(existing.parent) == []


def test_atomic_path_for_code_that_needs_a_file_name(existing: Path) -> None:
    with atomic_path(check_writable(existing)) as temp:
        assert temp.parent == existing.parent
        assert temp != existing
        temp.write_bytes(b"written by name")
        with open(temp, "ab") as again:  # reopening, as mutagen does, is fine
            again.write(b", then edited")
        assert existing.read_bytes() == OLD
    assert existing.read_bytes() == b"written by name, then edited"
    assert leftovers(existing.parent) == []


def test_atomic_path_cleans_up_after_an_exception(existing: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_path(check_writable(existing)) as temp:
        temp.write_bytes(b"partial")
        raise KeyboardInterrupt
    assert existing.read_bytes() == OLD
    assert leftovers(existing.parent) == []


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.mp3"
    real.write_bytes(OLD)
    link = tmp_path / "link.mp3"
    link.symlink_to(real)
    with atomic_write(link) as file:
        file.write(b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_missing_folder_is_refused_up_front(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "out.mp3"
    with pytest.raises(CoachError) as caught:
        check_writable(path)
    assert str(path) in str(caught.value)
    assert "does not exist" in str(caught.value)
    assert not (tmp_path / "no").exists()


def test_a_file_in_place_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("a file")
    path = tmp_path / "notes.txt" / "deeper" / "out.mp3"
    with pytest.raises(CoachError, match="is a file, not a folder") as caught:
        check_writable(path)
    assert str(tmp_path / "notes.txt") in str(caught.value)


def test_a_folder_as_the_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CoachError, match="is a folder"):
        check_writable(tmp_path)
    with pytest.raises(CoachError, match="is a folder"), atomic_write(tmp_path):
        pytest.fail("the block must not run")


def test_a_device_as_the_output_is_refused() -> None:
    with pytest.raises(CoachError, match="other than a regular file"):
        check_writable("/dev/null")


def test_a_folder_that_refuses_new_files_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: object, **kwargs: object) -> int:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(args[0]))

    monkeypatch.setattr("coach.files.os.open", denied)
    with pytest.raises(CoachError) as caught:
        check_writable(tmp_path / "out.mp3")
    message = str(caught.value)
    assert str(tmp_path / "out.mp3") in message
    assert "permission" in message.lower()


def test_check_writable_leaves_nothing_behind(tmp_path: Path) -> None:
    assert check_writable(tmp_path / "out.mp3").path == tmp_path / "out.mp3"
    assert list(tmp_path.iterdir()) == []


# --- temporary files that a killed coach left behind --------------------------------------------


def abandoned(folder: Path, name: str, hex_digits: str = "0123abcd") -> Path:
    """A temporary file as a coach killed with `kill -9` leaves it: named, unlocked."""
    path = folder / f".{name}.{hex_digits}.tmp"
    path.write_bytes(b"half an MP3")
    return path


def test_checking_an_output_sweeps_what_a_killed_coach_left(existing: Path) -> None:
    left = abandoned(existing.parent, existing.name)
    check_writable(existing)
    assert not left.exists()
    assert existing.read_bytes() == OLD


def test_a_temporary_file_being_written_is_not_swept(existing: Path) -> None:
    """Another coach writing the same output right now: its file is locked and stays."""
    with atomic_path(check_writable(existing)) as writing:
        writing.write_bytes(b"being written")
        check_writable(existing)  # a second coach, checking the same output
        assert writing.read_bytes() == b"being written"
    assert existing.read_bytes() == b"being written"
    assert leftovers(existing.parent) == []


def test_a_file_locked_by_another_process_is_not_swept(existing: Path) -> None:
    import subprocess
    import sys

    left = abandoned(existing.parent, existing.name)
    hold = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
        "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(left)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        check_writable(existing)
        assert left.exists()
    finally:
        holder.communicate("")
    check_writable(existing)  # the holder has gone, so now the file is abandoned
    assert not left.exists()


@pytest.mark.parametrize(
    "name",
    [
        ".out.mp3.tmp",  # no random part
        ".out.mp3.0123abc.tmp",  # seven digits
        ".out.mp3.0123ABCD.tmp",  # not as the coach writes them
        "out.mp3.0123abcd.tmp",  # not hidden
        ".out.mp3.0123abcd.tmp.bak",
        ".other.mp3.0123abcd.tmp",  # another output's
        ".out.mp3",
        "notes.txt",
    ],
)
def test_only_the_coachs_own_temporary_files_are_swept(existing: Path, name: str) -> None:
    other = existing.parent / name
    other.write_bytes(b"someone else's")
    check_writable(existing)
    assert other.read_bytes() == b"someone else's"


def test_a_folder_or_link_of_that_name_is_left_alone(existing: Path, tmp_path: Path) -> None:
    folder = existing.parent / ".out.mp3.0123abcd.tmp"
    folder.mkdir()
    target = tmp_path / "target"
    target.write_bytes(b"kept")
    link = existing.parent / ".out.mp3.4567cdef.tmp"
    link.symlink_to(target)
    check_writable(existing)
    assert folder.is_dir()
    assert link.is_symlink()
    assert target.read_bytes() == b"kept"


def test_a_folder_the_coach_owns_is_swept_for_every_name(tmp_path: Path) -> None:
    from coach.files import remove_abandoned

    left = [abandoned(tmp_path, f"{key}.wav", f"{key}0000000"[:8]) for key in "abc"]
    entry = tmp_path / "a.wav"
    entry.write_bytes(b"a cache entry")
    assert remove_abandoned(tmp_path) == 3
    assert not any(path.exists() for path in left)
    assert entry.read_bytes() == b"a cache entry"


def test_a_folder_that_cannot_be_read_is_not_swept(tmp_path: Path) -> None:
    from coach.files import remove_abandoned

    assert remove_abandoned(tmp_path / "missing") == 0


def test_a_sweep_between_creating_and_locking_is_noticed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep in another process may delete a temporary file in the instant between its
    creation and its lock; the writer must then make another, not write into a file
    that no longer has a name."""
    import coach.files

    real_lock = coach.files._lock_new
    calls: list[Path] = []

    def swept_first(descriptor: int, temp: Path) -> bool:
        calls.append(temp)
        if len(calls) == 1:
            temp.unlink()  # the other process's sweep got there first
        return real_lock(descriptor, temp)

    monkeypatch.setattr(coach.files, "_lock_new", swept_first)
    target = tmp_path / "out.mp3"
    with atomic_path(check_writable(target)) as temp:
        temp.write_bytes(b"complete")
    assert len(calls) == 3  # the check's probe (swept), its second try, and the write
    assert target.read_bytes() == b"complete"
    assert leftovers(tmp_path) == []
