"""The layout keeps the pipeline's direction: each stage imports only stages before it.

Read from the source with `ast`, so a test fails the moment a module reaches the wrong way,
even through an import inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from support.paths import ROOT

PACKAGE = ROOT / "coach"

SHARED = {"coach", "coach.errors", "coach.time", "coach.pcm", "coach.files", "coach.filenames"}
SHARED |= {"coach.fileset", "coach.width", "coach.progress"}
"""Leaf modules every stage may use: errors, time conversions, the PCM format, atomic files,
file names, sets of files written as one, the width of text on a terminal, and how work
reports its progress."""

ALLOWED = {
    "plan": {"plan"},
    "routines": {"routines", "plan"},
    "speech": {"speech"},
    "sound": {"sound", "plan", "speech"},
    "render": {"render", "sound", "plan"},
    "live": {"live", "sound", "plan"},
    "serve": {"serve", "render"},
}
"""Stage -> the stages its modules may import (besides SHARED). The command line on top
(cli, commands, doctor) may import anything."""

COMMAND_LAYER = [
    "coach.console",
    "coach.config",
    "coach.preparation",
    "coach.report",
    "coach.rendering",
    "coach.playing",
    "coach.serving",
    "coach.commands",
    "coach.doctor",
    "coach.cli",
    "coach.__main__",
]
"""The modules on top of the stages, in order: each may use the stages, the shared modules
and the command-layer modules before it, never one after it."""

PURE = {"errors", "time"}
"""The only shared modules the plan stage may use: it touches no files and no audio."""


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def stage_of(module: str) -> str | None:
    """ "plan" for coach.plan.fit; None for a shared or top-level module."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "coach" and parts[1] in ALLOWED:
        return parts[1]
    return None


def modules(stage: str) -> list[Path]:
    return sorted((PACKAGE / stage).rglob("*.py"))


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_each_stage_imports_only_the_stages_before_it(stage: str) -> None:
    for path in modules(stage):
        for module in imports_of(path):
            if not module.startswith("coach") or module in SHARED:
                continue
            used = stage_of(module)
            assert used in ALLOWED[stage], f"{path.relative_to(ROOT)} imports {module}"


PLAN_LIBRARIES = {"__future__", "collections", "dataclasses", "typing", "difflib", "math"}
PLAN_LIBRARIES |= {"re", "tomllib"}
"""The standard library the plan stage may use: values, text and TOML parsing, no I/O."""


def test_the_plan_stage_uses_no_files_audio_or_devices() -> None:
    for path in modules("plan"):
        for module in imports_of(path):
            where = f"{path.relative_to(ROOT)} imports {module}"
            if module.startswith("coach"):
                assert stage_of(module) == "plan" or module.split(".")[1] in PURE, where
            else:
                assert module.split(".")[0] in PLAN_LIBRARIES, where


def test_fit_measures_without_the_timeline() -> None:
    assert "coach.plan.timeline" not in imports_of(PACKAGE / "plan" / "fit.py")


def test_the_terminal_does_not_reach_into_the_player() -> None:
    assert "coach.live.player" not in imports_of(PACKAGE / "live" / "terminal.py")


def test_the_product_never_imports_scipy() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        assert not any(m.split(".")[0] == "scipy" for m in imports_of(path)), path


def test_every_protocol_lives_with_its_stage() -> None:
    """Protocols sit in a stage's types.py (or, for a backend's own seam, its module)."""
    homes: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(
                isinstance(base, ast.Name) and base.id == "Protocol" for base in node.bases
            ):
                assert node.name not in homes, f"{node.name} in {homes.get(node.name)} and {path}"
                homes[node.name] = path.relative_to(PACKAGE).as_posix()
    assert homes["SpeechLengths"] == "plan/lengths.py"
    assert homes["SpeechEngine"] == "speech/types.py"
    assert homes["AudioOutput"] == "live/types.py"
    assert homes["SampleSource"] == "live/types.py"
    assert homes["KeySource"] == "live/types.py"
    assert homes["Display"] == "live/types.py"


def top_level_modules() -> list[str]:
    return sorted(f"coach.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__")


def test_every_top_level_module_has_a_place() -> None:
    assert set(top_level_modules()) == (SHARED - {"coach"}) | set(COMMAND_LAYER)


@pytest.mark.parametrize("module", sorted(SHARED - {"coach"}))
def test_the_shared_modules_use_only_each_other(module: str) -> None:
    path = PACKAGE / f"{module.split('.')[1]}.py"
    for used in imports_of(path):
        if used.startswith("coach"):
            assert used in SHARED, f"{module} imports {used}"


@pytest.mark.parametrize("module", COMMAND_LAYER)
def test_the_command_layer_reaches_only_down(module: str) -> None:
    path = PACKAGE / f"{module.split('.')[1]}.py"
    below = set(COMMAND_LAYER[: COMMAND_LAYER.index(module)])
    for used in imports_of(path):
        if not used.startswith("coach") or used in SHARED or stage_of(used):
            continue
        top = ".".join(used.split(".")[:2])
        assert top in below, f"{module} imports {used}, which is not below it"


def test_no_stage_imports_the_command_layer() -> None:
    for stage in ALLOWED:
        for path in modules(stage):
            for used in imports_of(path):
                top = ".".join(used.split(".")[:2])
                assert top not in COMMAND_LAYER, f"{path.relative_to(ROOT)} imports {used}"
