"""`coach new`, `coach check` and `coach cache`: writing your own routine, checking it, and the
phrase cache's size."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from click.testing import Result

from coach.plan.routine import parse_routine
from coach.routines import builtin_names, template_text
from coach.speech.cache import CACHE_DIR_ENV
from support.cli import run


def clean_error(result: Result, *words: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("coach: ")
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr
    return str(result.stderr)


# --- coach new -------------------------------------------------------------------------------


def test_new_writes_the_commented_template(tmp_path: Path) -> None:
    path = tmp_path / "my-stretch.toml"
    result = run("new", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == template_text()
    assert f"Wrote {path}" in result.stdout
    assert f"coach check {path}" in result.stdout
    text = path.read_text(encoding="utf-8")
    assert text.count("\n#") >= 5  # a commented file, to learn the format from
    assert stat.S_IMODE(path.stat().st_mode) & 0o600 == 0o600


def test_the_template_is_a_valid_routine_and_not_a_built_in_one() -> None:
    routine = parse_routine(template_text(), source="template", name="template")
    assert len(routine.exercises) == 2
    assert any(exercise.sides for exercise in routine.exercises)
    assert any(exercise.count for exercise in routine.exercises)
    assert "parked" in " ".join(routine.safety)
    assert builtin_names() == ["rest-stop"]


def test_new_never_writes_over_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("my own routine")
    clean_error(run("new", str(path)), "already exists", "never writes over")
    assert path.read_text() == "my own routine"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("mine.txt", ("ends in .toml", "'mine.toml'")),
        ("no-such-folder/mine.toml", ("does not exist",)),
    ],
)
def test_new_refuses_names_it_cannot_use(tmp_path: Path, name: str, words: tuple[str, ...]) -> None:
    clean_error(run("new", str(tmp_path / name)), *words)
    assert not list(tmp_path.rglob("*.toml"))


# --- coach check ----------------------------------------------------------------------------


@pytest.mark.tts
def test_check_passes_the_template_and_prints_its_lengths(tmp_path: Path) -> None:
    path = tmp_path / "my-stretch.toml"
    assert run("new", str(path)).exit_code == 0
    result = run("check", str(path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f'{path}: a valid routine, "My stretch", with 2 exercises.'
    match = re.fullmatch(
        r"Full session (\d+):(\d\d), brief (\d+):(\d\d), shortest version (\d+):(\d\d) "
        r"\(--minutes ([\d.]+) or more\)\.",
        lines[1],
    )
    assert match, lines[1]
    full, brief, shortest = (int(match[i]) * 60 + int(match[i + 1]) for i in (1, 3, 5))
    assert shortest < brief < full
    # The numbers agree with `coach show`.
    shown = run("show", str(path)).stdout.splitlines()[0]
    assert shown.startswith(f"My stretch: {match[1]}:{match[2]} (full session)")
    fitted = run("show", str(path), "--minutes", match[7]).stdout.splitlines()[0]
    assert fitted.startswith(f"My stretch: {match[5]}:{match[6]} (fitted to ")
    chapters = [line.split()[1:3] for line in lines[3:]]
    assert [c[0] for c in chapters] == ["Before", "Neck", "Shoulder", "Finish"]
    assert "2 reps a side, move 4 s, hold 10 s, relax 5 s" in lines[4]
    assert "2 sets of 4 counted over 16 s, move 2 s, relax 4 s" in lines[5]
    assert len(lines) == 7  # no notes: every relax is as long as the file says


@pytest.mark.tts
def test_check_notes_a_relax_too_short_for_its_words(tmp_path: Path) -> None:
    path = tmp_path / "my-stretch.toml"
    path.write_bytes(template_text().replace(b"relax = 5 ", b"relax = 3 "))
    result = run("check", str(path))
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stdout.splitlines() if line.startswith("Note:")]
    assert len(notes) == 1, result.stdout
    assert notes[0].startswith(
        "Note: in Neck tilt, the chime, the release and 2 s of quiet need more than its relax "
        "of 3 s, so the relax grows to "
    )
    assert notes[0].endswith("Shorten the release, or give a longer relax.")


def test_check_names_the_mistake(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(template_text().replace(b"hold = 10 ", b"hold = 900"))
    clean_error(run("check", str(path)), "broken.toml", "exercise 1 ('neck-tilt')", "'hold'")


def test_check_of_a_missing_file(tmp_path: Path) -> None:
    clean_error(run("check", str(tmp_path / "missing.toml")), "does not exist")


# --- coach cache ----------------------------------------------------------------------------


@pytest.mark.tts
def test_cache_shows_its_size_and_clear_empties_it(tmp_path: Path) -> None:
    env = {CACHE_DIR_ENV: str(tmp_path)}
    assert run("show", "--brief", env=env).exit_code == 0
    phrases = tmp_path / "phrases"
    entries = list(phrases.glob("*.wav"))
    assert entries
    (phrases / ".abc.wav.0123abcd.tmp").write_bytes(b"left by an interrupted write")
    size = sum(entry.stat().st_size for entry in entries)
    shown = run("cache", env=env)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[0] == f"Phrase cache: {phrases}"
    assert shown.stdout.splitlines()[
        1
    ] == f"{len(entries)} phrases, {size / 1_000_000:.1f} MB." or (
        shown.stdout.splitlines()[1] == f"{len(entries)} phrases, {size / 1000:.0f} kB."
    )
    cleared = run("cache", "clear", env=env)
    assert cleared.exit_code == 0, cleared.output
    assert f"{len(entries)} phrases" in cleared.stdout
    assert list(phrases.iterdir()) == []
    assert run("cache", env=env).stdout.splitlines()[1].startswith("0 phrases")


def test_cache_of_a_folder_that_does_not_exist_yet(tmp_path: Path) -> None:
    env = {CACHE_DIR_ENV: str(tmp_path / "new")}
    shown = run("cache", env=env)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[1].startswith("0 phrases")
    cleared = run("cache", "clear", env=env)
    assert cleared.exit_code == 0, cleared.output
    assert "0 phrases" in cleared.stdout
