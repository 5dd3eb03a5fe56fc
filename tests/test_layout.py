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


def module_name(path: Path) -> str:
    """coach.live.outputs for coach/live/outputs/__init__.py, coach.plan.fit for .../fit.py."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def coach_imports(path: Path, known: set[str]) -> set[str]:
    """The coach modules `path` imports, at the top, inside a function or for type checking
    only, with relative imports resolved: `from coach.live import types` is coach.live.types,
    `from coach.live.types import Status` is coach.live.types. A package whose module is
    imported (coach.live for coach.live.types) is loaded first, but it never needs its
    modules back, so only its names count: `from coach.live.outputs import open_output`."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = {f"{base}.{alias.name}" for alias in node.names}
            found.update(names & known)
            if names - known:
                found.add(base)
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(path) for path in paths}
    return {module_name(path): coach_imports(path, known) for path in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of imports in `graph` (its modules in order, the first again at the end), or
    None. Depth first, in sorted order, so the same code always names the same cycle."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for used in sorted(graph[module]):
            cycle = visit(used)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle is not None:
            return cycle
    return None


def test_find_cycle_names_the_modules_in_order() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_itself_round_a_cycle() -> None:
    """No import cycles, counting imports inside functions and for type checking: a package's
    __init__ holds only what it exports, and a seam imports no implementation."""
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
