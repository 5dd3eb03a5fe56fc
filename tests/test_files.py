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
