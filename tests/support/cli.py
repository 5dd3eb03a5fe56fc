"""The command line run in-process, with its output apart from its errors."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from coach.cli import cli


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """`coach ARGS...`: stdout in `.stdout`, errors in `.stderr`."""
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        runner = CliRunner()  # click >= 8.2 keeps stderr apart by itself
    return runner.invoke(cli, list(args), prog_name="coach", env=env)


def show_json(*args: str) -> dict[str, Any]:
    """`coach show --json ARGS...`, which must succeed, as a document."""
    result = run("show", "--json", *args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document
