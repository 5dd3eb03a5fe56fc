"""A folder of rendered sessions (a pack, a split, and files that are not sessions), and
`coach serve` running on it on a loopback port."""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coach.speech.voices import DEFAULT_VOICE
from support.cli import run
from support.serving import PACK, ServeProcess


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The folder, and the environment its sessions were rendered in (eSpeak, its own
    phrase cache and settings)."""
    root = tmp_path_factory.mktemp("served")
    folder = root / "phone"
    env = {
        "COACH_CACHE_DIR": str(root / "cache"),
        "COACH_VOICE": DEFAULT_VOICE,
        "COACH_CONFIG": str(root / "settings" / "config.toml"),
    }
    for how in (["--pack", str(folder), "-m", "3"], ["--split", str(folder), "-m", "3"]):
        result = run("render", "-q", *how, env=env)
        assert result.exit_code == 0, result.output
    (folder / "notes.txt").write_text("Not a session.\n")
    outside = root / "outside.mp3"
    shutil.copy(folder / PACK[0], outside)
    (folder / "link.mp3").symlink_to(outside)
    untagged = folder / "not-a-session.mp3"
    shutil.copy(folder / PACK[0], untagged)
    id3: Any = importlib.import_module("mutagen.id3")
    id3.delete(untagged)
    (folder / "sub").mkdir()
    shutil.copy(folder / PACK[1], folder / "sub" / "inside.mp3")
    return folder, env


@pytest.fixture(scope="module")
def server(
    served: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServeProcess]:
    """`coach serve` on the folder, stopped with Ctrl-C after the module's tests."""
    folder, env = served
    process = ServeProcess(folder, dict(env))
    process.start()
    yield process
    assert process.stop() == 130
    assert "Stopped." in process.output
