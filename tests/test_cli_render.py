"""`coach render` through the command line: the summary line, --quiet, size, agreement with
`coach show --json`, byte-identical repeats, and bad output paths and a full disk as clean
errors (exit 2, one "coach: " paragraph, no traceback, nothing written, nothing synthesized).
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from coach.errors import CoachError
from coach.plan.compiler import compile_routine
from coach.render import output_format
from coach.routines import load_routine
from coach.speech.cache import CACHE_DIR_ENV
from coach.time import format_length, ms_to_samples
from support.chapters import read_chapters
from support.cli import run, show_json
from support.full_disk import fill_disk_after

FIVE_MINUTE_LIMIT_BYTES = 2_500_000
"""A 5-minute session must fit in 2.5 MB (measured 1.79 MB: 48 kbit/s is 360 kB a minute)."""
FAST_FAILURE_S = 1.0
"""A bad output path fails in well under this: before any speech is synthesized."""


def size_text(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


@pytest.fixture(scope="module")
def default_render(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """`coach render -o rest-stop.mp3` with a cold cache."""
    out = tmp_path_factory.mktemp("default") / "rest-stop.mp3"
    return out, run("render", "-o", str(out))


@pytest.fixture(scope="module")
def five_minutes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    out = tmp_path_factory.mktemp("five") / "five.mp3"
    return out, run("render", "--minutes", "5", "-o", str(out))


# --- the summary line and the files ------------------------------------------------------------


@pytest.mark.tts
def test_the_summary_names_file_length_size_and_chapters(
    default_render: tuple[Path, Result],
) -> None:
    out, result = default_render
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no progress bars when stderr is not a terminal
    shown = show_json()
    chapters = read_chapters(out)
    assert len(chapters) == len(shown["chapters"]) == 7
    expected = (
        f"Wrote {out}: {format_length(shown['total_ms'])}, {size_text(out.stat().st_size)}, "
        f"{len(chapters)} chapters (full session).\n"
    )
    assert result.stdout == expected


@pytest.mark.tts
def test_show_json_agrees_with_the_render(default_render: tuple[Path, Result]) -> None:
    import miniaudio

    out, _ = default_render
    shown = show_json()
    info = miniaudio.mp3_get_file_info(str(out))
    assert info.num_frames == ms_to_samples(shown["total_ms"])
    assert [(c["title"], c["start_ms"], c["end_ms"]) for c in shown["chapters"]] == [
        (c.title, c.start_ms, c.end_ms) for c in read_chapters(out)
    ]
    tags: Any = importlib.import_module("mutagen.id3").ID3(out)
    assert str(tags["TIT2"]).endswith(f"({format_length(shown['total_ms'])})")


@pytest.mark.tts
def test_a_five_minute_render_is_small_and_says_what_changed(
    five_minutes: tuple[Path, Result],
) -> None:
    out, result = five_minutes
    assert result.exit_code == 0, result.output
    shown = show_json("--minutes", "5")
    assert shown["total_ms"] <= 5 * 60_000
    assert shown["changes"], "the full session is longer than 5 minutes, so something changed"
    size = out.stat().st_size
    assert size < FIVE_MINUTE_LIMIT_BYTES
    bytes_per_minute = size / (shown["total_ms"] / 60_000)
    assert bytes_per_minute < 400_000  # measured 360,400: 48 kbit/s plus the tags
    chapters = read_chapters(out)
    assert [(c["start_ms"], c["end_ms"]) for c in shown["chapters"]] == [
        (c.start_ms, c.end_ms) for c in chapters
    ]
    assert result.stdout == (
        f"Wrote {out}: {format_length(shown['total_ms'])}, {size_text(size)}, "
        f"{len(chapters)} chapters (fitted to 5 minutes: {'; '.join(shown['changes'])}).\n"
    )


@pytest.mark.tts
def test_quiet_prints_nothing(tmp_path: Path) -> None:
    out = tmp_path / "quiet.mp3"
    result = run("render", "--minutes", "3", "--quiet", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == ""
    assert out.stat().st_size > 0


@pytest.mark.tts
def test_a_wav_render_has_no_chapters_in_its_summary(tmp_path: Path) -> None:
    out = tmp_path / "short.wav"
    result = run("render", "--minutes", "3", "-o", str(out))
    assert result.exit_code == 0, result.output
    shown = show_json("--minutes", "3")
    size = out.stat().st_size
    assert size == 44 + 2 * ms_to_samples(shown["total_ms"])  # header + 16-bit mono
    assert result.stdout == (
        f"Wrote {out}: {format_length(shown['total_ms'])}, {size_text(size)} "
        f"(fitted to 3 minutes: {'; '.join(shown['changes'])}).\n"
    )


@pytest.mark.tts
def test_rendering_again_gives_the_same_bytes_under_the_default_name(
    default_render: tuple[Path, Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first render had a cold cache, this one a warm cache: same bytes. With no -o the
    file is ROUTINE.mp3 in the current folder."""
    out, _ = default_render
    monkeypatch.chdir(tmp_path)
    result = run("render", "rest-stop")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Wrote rest-stop.mp3: ")
    assert (tmp_path / "rest-stop.mp3").read_bytes() == out.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rest-stop.mp3"]


@pytest.mark.tts
def test_without_o_a_shorter_or_brief_version_is_named_apart_from_the_full_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rest-stop.mp3").write_bytes(b"the full session, rendered earlier")
    for options, name in (
        (["-m", "3"], "rest-stop 3 min.mp3"),
        (["-m", "4.5", "--brief"], "rest-stop brief 4.5 min.mp3"),
    ):
        result = run("render", "-q", *options)
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).read_bytes()[:3] == b"ID3"
    assert (tmp_path / "rest-stop.mp3").read_bytes() == b"the full session, rendered earlier"


def test_a_read_only_output_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "kept.mp3"
    out.write_bytes(b"write-protected")
    out.chmod(0o444)
    result = run("render", "-o", str(out))
    paragraph = assert_clean_error(result.stdout, result.stderr)
    assert paragraph.startswith(f"coach: {out} is read-only, so the coach leaves it as it is.")
    assert result.exit_code == 2
    assert out.read_bytes() == b"write-protected"


# --- bad output paths: clean, immediate, nothing written or synthesized ---------------------------


def bad_path_cases(tmp_path: Path) -> dict[str, tuple[str, str, str]]:
    """Case -> (the -o argument, the name the message gives, what the message says)."""
    (tmp_path / "folder.mp3").mkdir()
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_bytes(b"not a folder")
    (tmp_path / "loop.mp3").symlink_to("loop.mp3")
    return {
        "name too long": (f"{tmp_path}/{'a' * 300}.mp3", "aaaa", "too long"),
        "symlink loop": (f"{tmp_path}/loop.mp3", "loop.mp3", "symlink loop"),
        "missing folder": (f"{tmp_path}/missing/out.mp3", "out.mp3", "does not exist"),
        "a folder named .mp3": (f"{tmp_path}/folder.mp3", "folder.mp3", "it is a folder"),
        "a folder": (f"{tmp_path}/folder", "folder", "it is a folder"),
        "a folder, trailing slash": (f"{tmp_path}/folder/", "folder", "it is a folder"),
        "parent is a file": (f"{tmp_path}/afile/out.mp3", "afile", "is a file, not a folder"),
        "not .mp3 or .wav": (f"{tmp_path}/out.ogg", "out.ogg", ".mp3"),
        "no suffix": (f"{tmp_path}/out", "out", ".mp3"),
    }


CASES = [
    "name too long",
    "symlink loop",
    "missing folder",
    "a folder named .mp3",
    "a folder",
    "a folder, trailing slash",
    "parent is a file",
    "not .mp3 or .wav",
    "no suffix",
]


def assert_clean_error(stdout: str, stderr: str) -> str:
    assert stdout == ""
    assert stderr.startswith("coach: "), stderr
    assert "Traceback" not in stderr
    paragraph = stderr.strip()
    assert "\n" not in paragraph, "one paragraph, on one line"
    return paragraph


@pytest.mark.parametrize("case", CASES)
def test_a_bad_output_path_fails_at_once_and_cleanly(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(cache))
    work = tmp_path / "work"
    work.mkdir()
    out, name, says = bad_path_cases(work)[case]
    before = sorted(p.relative_to(work) for p in work.rglob("*"))
    started = time.perf_counter()
    result = run("render", "--minutes", "3", "-o", out)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 2, result.output
    message = assert_clean_error(result.stdout, result.stderr)
    assert says in message
    assert name in message
    assert sorted(p.relative_to(work) for p in work.rglob("*")) == before  # nothing created
    assert not cache.exists(), "speech was synthesized before the path was checked"
    assert elapsed < FAST_FAILURE_S


def test_a_bad_output_path_through_python_m_coach(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    out = tmp_path / "missing" / "out.mp3"
    env = {**os.environ, CACHE_DIR_ENV: str(cache)}
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "coach", "render", "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    elapsed = time.perf_counter() - started
    assert completed.returncode == 2, completed.stderr
    message = assert_clean_error(completed.stdout, completed.stderr)
    assert "does not exist" in message and str(out) in message
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    # Interpreter start-up and imports included (measured about 0.3 s); no synthesis.
    assert elapsed < 5.0


@pytest.mark.parametrize("name", ["a.mp3", "B.MP3", "c.wav", "d.Wav"])
def test_output_format_from_the_name(name: str) -> None:
    assert output_format(Path(name)) == Path(name).suffix.lower()


@pytest.mark.parametrize("name", ["session.ogg", "session", "session.mp3.part", ".mp3"])
def test_other_names_are_refused(name: str) -> None:
    with pytest.raises(CoachError, match=r"\.mp3"):
        output_format(Path(name))


# --- a full disk --------------------------------------------------------------------------------


@pytest.mark.tts
def test_a_full_disk_exits_2_with_a_clear_message_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_disk_after(monkeypatch, 50_000)
    out = tmp_path / "session.mp3"
    out.write_bytes(b"the earlier render\n")
    result = run("render", "--minutes", "3", "-o", str(out))
    assert result.exit_code == 2, result.output
    message = assert_clean_error(result.stdout, result.stderr)
    assert str(out) in message
    assert "full" in message
    assert out.read_bytes() == b"the earlier render\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.mp3"]


@pytest.mark.tts
def test_a_render_checks_its_output_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import coach.files

    real = coach.files.check_writable
    calls: list[object] = []

    def counted(path: Path | str) -> coach.files.OutputPath:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(coach.files, "check_writable", counted)
    out = tmp_path / "once.mp3"
    result = run("render", "-q", "-m", "3", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert calls == [out]


# --- sessions longer than a file can hold -------------------------------------------------------


def limits_routine(tmp_path: Path) -> Path:
    """A valid routine at every documented limit: 30 exercises of 20 reps on both sides,
    300 s holds and 120 s relax, about 141 hours."""
    from coach.plan.routine import MAX_EXERCISES, MAX_HOLD_S, MAX_RELAX_S, MAX_REPS

    lines = ['title = "At the limits"', 'safety = ["Only while parked."]', 'closing = ["Done."]']
    for number in range(MAX_EXERCISES):
        lines += [
            "[[exercise]]",
            f'id = "stretch-{number}"',
            f'title = "Stretch {number}"',
            'instructions = ["Lift your {side} arm."]',
            'reminder = ["Lift your {side} arm."]',
            f"reps = {MAX_REPS}",
            'sides = ["left", "right"]',
            f"hold = {MAX_HOLD_S}",
            f"relax = {MAX_RELAX_S}",
        ]
    path = tmp_path / "limits.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_wav_limit_is_the_formats_own(tmp_path: Path) -> None:
    """WAV counts its bytes in 32 bits: a header for MAX_SAMPLES can be written, one more
    sample cannot (this is where a 141-hour render died with struct.error)."""
    import struct
    import wave

    from coach.render.wav import MAX_SAMPLES

    for frames, fits in ((MAX_SAMPLES, True), (MAX_SAMPLES + 1, False)):
        with (tmp_path / "probe.wav").open("wb") as raw, wave.open(raw, "wb") as file:
            file.setnchannels(1)
            file.setsampwidth(2)
            file.setframerate(22_050)
            file.setnframes(frames)
            if fits:
                file.writeframesraw(b"")  # writes the header for `frames` frames
            else:
                with pytest.raises(struct.error):
                    file.writeframesraw(b"")
                file.setnframes(0)  # so that closing can write a header


def test_a_session_too_long_for_a_wav_is_refused_before_any_speech(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(cache))
    out = tmp_path / "limits.wav"
    started = time.perf_counter()
    result = run("render", str(limits_routine(tmp_path)), "-o", str(out))
    elapsed = time.perf_counter() - started
    assert result.exit_code == 2, result.output
    message = assert_clean_error(result.stdout, result.stderr)
    silent = compile_routine(load_routine(str(tmp_path / "limits.toml"))).silent_ms()
    assert silent > 140 * 3_600_000  # the holds and relax times alone
    assert message == (
        f"coach: This session is more than {format_length(silent)} long, but WAV files hold "
        "at most 27:03:11. To render it, give a file name ending in .mp3 (up to 198:49:26), "
        "ask for a shorter version with --minutes, or shorten the routine."
    )
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["limits.toml"]
    assert not cache.exists(), "speech was synthesized for a session that cannot be written"
    assert elapsed < FAST_FAILURE_S


@pytest.mark.tts
def test_a_fitted_session_too_long_for_its_file_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the length is only known once speech is measured (here, --minutes asked for
    more than the file holds), it is checked then: before mastering and writing."""
    import dataclasses

    import coach.render

    small = dataclasses.replace(coach.render.WRITERS[".mp3"], max_samples=ms_to_samples(60_000))
    monkeypatch.setitem(coach.render.WRITERS, ".mp3", small)
    out = tmp_path / "session.mp3"
    out.write_bytes(b"the earlier render\n")
    result = run("render", "--minutes", "3", "-o", str(out))
    assert result.exit_code == 2, result.output
    shown = show_json("--minutes", "3")
    message = assert_clean_error(result.stdout, result.stderr)
    assert message.startswith(
        f"coach: This session is {format_length(shown['total_ms'])} long, but MP3 files hold "
        "at most 0:59."
    )
    assert out.read_bytes() == b"the earlier render\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.mp3"]


@pytest.mark.tts
def test_show_gives_a_long_session_in_hours(tmp_path: Path) -> None:
    """Once "8481:09"; now hours, minutes and seconds, every line alike."""
    result = run("show", str(limits_routine(tmp_path)))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"At the limits: 14\d:\d\d:\d\d \(full session\)", lines[0]), lines[0]
    assert re.fullmatch(r"14\d:\d\d:\d\d  end", lines[-1]), lines[-1]
    times = [line.split()[0] for line in lines[2:]]
    assert times[0] == "0:00:00"
    assert all(re.fullmatch(r"\d+:\d\d:\d\d", time) for time in times)
