"""Settings: the file, the environment and the command line, in that order of strength, and
clear errors for a broken file or variable."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from click.testing import Result

from coach.config import CONFIG_ENV, TEMPLATE, load_settings
from support.cli import run


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv(CONFIG_ENV, str(path))
    return path


def show(*args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = run("show", "--json", *args, env=env)
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


def rows(result: Result) -> dict[str, tuple[str, str]]:
    """`coach config`'s table: setting -> (value, source)."""
    table = {}
    for line in result.stdout.splitlines():
        parts = line.split(None, 1)
        if line.startswith("  ") and len(parts) == 2 and " from " in parts[1]:
            value, source = parts[1].split(" from ", 1)
            table[parts[0]] = (value.strip(), source)
    return table


def test_without_a_file_every_setting_is_the_coachs_default(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coach.speech.voices import VOICE_ENV, best_voice

    monkeypatch.delenv(VOICE_ENV)  # the tests' own choice of eSpeak (tests/conftest.py)
    result = run("config")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Settings file: {settings_file} (not there yet")
    table = rows(result)
    assert list(table) == ["voice", "rate", "minutes", "brief", "output", "listen"]
    assert table["listen"][0] == "no"
    assert all(source == "the coach's default" for _, source in table.values())
    assert table["voice"][0] == best_voice()  # the natural voice where it is installed


def test_the_file_then_the_environment_then_the_command_line(settings_file: Path) -> None:
    settings_file.write_text("minutes = 5\nbrief = true\nrate = 170\n", encoding="utf-8")
    table = rows(run("config", env={"COACH_RATE": "180"}))
    assert table["minutes"] == ("5", f"the settings file, {settings_file}")
    assert table["brief"] == ("yes", f"the settings file, {settings_file}")
    assert table["rate"] == ("180", "$COACH_RATE")
    # What the file says is what a session gets ...
    assert show()["minutes"] == 5.0 and show()["brief"] is True
    # ... the environment beats the file ...
    assert show(env={"COACH_MINUTES": "4"})["minutes"] == 4.0
    # ... and a flag beats both.
    assert show("--minutes", "6", env={"COACH_MINUTES": "4"})["minutes"] == 6.0
    assert show("--no-brief")["brief"] is False


def test_listen_comes_from_the_file_or_the_environment(settings_file: Path) -> None:
    settings_file.write_text("listen = true\n", encoding="utf-8")
    assert rows(run("config"))["listen"] == ("yes", f"the settings file, {settings_file}")
    assert rows(run("config", env={"COACH_LISTEN": "0"}))["listen"] == ("no", "$COACH_LISTEN")


def test_render_writes_to_the_settings_output_folder(
    settings_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "music"
    folder.mkdir()
    settings_file.write_text(f'output = "{folder}"\nminutes = 3\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("render", "-q")
    assert result.exit_code == 0, result.output
    assert [p.name for p in folder.iterdir()] == ["rest-stop 3 min.mp3"]  # named by its length
    elsewhere = tmp_path / "here.mp3"
    assert run("render", "-q", "-o", str(elsewhere)).exit_code == 0  # -o wins
    assert elsewhere.is_file()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('voice = "gmw/en\n', ("is not valid TOML", "line 1")),
        ("minutes = 5\nrate = 400\n", ("line 2", "'rate'", "80 to 300")),
        ("minutes = 0\n", ("line 1", "'minutes'", "leave it out for the full session")),
        ('brief = "yes"\n', ("line 1", "'brief' should be true or false")),
        ("minutes = 5\nlisten = 1\n", ("line 2", "'listen' should be true or false")),
        ("voice = 3\n", ("line 1", "'voice' should be text in quotes")),
        ("minute = 5\n", ("'minute', which is not a setting", "Did you mean 'minutes'?")),
    ],
)
def test_a_broken_settings_file_is_a_clear_error(
    settings_file: Path, text: str, words: tuple[str, ...]
) -> None:
    settings_file.write_text(text, encoding="utf-8")
    for command in (["config"], ["show"], ["render", "-q", "-o", str(settings_file) + ".mp3"]):
        result = run(*command)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"coach: The settings file {settings_file}")
        assert "Traceback" not in result.stderr
        for word in words:
            assert word in result.stderr
    assert not Path(str(settings_file) + ".mp3").exists()


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("COACH_RATE", "fast", "COACH_RATE should be a whole number"),
        ("COACH_MINUTES", "5min", "COACH_MINUTES should be a number of minutes"),
        ("COACH_BRIEF", "maybe", "COACH_BRIEF should be true or false"),
        ("COACH_LISTEN", "loud", "COACH_LISTEN should be true or false"),
        ("COACH_RATE", "20", "80 to 300"),
    ],
)
def test_a_bad_environment_variable_is_a_clear_error(
    settings_file: Path, variable: str, value: str, words: str
) -> None:
    result = run("show", env={variable: value})
    assert result.exit_code == 2
    assert result.stderr.startswith(f"coach: ${variable} ('{value}')")
    assert words in result.stderr


def test_edit_makes_the_commented_file_and_opens_the_editor(
    settings_file: Path, tmp_path: Path
) -> None:
    opened = tmp_path / "opened.txt"
    editor = tmp_path / "editor"
    editor.write_text(
        f"#!{sys.executable}\nimport sys, pathlib\n"
        f"pathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "path.write_text(path.read_text().replace('# minutes = 5 ', 'minutes = 5 '))\n"
    )
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    result = run("config", "--edit", env={"EDITOR": str(editor), "VISUAL": ""})
    assert result.exit_code == 0, result.output
    assert opened.read_text() == str(settings_file)
    text = settings_file.read_text(encoding="utf-8")
    assert text == TEMPLATE.replace("# minutes = 5 ", "minutes = 5 ")
    assert rows(result)["minutes"] == ("5", f"the settings file, {settings_file}")
    assert load_settings(os.environ).minutes == 5.0


def test_the_template_is_valid_and_sets_nothing(settings_file: Path) -> None:
    settings_file.write_text(TEMPLATE, encoding="utf-8")
    assert dict(load_settings({}).sources) == {}


@pytest.mark.parametrize("value", ["0", "-3", "inf", "nan", "9" * 400])
def test_minutes_in_the_settings_are_checked_as_on_the_command_line(
    settings_file: Path, value: str
) -> None:
    settings_file.write_text(f"minutes = {value}\n", encoding="utf-8")
    result = run("config")
    assert result.exit_code == 2
    assert "'minutes' should be a number of minutes above 0, like 5 or 7.5" in result.stderr


@pytest.mark.parametrize("value", ["601", "10000", "1e300"])
def test_minutes_above_the_full_length_in_the_settings_are_the_full_session(
    settings_file: Path, value: str
) -> None:
    """As for --minutes: 601 was refused by a limit of 600 that --help does not have."""
    settings_file.write_text(f"minutes = {value}\n", encoding="utf-8")
    result = run("config")
    assert result.exit_code == 0, result.stderr


def test_the_doctests_pass() -> None:
    import doctest

    import coach.config

    result = doctest.testmod(coach.config)
    assert result.attempted >= 1 and result.failed == 0


@pytest.mark.parametrize("where", ["parent is a file", "XDG_CONFIG_HOME is a file", "read-only"])
def test_edit_where_the_settings_file_cannot_be_made_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EDITOR", "true")
    if where == "parent is a file":
        monkeypatch.setenv(CONFIG_ENV, str(blocker / "config.toml"))
    elif where == "XDG_CONFIG_HOME is a file":
        monkeypatch.delenv(CONFIG_ENV)
        monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    else:  # root writes anywhere, so the system's refusal is made here
        monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "locked" / "config.toml"))

        def refuse(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(Path, "mkdir", refuse)
    result = run("config", "--edit")
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert message.startswith("coach: Cannot make the settings file ")
    assert "Traceback" not in message and message.count("\n") == 1
    if where == "read-only":
        assert "permission denied. Set COACH_CONFIG" in message
    else:
        assert f"{blocker} is a file, not a folder" in message


def test_an_editor_that_cannot_start_is_a_clear_error(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    monkeypatch.delenv("VISUAL", raising=False)
    result = run("config", "--edit")
    assert result.exit_code == 2
    assert result.stderr.startswith("coach: Could not open the settings file in an editor")
    assert "Set $VISUAL or $EDITOR" in result.stderr


def test_settings_and_variables_cannot_steer_the_terminal(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_file.write_text('output = "music\\u001b]0;title\\u0007"\n', encoding="utf-8")
    monkeypatch.setenv("COACH_VOICE", "gmw/en\x1b[2J")
    result = run("config")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "gmw/en\\u001b[2J" in result.stdout
    assert "music\\u001b]0;title\\u0007" in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["show"],
        ["list"],
        ["check", "rest-stop"],
        ["render", "-q", "--pack", "PACK"],
        ["render", "-q", "--split", "SPLIT"],
    ],
)
def test_every_command_says_a_bad_voice_came_from_the_settings(
    settings_file: Path, tmp_path: Path, command: list[str]
) -> None:
    """Every command that speaks opens the voice the same way, so a voice the settings
    file chose is named as coming from there."""
    settings_file.write_text('voice = "no-such-voice"\n', encoding="utf-8")
    args = [str(tmp_path / arg.lower()) if arg.isupper() else arg for arg in command]
    result = run(*args, env={"COACH_VOICE": ""})
    assert result.exit_code == 2, result.output
    assert f"(The voice was set by the settings file, {settings_file}.)" in result.stderr
    assert "Traceback" not in result.stderr
