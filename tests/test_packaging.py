"""Packaging: every package ships, and the chimes and routines load from a built wheel too."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from support.paths import ROOT


def listed_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(project["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "coach").rglob("__init__.py")
    }
    assert found | {"coach.audio_cues"} == listed_packages()
    assert (ROOT / "audio_cues" / "__init__.py").is_file()


@pytest.mark.slow
def test_a_wheel_carries_the_chimes_and_routines_and_loads_them(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("coach", "audio_cues"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("coach-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "unpacked")
    for chime in ("exercise", "hold-end", "session-end"):
        assert f"coach/audio_cues/{chime}.wav" in names
    assert "coach/routines/rest-stop.toml" in names
    assert not any(name.startswith(("tests/", "scripts/")) for name in names)
    check = (
        "import coach, sys\n"
        "from coach.sound.chimes import CHIMES, load_chime\n"
        "from coach.routines import load_routine\n"
        "assert all(len(load_chime(name)) > 1000 for name in CHIMES)\n"
        "assert len(load_routine(None).exercises) == 5\n"
        "print(coach.__file__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "unpacked"), "PATH": ""},
    )
    assert result.stdout.strip().startswith(str(tmp_path / "unpacked"))
