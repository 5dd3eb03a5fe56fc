"""scripts/_venv.sh: when `scripts/coach` and `scripts/test` reinstall the project, and that
the check before every command needs nothing but bash itself (so it costs next to nothing;
the time is measured in scripts/bench.py). scripts/test: the checks it runs before the tests,
and that any finding fails it.

Each test runs the real script on a copy of the project's layout whose .venv holds a fake
`python` that writes down how it was called instead of installing anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.paths import ROOT

FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/../calls"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python"
fi
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "_venv.sh", tmp_path / "scripts" / "_venv.sh")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "coach"\n')
    bin_folder = tmp_path / ".venv" / "bin"
    bin_folder.mkdir(parents=True)
    (bin_folder / "python").write_text(FAKE_PYTHON)
    (bin_folder / "python").chmod(0o755)
    return tmp_path


def ensure(project: Path, extras: str, path: str | None = None) -> str:
    """Run `ensure_venv EXTRAS` as scripts/coach does; the fake python's calls since."""
    calls = project / ".venv" / "calls"
    calls.unlink(missing_ok=True)
    env = {**os.environ, "PATH": os.environ["PATH"] if path is None else path}
    done = subprocess.run(
        ["/bin/bash", "-c", f'set -euo pipefail; source scripts/_venv.sh; ensure_venv "{extras}"'],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return calls.read_text() if calls.exists() else ""


def touched_since(project: Path) -> None:
    """As if pyproject.toml was modified after the last install: its stamps are older."""
    past = time.time() - 60
    for stamp in (project / ".venv").glob(".installed*"):
        os.utime(stamp, (past, past))


def test_the_first_run_installs_and_later_runs_do_not(project: Path) -> None:
    installs = ensure(project, "")
    assert installs.splitlines() == [
        f"-m pip install --quiet --disable-pip-version-check -e {project}"
    ]
    assert ensure(project, "") == ""


def test_the_check_before_each_command_needs_nothing_but_bash(project: Path) -> None:
    """With no programs to run at all (an empty PATH), a current install is still seen as
    current: the check is bash's own file-time comparison, no sha256sum, no Python."""
    ensure(project, "")
    assert ensure(project, "", path=str(project / "empty")) == ""


def test_touching_pyproject_only_renews_the_stamp(project: Path) -> None:
    ensure(project, "")
    touched_since(project)
    assert ensure(project, "") == ""  # the same contents: nothing to install
    assert ensure(project, "", path=str(project / "empty")) == ""  # and current again


def test_a_changed_pyproject_installs_again(project: Path) -> None:
    ensure(project, "")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'dependencies = ["click"]\n')
    touched_since(project)
    assert "pip install" in ensure(project, "")
    assert ensure(project, "") == ""


def test_each_set_of_extras_has_its_own_stamp(project: Path) -> None:
    ensure(project, "")
    assert ensure(project, "[test]").splitlines() == [
        f"-m pip install --quiet --disable-pip-version-check -e {project}[test]"
    ]
    assert ensure(project, "[test]") == ""
    assert "[neural]" in ensure(project, "[neural]")
    assert ensure(project, "") == ""
    assert sorted(path.name for path in (project / ".venv").glob(".installed*")) == [
        ".installed",
        ".installed[neural]",
        ".installed[test]",
    ]


def test_a_missing_venv_is_made_with_the_python_asked_for(project: Path) -> None:
    maker = project / "maker-python"
    shutil.copy(project / ".venv" / "bin" / "python", maker)
    shutil.rmtree(project / ".venv")
    done = subprocess.run(
        ["/bin/bash", "-c", 'set -euo pipefail; source scripts/_venv.sh; ensure_venv ""'],
        cwd=project,
        env={**os.environ, "COACH_PYTHON": str(maker)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Setting up coach in .venv" in done.stderr
    assert (project / ".venv" / "bin" / "python").exists()
    assert (project / ".venv" / ".installed").exists()


FAKE_CHECK = """#!/usr/bin/env bash
called="$(basename "$0") $*"
echo "$called" >> "$(dirname "$0")/../calls"
case "$called" in "${FAKE_CHECK_FAILS:-nothing}"*) echo "$called: a finding"; exit 1 ;; esac
"""
"""A fake ruff or mypy: writes down how it was called, and finds something (status 1) when
that starts with $FAKE_CHECK_FAILS."""

CHECKS = [
    "ruff check --quiet coach tests scripts",
    "ruff format --check --quiet coach tests scripts",
    "mypy --no-error-summary",
]


def run_tests(
    project: Path, *args: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run scripts/test ARGS... in `project` (installed, with fake ruff and mypy); what it
    did and the calls it made, in order."""
    shutil.copy(ROOT / "scripts" / "test", project / "scripts" / "test")
    ensure(project, "[test,neural,listen]")
    for tool in ("ruff", "mypy"):
        (project / ".venv" / "bin" / tool).write_text(FAKE_CHECK)
        (project / ".venv" / "bin" / tool).chmod(0o755)
    calls = project / ".venv" / "calls"
    calls.unlink(missing_ok=True)
    done = subprocess.run(
        ["/bin/bash", "scripts/test", *args],
        cwd=project,
        env={**{k: v for k, v in os.environ.items() if k != "COACH_SKIP_CHECKS"}, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done, calls.read_text() if calls.exists() else ""


def test_the_test_command_runs_the_checks_then_pytest_with_its_arguments(project: Path) -> None:
    done, calls = run_tests(project, "-m", "not device", "tests/test_x.py")
    assert done.returncode == 0, done.stderr
    assert calls.splitlines() == [*CHECKS, "-m pytest -m not device tests/test_x.py"]


@pytest.mark.parametrize(
    ("failing", "named"),
    [
        ("ruff check", "the lint check (ruff check)"),
        ("ruff format", "the format check (ruff format --check)"),
        ("mypy", "the type check (mypy)"),
    ],
)
def test_any_finding_fails_the_test_command_with_a_line_naming_the_check(
    project: Path, failing: str, named: str
) -> None:
    """Every check runs, so all the findings show at once; then no tests, and status 1."""
    done, calls = run_tests(project, FAKE_CHECK_FAILS=failing)
    assert done.returncode == 1
    assert calls.splitlines() == CHECKS
    assert done.stderr.splitlines() == [
        f"scripts/test: {named} found problems (shown above); the tests are not run."
    ]
    assert f"{failing} " in done.stdout


def test_coach_skip_checks_runs_only_the_tests(project: Path) -> None:
    done, calls = run_tests(project, "-q", COACH_SKIP_CHECKS="1")
    assert done.returncode == 0, done.stderr
    assert calls.splitlines() == ["-m pytest -q"]


BLOCKED_SCIPY = """
import sys
sys.modules["scipy"] = None  # as in the install scripts/coach makes: no test packages
sys.path.insert(0, sys.argv[1])
import numpy as np
from support.pulse import correlate_valid
rng = np.random.default_rng(7)
signal, pattern = rng.standard_normal(5000), rng.standard_normal(300)
np.save(sys.argv[2], correlate_valid(signal, pattern))
"""


BENCH_HELP = """
import runpy, sys
sys.modules["scipy"] = None
sys.argv = [sys.argv[1], "--help"]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -c CODE ARGS...`, its output captured."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_benchmarks_helpers_need_no_test_packages(tmp_path: Path) -> None:
    """scripts/bench.py, run with the .venv that scripts/coach makes, found the live
    timings through tests/support/pulse.py, which needed scipy: a traceback at the end of
    a long run. Its correlation is numpy's own now, and gives scipy's numbers."""
    import numpy as np
    from scipy.signal import correlate

    out = tmp_path / "scores.npy"
    done = python(BLOCKED_SCIPY, str(ROOT / "tests"), str(out))
    assert done.returncode == 0, done.stderr
    rng = np.random.default_rng(7)
    signal, pattern = rng.standard_normal(5000), rng.standard_normal(300)
    expected = correlate(signal, pattern, mode="valid")
    assert np.allclose(np.load(out), expected, atol=1e-9)
    help_text = python(BENCH_HELP, str(ROOT / "scripts" / "bench.py"))
    assert help_text.returncode == 0, help_text.stderr
    assert "--quick" in help_text.stdout
