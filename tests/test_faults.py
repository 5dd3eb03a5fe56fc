"""Faults, as a user or a hostile file would cause them.

- Signals at several moments of a render: Ctrl-C (SIGINT), SIGTERM and SIGHUP (the
  terminal closed) stop it with "Stopped." and 128 + the signal's number, the earlier
  output byte for byte as it was and no temporary file left, in the output's folder or in
  the phrase cache. kill -9 cannot be caught: it leaves a temporary file, which the next
  run sweeps away, while a temporary file another running coach is still writing is kept.
  The moments are reached through support.faults, which has the process signal itself at
  a named point; two more tests signal a real render from outside, as a person would.
- The routine loader, fuzzed with control characters, huge values and files that are not
  files (pipes, devices, folders, symlink loops): a Routine or a clean CoachError, always,
  within seconds and without unbounded memory.
- Routine and settings files deeper or larger than any real one (a key of 100,000 parts,
  brackets thousands deep, a hundred thousand keys): refused in milliseconds, in a child
  held to 512 MB.
"""

from __future__ import annotations

import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.errors import CoachError, is_control
from coach.plan.routine import MAX_EXERCISES, Routine
from coach.routines.loading import MAX_FILE_BYTES, load_routine
from support.faults import (
    TIMEOUT_S,
    environment,
    run_to_the_end,
    start,
    wait_until_stopped,
)
from support.paths import EXAMPLE, ROOT
from support.terminal import start_at_a_terminal
from support.toml_text import toml_document

pytestmark = pytest.mark.tts

TEMPORARY = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")
"""The name of a temporary file of the coach's making."""
SIGNALS = ["INT", "TERM", "HUP"]
STATUS = {"INT": 130, "TERM": 143, "HUP": 129}


def temporaries(*folders: Path) -> list[Path]:
    """The coach's temporary files in `folders` (and the phrase cache inside a cache)."""
    found: list[Path] = []
    for folder in folders:
        for inner in (folder, folder / "phrases"):
            if inner.is_dir():
                found += [path for path in inner.iterdir() if TEMPORARY.fullmatch(path.name)]
    return found


def render_args(out: Path) -> list[str]:
    return ["render", str(EXAMPLE), "-o", str(out)]


def faulty_render(
    moment: str, signal_name: str, out: Path, cache: Path
) -> subprocess.CompletedProcess[str]:
    """`coach render` of the example routine to `out`, sent SIGNAL at MOMENT."""
    faults = [sys.executable, "-m", "support.faults", moment, signal_name]
    return run_to_the_end([*faults, *render_args(out)], cache)


def plain_render(out: Path, cache: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return run_to_the_end([sys.executable, "-m", "coach", *render_args(out), *options], cache)


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A phrase cache holding every phrase of the example routine, mastered."""
    cache = tmp_path_factory.mktemp("warm-cache")
    done = plain_render(tmp_path_factory.mktemp("warm-up") / "warm.mp3", cache)
    assert done.returncode == 0, done.stderr
    return cache


@pytest.fixture(scope="module")
def earlier_render(tmp_path_factory: pytest.TempPathFactory, warm_cache: Path) -> bytes:
    """The bytes of an earlier render, unlike what a new render of the example writes."""
    out = tmp_path_factory.mktemp("earlier") / "earlier.mp3"
    done = plain_render(out, warm_cache, "--brief", "-q")
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


@pytest.fixture
def output(tmp_path: Path, earlier_render: bytes) -> Path:
    """Where the render writes, with an earlier render already there."""
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "session.mp3"
    out.write_bytes(earlier_render)
    return out


def cache_for(moment: str, warm_cache: Path, tmp_path: Path) -> Path:
    """A cold cache for the moments that synthesize, a copy of the warm one otherwise."""
    cache = tmp_path / "cache"
    if moment in ("synthesis", "mastering", "cache-write"):
        cache.mkdir(parents=True)
    else:
        shutil.copytree(warm_cache, cache)
    return cache


# --- handled signals --------------------------------------------------------------------------


@pytest.mark.parametrize("signal_name", SIGNALS)
@pytest.mark.parametrize("moment", ["synthesis", "mastering", "encoding", "tagging", "renaming"])
def test_a_signal_stops_a_render_and_keeps_the_earlier_file(
    moment: str,
    signal_name: str,
    output: Path,
    earlier_render: bytes,
    warm_cache: Path,
    tmp_path: Path,
) -> None:
    cache = cache_for(moment, warm_cache, tmp_path)
    done = faulty_render(moment, signal_name, output, cache)
    assert done.returncode == STATUS[signal_name], done.stderr
    assert done.stderr.strip() == "Stopped."
    assert done.stdout == ""
    assert output.read_bytes() == earlier_render
    assert sorted(path.name for path in output.parent.iterdir()) == [output.name]
    assert temporaries(cache) == []


def test_the_moments_are_reached(
    output: Path, earlier_render: bytes, warm_cache: Path, tmp_path: Path
) -> None:
    """Without its signal (SIGCONT does nothing to a running process), each moment's
    render runs to the end: so the tests above stop real renders, not broken ones."""
    for moment in ("synthesis", "mastering", "encoding", "tagging", "renaming"):
        cache = cache_for(moment, warm_cache, tmp_path / moment)
        done = faulty_render(moment, "CONT", output, cache)
        assert done.returncode == 0, (moment, done.stderr)
        assert output.read_bytes() != earlier_render
        output.write_bytes(earlier_render)


# --- kill -9, and the next run ----------------------------------------------------------------


@pytest.mark.parametrize("moment", ["encoding", "tagging", "renaming", "cache-write"])
def test_kill_9_leaves_a_temporary_file_that_the_next_run_removes(
    moment: str, output: Path, earlier_render: bytes, warm_cache: Path, tmp_path: Path
) -> None:
    cache = cache_for(moment, warm_cache, tmp_path)
    done = faulty_render(moment, "KILL", output, cache)
    assert done.returncode == -signal.SIGKILL
    assert output.read_bytes() == earlier_render
    left = temporaries(output.parent, cache)
    assert len(left) == 1, left  # what this test is about: kill -9 cannot be cleaned up
    assert left[0].stat().st_size > 0
    again = plain_render(output, cache)
    assert again.returncode == 0, again.stderr
    assert temporaries(output.parent, cache) == []
    assert sorted(path.name for path in output.parent.iterdir()) == [output.name]
    assert output.read_bytes()[:3] == b"ID3"
    assert output.read_bytes() != earlier_render


def test_a_sweep_keeps_what_a_running_coach_is_writing(
    output: Path, earlier_render: bytes, warm_cache: Path, tmp_path: Path
) -> None:
    """A render stopped (SIGSTOP) half-way through encoding is still running: a second
    render of the same file must leave its temporary file alone, and when the first
    carries on it finishes as if nothing had happened."""
    cache = cache_for("encoding", warm_cache, tmp_path)
    first = start(
        [sys.executable, "-m", "support.faults", "encoding", "STOP", *render_args(output)], cache
    )
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not (writing := temporaries(output.parent)) and time.monotonic() < deadline:
            time.sleep(0.01)
        wait_until_stopped(first.pid)
        assert len(writing) == 1
        second = plain_render(output, cache)
        assert second.returncode == 0, second.stderr
        assert writing[0].exists(), "the sweep deleted a file another coach is writing"
        assert output.read_bytes() != earlier_render
        first.send_signal(signal.SIGCONT)
        stdout, stderr = first.communicate(timeout=TIMEOUT_S)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == 0, stderr
    assert stdout.startswith(f"Wrote {output}: ")
    assert temporaries(output.parent, cache) == []
    assert sorted(path.name for path in output.parent.iterdir()) == [output.name]


# --- signals from outside, as a person sends them ----------------------------------------------


def _wait_for_encoding(folder: Path, process: subprocess.Popen[Any], drain: int | None) -> None:
    """Until the render's temporary output has data in it (encoding has begun)."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if any(_size(path) > 0 for path in temporaries(folder)):
            return
        if drain is not None and select.select([drain], [], [], 0.005)[0]:
            os.read(drain, 65536)
        else:
            time.sleep(0.005)
    raise AssertionError("the render never started encoding")


def _size(path: Path) -> int:
    """The size of a file that may vanish meanwhile (the output check's probe does)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def test_sigterm_from_outside_while_encoding(
    output: Path, earlier_render: bytes, warm_cache: Path
) -> None:
    """As `kill PID` from another terminal, while the full default session is encoding."""
    process = subprocess.Popen(
        [sys.executable, "-m", "coach", "render", "-o", str(output)],
        env=environment(warm_cache),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_encoding(output.parent, process, None)
        process.terminate()
        _, stderr = process.communicate(timeout=TIMEOUT_S)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 143, stderr
    assert stderr.strip() == "Stopped."
    assert output.read_bytes() == earlier_render
    assert sorted(path.name for path in output.parent.iterdir()) == [output.name]


def test_closing_the_terminal_while_encoding(
    output: Path, earlier_render: bytes, warm_cache: Path
) -> None:
    """The render runs at a pseudo-terminal (so it draws progress bars); closing the
    terminal sends it SIGHUP, and it can no longer write to the terminal at all."""
    process, master = start_at_a_terminal(
        [sys.executable, "-m", "coach", "render", "-o", str(output)],
        {**environment(warm_cache), "TERM": "xterm"},
    )
    try:
        _wait_for_encoding(output.parent, process, master)
        os.close(master)  # the terminal window closes
        process.wait(timeout=TIMEOUT_S)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 129
    assert output.read_bytes() == earlier_render
    assert sorted(path.name for path in output.parent.iterdir()) == [output.name]


def test_closing_the_terminal_during_live_play(warm_cache: Path, tmp_path: Path) -> None:
    """SIGHUP while playing, where the status line and the terminal's keys mode need the
    terminal that has just gone: the command still ends as stopped, with no traceback
    (stderr goes to a file here, to see what would otherwise be lost)."""
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        process, master = start_at_a_terminal(
            [sys.executable, "-m", "coach", "play", "--audio-backend", "null", str(EXAMPLE)],
            {**environment(warm_cache), "TERM": "xterm"},
            stderr=stderr,
        )
    shown = b""
    confirmed = False
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while b" left" not in shown and time.monotonic() < deadline:  # the status line
            if select.select([master], [], [], 0.1)[0]:
                shown += os.read(master, 65536)
                if b"Type y and press Enter" in shown and not confirmed:
                    os.write(master, b"y\n")  # only a deliberate yes starts
                    confirmed = True
        assert b" left" in shown, shown
        os.close(master)
        process.wait(timeout=TIMEOUT_S)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 129
    assert "Traceback" not in errors.read_text()


# --- the loader, fuzzed ---------------------------------------------------------------------------


def load_in_a_child(path: str) -> dict[str, str]:
    """load_routine(path) in a forked child held to 10 s and 512 MB more memory than it
    starts with, so a loader that hangs or reads without end fails the test, not the
    machine: {"outcome": "routine" | "error" | "crash", "text": ...}."""
    return in_a_child(lambda: load_routine(path).title)


def in_a_child(call: Callable[[], str], seconds: int = 10) -> dict[str, str]:
    """`call()` in a forked child held to `seconds` and 512 MB more memory than it starts
    with: {"outcome": "routine" | "error" | "crash", "text": what it returned or raised,
    "seconds": how long it took}."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read)
            size = re.search(r"VmSize:\s+(\d+)", Path("/proc/self/status").read_text())
            assert size is not None
            size_kb = int(size[1])
            limit = size_kb * 1024 + 512 * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(seconds)
            started = time.perf_counter()
            try:
                result = {"outcome": "routine", "text": call()}
            except CoachError as error:
                result = {"outcome": "error", "text": str(error)}
            except BaseException as error:  # reported to the parent
                result = {"outcome": "crash", "text": repr(error)[:500]}
            result["seconds"] = f"{time.perf_counter() - started:.4f}"
            os.write(write, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        signal_name = signal.Signals(os.WTERMSIG(status)).name
        return {"outcome": "crash", "text": f"killed by {signal_name} (hung?)"}
    reported: dict[str, str] = json.loads(data)
    return reported


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One path of each kind that is not a routine file, and where to write regular ones."""
    folder = tmp_path_factory.mktemp("not-files")
    (folder / "loop-a.toml").symlink_to(folder / "loop-b.toml")
    (folder / "loop-b.toml").symlink_to(folder / "loop-a.toml")
    (folder / "dangling.toml").symlink_to(folder / "nowhere.toml")
    os.mkfifo(folder / "pipe.toml")
    (folder / "folder.toml").mkdir()
    (folder / "huge.toml").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    (folder / "file").write_text("")
    return {
        "symlink loop": str(folder / "loop-a.toml"),
        "dangling link": str(folder / "dangling.toml"),
        "FIFO": str(folder / "pipe.toml"),
        "/dev/zero": "/dev/zero",
        "/dev/null": "/dev/null",
        "/dev/urandom": "/dev/urandom",
        "folder": str(folder / "folder.toml"),
        "huge file": str(folder / "huge.toml"),
        "through a file": str(folder / "file" / "routine.toml"),
        "regular": str(folder / "regular.toml"),
    }


def assert_clean(result: dict[str, str], path: str) -> None:
    assert result["outcome"] != "crash", result["text"]
    if result["outcome"] == "error":
        message = result["text"]
        assert path in message, message
        assert not any(is_control(char) for char in message), repr(message)
        assert "\n" not in message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(
        [
            "symlink loop",
            "dangling link",
            "FIFO",
            "/dev/zero",
            "/dev/null",
            "/dev/urandom",
            "folder",
            "huge file",
            "through a file",
        ]
    )
)
def test_fuzz_files_that_are_not_routine_files(paths: dict[str, str], kind: str) -> None:
    result = load_in_a_child(paths[kind])
    assert_clean(result, paths[kind])
    assert result["outcome"] == "error", result


CONTROL = st.characters(codec="utf-8", categories=["Cc"]) | st.sampled_from(
    ["\u202e", "\u2066", "\x1b[2J", "\x1b]0;pwned\x07", "\x9b2J"]
)
TEXT_WITH_CONTROLS = st.lists(st.one_of(st.text(max_size=8), CONTROL), min_size=1, max_size=6).map(
    "".join
)
HUGE_NUMBERS = st.one_of(
    st.integers(min_value=-(10**4000), max_value=10**4000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([2**63, 2**64 + 1, 1e308, -0.0, 5e-324, 10**4000]),
)
TEXT_FIELDS = ["title", "instructions", "reminder", "release"]
NUMBER_FIELDS = ["reps", "hold", "relax", "count", "min_reps", "min_hold", "min_relax", "priority"]


@st.composite
def hostile_routines(draw: st.DrawFn) -> str:
    """A sound routine with control characters in its text and huge numbers in its fields,
    and now and then a great many exercises."""
    top: dict[str, Any] = {
        "title": "Hostile",
        "safety": ["Only while parked."],
        "closing": ["Done."],
    }
    for field in ("title", "description", "safety", "closing"):
        if draw(st.booleans()):
            text = draw(TEXT_WITH_CONTROLS)
            top[field] = text if field in ("title", "description") else [text]
    count = draw(st.sampled_from([1, 2, MAX_EXERCISES, MAX_EXERCISES + 1]))
    exercises = []
    for number in range(count):
        table: dict[str, Any] = {
            "id": f"stretch-{number}",
            "title": "Stretch",
            "instructions": ["Stretch."],
            "reminder": ["Stretch."],
        }
        if number < 2:
            for field in draw(st.lists(st.sampled_from(TEXT_FIELDS), max_size=2)):
                text = draw(TEXT_WITH_CONTROLS)
                table[field] = text if field == "title" else [text, "Slowly."]
            for field in draw(st.lists(st.sampled_from(NUMBER_FIELDS), max_size=3)):
                table[field] = draw(HUGE_NUMBERS)
            if draw(st.booleans()):
                table[draw(TEXT_WITH_CONTROLS)] = 1  # a field name with controls in it
        exercises.append(table)
    return toml_document(top, exercises)


def texts_of(routine: Routine) -> list[str]:
    texts = [routine.title, routine.description, *routine.safety, *routine.closing]
    for exercise in routine.exercises:
        texts += [exercise.id, exercise.title, *exercise.instructions, *exercise.reminder]
        texts += exercise.release
    return texts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_routines())
def test_fuzz_hostile_routines(paths: dict[str, str], text: str) -> None:
    """A Routine none of whose text can steer a terminal, or a clean error naming the file."""
    path = Path(paths["regular"])
    path.write_text(text, encoding="utf-8")
    try:
        routine = load_routine(str(path))
    except CoachError as error:
        assert_clean({"outcome": "error", "text": str(error)}, str(path))
        return
    for line in texts_of(routine):
        assert not any(is_control(char) for char in line), repr(line)
    for exercise in routine.exercises:
        assert 0 < exercise.reps <= 20 and 0 <= exercise.hold_ms <= 300_000


def test_the_hostile_fuzzer_is_refused_for_its_controls(tmp_path: Path) -> None:
    """The fuzzer above is only worth running if its controls reach the checks: a title
    with an escape, written as the fuzzer writes it, is refused, naming the character."""
    path = tmp_path / "escape.toml"
    path.write_text(
        toml_document(
            {"title": "Clear\x1b[2J", "safety": ["s"], "closing": ["c"]},
            [{"id": "a", "title": "A", "instructions": ["i"], "reminder": ["r"]}],
        ),
        encoding="utf-8",
    )
    with pytest.raises(CoachError, match=r"U\+001B \(escape\)"):
        load_routine(str(path))


# --- structure beyond any real routine ------------------------------------------------------------


def hostile_shapes(budget: int) -> dict[str, str]:
    """TOML texts of at most `budget` bytes whose structure no routine or settings file
    has, each as deep or large as the budget allows."""
    keys = budget // 16
    return {
        "a dotted key": "a." * (budget // 2 - 4) + "a = 1\n",
        "a table header": "[" + "a." * (budget // 2 - 4) + "a]\n",
        "inline tables": "x = " + "{a = " * (budget // 7) + "1" + "}" * (budget // 7) + "\n",
        "arrays": "x = " + "[" * (budget // 2 - 4) + "]" * (budget // 2 - 4) + "\n",
        "many keys": "".join(f"k{number} = {number}\n" for number in range(keys)),
        "deep keys on many lines": "".join(f"a.b.c.d.e.f.g.h.i{n} = 1\n" for n in range(keys // 2)),
    }


SHAPES = sorted(hostile_shapes(1))


@pytest.mark.parametrize("shape", SHAPES)
def test_a_routine_deeper_or_larger_than_any_real_one_is_refused_at_once(
    tmp_path: Path, shape: str
) -> None:
    """200 kB of one dotted key took two minutes and 12 GB to parse: now milliseconds."""
    path = tmp_path / "hostile.toml"
    path.write_text(hostile_shapes(200_000 if shape != "many keys" else 900_000)[shape])
    result = load_in_a_child(str(path))
    assert result["outcome"] == "error", result
    assert_clean(result, str(path))
    assert f"{path}, line " in result["text"]
    assert "check that it is the file you meant" in result["text"]
    assert float(result["seconds"]) < 0.5, result


@pytest.mark.parametrize("shape", SHAPES)
def test_a_settings_file_deeper_or_larger_than_any_real_one_is_refused_at_once(
    tmp_path: Path, shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A settings file is read by every command: 60 kB of one dotted key cost each 17 s."""
    from coach.config import CONFIG_ENV, MAX_CONFIG_BYTES, load_settings

    path = tmp_path / "config.toml"
    path.write_text(hostile_shapes(MAX_CONFIG_BYTES - 100)[shape], encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    result = in_a_child(lambda: str(load_settings()))
    assert result["outcome"] == "error", result
    assert result["text"].startswith(f"The settings file {path}, line "), result
    assert float(result["seconds"]) < 0.5, result


def test_the_limits_refuse_no_real_routine() -> None:
    """Every routine, template and example in the repository is within the limits."""
    from coach.config import TEMPLATE
    from coach.plan.toml_limits import ROUTINE_LIMITS, SETTINGS_LIMITS, check_toml_limits

    texts = [path.read_text(encoding="utf-8") for path in ROOT.glob("coach/routines/*.toml")]
    texts += [path.read_text(encoding="utf-8") for path in ROOT.glob("tests/data/*.toml")]
    for document in ("README.md", "docs/routines.md"):
        texts += re.findall(r"```toml\n(.*?)```", (ROOT / document).read_text(), re.DOTALL)
    assert len(texts) >= 5
    for text in texts:
        check_toml_limits(text, "routine", ROUTINE_LIMITS)
    check_toml_limits(TEMPLATE, "settings", SETTINGS_LIMITS)
