"""`coach render --split` and `--pack` under faults: a set is written whole or not at all,
and nothing the coach did not write is ever deleted or replaced.

A split over an earlier one is stopped by a full disk on its third track, by Ctrl-C,
SIGTERM and SIGHUP while encoding and in the middle of the swap, and by kill -9; a second
coach tries the same folder at once; a playlist names the user's own songs. Each time the
folder is checked byte for byte afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.fileset import MANIFEST
from support.cli import run
from support.faults import TIMEOUT_S, run_to_the_end, start, wait_until_stopped
from support.full_disk import fill_disk_at_file
from support.paths import EXAMPLE

pytestmark = pytest.mark.tts

STATUS = {"INT": 130, "TERM": 143, "HUP": 129}


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every entry of `folder` (hidden ones too) with its bytes: the whole state."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def coach(*args: str, moment: str | None = None, signal_name: str = "") -> list[str]:
    """`coach ARGS`, or with SIGNAL sent to it at MOMENT (see support.faults)."""
    if moment is None:
        return [sys.executable, "-m", "coach", *args]
    return [sys.executable, "-m", "support.faults", moment, signal_name, *args]


SPLIT_AGAIN = ["render", "-q", str(EXAMPLE), "--minutes", "1.2", "--split"]
"""A split that differs from the full one: a track fewer, other names and bytes."""


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """A warm cache, and the folder state an earlier full split left (with a file of the
    user's beside it)."""
    cache = tmp_path_factory.mktemp("cache")
    folder = tmp_path_factory.mktemp("earlier") / "car"
    done = run_to_the_end(coach("render", "-q", str(EXAMPLE), "--split", str(folder)), cache)
    assert done.returncode == 0, done.stderr
    warm = run_to_the_end(coach(*SPLIT_AGAIN, str(folder.parent / "warm")), cache)
    assert warm.returncode == 0, warm.stderr
    (folder / "09 My song.mp3").write_bytes(b"the user's song")
    return cache, folder_bytes(folder)


@pytest.fixture
def car(tmp_path: Path, earlier: tuple[Path, dict[str, bytes]]) -> Path:
    folder = tmp_path / "car"
    folder.mkdir()
    for name, data in earlier[1].items():
        (folder / name).write_bytes(data)
    return folder


def test_resplitting_never_deletes_what_the_playlist_names_but_the_coach_did_not_write(
    car: Path, tmp_path: Path
) -> None:
    """The user adds songs to the split's playlist, one beside it, one in another folder,
    and one by its full path; a crafted entry points at a file elsewhere. None of them is
    touched when the folder is split again into fewer tracks."""
    music = tmp_path / "music"
    music.mkdir()
    (music / "song.mp3").write_bytes(b"song elsewhere")
    (tmp_path / "absolute.mp3").write_bytes(b"song by path")
    playlist = car / "Quick neck and shoulders.m3u8"
    entries = ["09 My song.mp3", "../music/song.mp3", str(tmp_path / "absolute.mp3")]
    playlist.write_text(playlist.read_text() + "\n".join(entries) + "\n", encoding="utf-8")
    result = run(*SPLIT_AGAIN, str(car))
    assert result.exit_code == 0, result.output
    assert (car / "09 My song.mp3").read_bytes() == b"the user's song"
    assert (music / "song.mp3").read_bytes() == b"song elsewhere"
    assert (tmp_path / "absolute.mp3").read_bytes() == b"song by path"
    # The playlist the user changed is no longer the coach's: it stays, as the user left it.
    assert entries[1] in playlist.read_text(encoding="utf-8")


class HungError(Exception):
    """Raised by SIGALRM in a test that would otherwise wait for ever."""


def test_playlists_that_are_pipes_or_devices_are_left_alone(car: Path) -> None:
    """A FIFO and a link to /dev/zero named like playlists: a split reads neither (it
    used to wait for ever on the first and fill memory from the second)."""
    os.mkfifo(car / "pipe.m3u8")
    (car / "zero.m3u8").symlink_to("/dev/zero")

    def hung(_signum: int, _frame: object) -> None:
        raise HungError("the split hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        result = run(*SPLIT_AGAIN, str(car))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.exit_code == 0, result.output
    assert (car / "pipe.m3u8").is_fifo()
    assert (car / "zero.m3u8").readlink() == Path("/dev/zero")


def test_a_full_disk_on_the_third_track_leaves_the_earlier_split_whole(
    car: Path, earlier: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_disk_at_file(monkeypatch, 3)
    result = run(*SPLIT_AGAIN, str(car))
    assert result.exit_code == 2
    message = result.stderr
    assert message.startswith(f"coach: Could not write {car}/")
    assert "The disk is full" in message
    assert f"Nothing in {car} was changed" in message
    assert "Traceback" not in message
    assert folder_bytes(car) == earlier[1]


@pytest.mark.parametrize("signal_name", sorted(STATUS))
@pytest.mark.parametrize("moment", ["encoding", "swapping"])
def test_a_stop_while_splitting_leaves_the_earlier_split_whole(
    car: Path, earlier: tuple[Path, dict[str, bytes]], moment: str, signal_name: str
) -> None:
    cache, before = earlier
    command = coach(*SPLIT_AGAIN, str(car), moment=moment, signal_name=signal_name)
    done = run_to_the_end(command, cache)
    assert done.returncode == STATUS[signal_name], done.stderr
    assert done.stderr.strip() == "Stopped."
    assert folder_bytes(car) == before


@pytest.mark.parametrize("moment", ["encoding", "swapping"])
def test_after_kill_9_the_next_split_finds_the_folder_as_it_was(
    car: Path, earlier: tuple[Path, dict[str, bytes]], moment: str
) -> None:
    """kill -9 leaves hidden files (a staged track, the earlier tracks set aside); the next
    split in the folder puts back or removes them, then writes its own set."""
    cache, before = earlier
    killed = run_to_the_end(coach(*SPLIT_AGAIN, str(car), moment=moment, signal_name="KILL"), cache)
    assert killed.returncode == -signal.SIGKILL
    assert any(path.name.startswith(".coach-") for path in car.iterdir())
    again = run_to_the_end(coach(*SPLIT_AGAIN, str(car)), cache)
    assert again.returncode == 0, again.stderr
    names = sorted(path.name for path in car.iterdir())
    assert names == sorted(
        [
            MANIFEST,
            "01 Before you start.mp3",
            "02 Neck tilt.mp3",
            "03 Finish.mp3",
            "09 My song.mp3",
            "Quick neck and shoulders, 1.2-minute version.m3u8",
        ]
    )
    assert (car / "09 My song.mp3").read_bytes() == before["09 My song.mp3"]


def test_two_splits_into_one_folder_at_once(
    car: Path, earlier: tuple[Path, dict[str, bytes]]
) -> None:
    """The first split is paused (SIGSTOP) while encoding; a second one into the same
    folder is told the folder is busy, and the first then finishes as if alone."""
    cache, _ = earlier
    first = start(coach(*SPLIT_AGAIN, str(car), moment="encoding", signal_name="STOP"), cache)
    try:
        wait_until_stopped(first.pid)
        second = run_to_the_end(coach("render", "-q", "--split", str(car)), cache)
        assert second.returncode == 2
        assert second.stderr.startswith(f"coach: Another coach is writing in {car} right now.")
        first.send_signal(signal.SIGCONT)
        _, stderr = first.communicate(timeout=TIMEOUT_S)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == 0, stderr
    playlists = sorted(path.name for path in car.glob("*.m3u8"))
    assert playlists == ["Quick neck and shoulders, 1.2-minute version.m3u8"]
    assert sorted(path.name for path in car.glob("0[1-3]*.mp3")) == [
        "01 Before you start.mp3",
        "02 Neck tilt.mp3",
        "03 Finish.mp3",
    ]


# --- a real small disk -------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1.5 MB file system of its own (tmpfs): room for one split of the example routine,
    not for two. Skipped where mounting is not allowed."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_split_that_does_not_fit_beside_the_earlier_one_changes_nothing(
    small_disk: Path, earlier: tuple[Path, dict[str, bytes]]
) -> None:
    cache, before = earlier
    car = small_disk
    for name, data in before.items():
        (car / name).write_bytes(data)
    full = run_to_the_end(coach("render", "-q", str(EXAMPLE), "--split", str(car)), cache)
    assert full.returncode == 2
    assert f"Nothing in {car} was changed" in full.stderr
    assert "Traceback" not in full.stderr
    assert folder_bytes(car) == before
