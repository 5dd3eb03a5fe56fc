"""Audio outputs: the registry, the no-device error, and each backend's play/stop contract.

The miniaudio backend's logic is tested against a fake PlaybackDevice whose `pull()` stands in
for miniaudio's audio thread; the one test that needs real ALSA is marked `device`.
"""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Callable, Iterator
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

import miniaudio
import numpy as np
import pytest

import coach.live.outputs
import coach.live.outputs.miniaudio_out
from coach.errors import CoachError
from coach.live.outputs import BACKENDS, default_backend, no_device_error, open_output
from coach.live.outputs.miniaudio_out import FADE_MS, TAIL_MS, MiniaudioOutput
from coach.live.outputs.null_out import NullOutput, RecordingOutput
from coach.pcm import read_wav
from coach.time import SAMPLE_RATE, ms_to_samples

TAIL_FRAMES = ms_to_samples(TAIL_MS)


def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Poll `condition` until true or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(0.001)
    return True


# --- registry and errors ---------------------------------------------------------------------


def test_registry_has_the_three_backends() -> None:
    assert set(BACKENDS) == {"simpleaudio", "miniaudio", "null"}


def test_open_null_output() -> None:
    output = open_output("null")
    assert isinstance(output, NullOutput)
    assert output.name == "null"
    output.close()


def test_unknown_backend_lists_the_valid_names() -> None:
    with pytest.raises(CoachError) as caught:
        open_output("alsa")
    message = str(caught.value)
    assert "'alsa'" in message
    for name in BACKENDS:
        assert name in message


def test_no_device_error_is_one_paragraph_suggesting_render() -> None:
    message = str(no_device_error("miniaudio", "no sound card found"))
    assert "\n" not in message
    assert message.startswith("No audio device could be opened")
    assert "no sound card found" in message
    assert "coach render -o session.mp3" in message


def test_importing_the_package_loads_no_audio_library() -> None:
    code = (
        "import sys, coach.live.outputs; "
        "print(any(m in sys.modules for m in ('miniaudio', 'simpleaudio', 'numpy')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --- miniaudio, against a fake device ----------------------------------------------------------


class FakeDevice:
    """Stands in for miniaudio.PlaybackDevice; `pull()` plays the part of the audio thread."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.backend = "Fake"
        self.generator: Any = None
        self.starts = 0
        self.running = False
        self.closed = False
        self.lock = threading.Lock()

    def start(self, generator: Any) -> None:
        with self.lock:
            self.generator = generator
            self.running = True
            self.starts += 1

    def stop(self) -> None:
        # Like miniaudio, stopping waits for a callback in progress to return.
        with self.lock:
            self.generator = None
            self.running = False

    def close(self) -> None:
        self.stop()
        self.closed = True

    def pull(self, frames: int) -> np.ndarray:
        """What the device would play next: the generator's bytes, zero-filled to `frames`."""
        with self.lock:
            data = self.generator.send(frames) if self.generator is not None else b""
        assert len(data) <= 2 * frames
        out = np.zeros(frames, dtype=np.int16)
        out[: len(data) // 2] = np.frombuffer(data, dtype="<i2")
        return out


@pytest.fixture
def devices(monkeypatch: pytest.MonkeyPatch) -> list[FakeDevice]:
    """Make MiniaudioOutput open FakeDevices; the list collects every one opened."""
    opened: list[FakeDevice] = []

    def factory(**kwargs: Any) -> FakeDevice:
        device = FakeDevice(**kwargs)
        opened.append(device)
        return device

    monkeypatch.setattr(miniaudio, "PlaybackDevice", factory)
    return opened


@pytest.fixture
def output(devices: list[FakeDevice]) -> Iterator[MiniaudioOutput]:
    out = MiniaudioOutput()
    yield out
    out.close()


def ramp(count: int, start: int = 1) -> np.ndarray:
    """Distinct, non-zero samples, so any dropped, repeated or reordered one shows."""
    return (np.arange(count) % 20_000 + start).astype(np.int16)


def test_miniaudio_opens_one_small_mono_device(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    (device,) = devices
    assert device.kwargs["nchannels"] == 1
    assert device.kwargs["sample_rate"] == SAMPLE_RATE
    assert device.kwargs["buffersize_msec"] * device.kwargs["callback_periods"] <= 40
    assert not device.running  # nothing plays until play()
    assert output.backend == "Fake"


def test_miniaudio_plays_every_sample_then_a_silent_tail_then_stops(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    device = devices[0]
    clip_samples = ramp(1000)
    started = time.monotonic()
    clip = output.play(clip_samples, SAMPLE_RATE)
    assert time.monotonic() - started < 0.05  # returns at once
    assert device.running and clip.is_playing()
    played = np.concatenate([device.pull(220) for _ in range(5)])
    assert np.array_equal(played[:1000], clip_samples)
    assert not played[1000:].any()
    # Still playing until a whole tail of silence has been asked for: the end is in the buffer.
    assert clip.is_playing()
    while clip.is_playing():
        assert not device.pull(220).any()
    assert wait_until(lambda: not device.running), "device not stopped after the tail drained"


def test_miniaudio_new_clip_replaces_the_current_one_without_restarting(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    device = devices[0]
    first = output.play(ramp(5000), SAMPLE_RATE)
    device.pull(220)
    second_samples = ramp(300, start=7000)
    second = output.play(second_samples, SAMPLE_RATE)
    assert not first.is_playing() and second.is_playing()
    assert np.array_equal(device.pull(300), second_samples)
    assert device.starts == 1


def test_miniaudio_restarts_the_device_for_a_clip_after_idle(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    device = devices[0]
    clip = output.play(ramp(100), SAMPLE_RATE)
    while clip.is_playing():
        device.pull(220)
    assert wait_until(lambda: not device.running)
    again = ramp(100, start=500)
    output.play(again, SAMPLE_RATE)
    assert device.starts == 2
    assert np.array_equal(device.pull(100), again)


def test_miniaudio_stop_fades_out_then_drains(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    device = devices[0]
    clip = output.play(np.full(SAMPLE_RATE, 10_000, dtype=np.int16), SAMPLE_RATE)
    assert (device.pull(220) == 10_000).all()
    clip.stop()
    assert not clip.is_playing()
    fade_frames = ms_to_samples(FADE_MS)
    after = device.pull(fade_frames + 220)
    fade = after[:fade_frames].astype(int)
    assert 9_000 < fade[0] <= 10_000 and fade[-1] < 200  # a ramp, not a cliff
    assert (np.diff(fade) <= 0).all()
    assert not after[fade_frames:].any()
    for _ in range(TAIL_FRAMES // 220 + 1):
        device.pull(220)
    assert wait_until(lambda: not device.running)
    clip.stop()  # stopping again is harmless


def test_miniaudio_empty_clip_ends_after_the_tail(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    device = devices[0]
    clip = output.play(np.zeros(0, dtype=np.int16), SAMPLE_RATE)
    for _ in range(TAIL_FRAMES // 220 + 1):
        device.pull(220)
    assert not clip.is_playing()
    assert wait_until(lambda: not device.running)


def test_miniaudio_clip_of_a_stalled_device_ends_after_a_grace_period(
    output: MiniaudioOutput, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coach.live.outputs.miniaudio_out, "STALL_S", 0.02)
    clip = output.play(ramp(10), SAMPLE_RATE)  # the fake device is never pulled
    assert clip.is_playing()
    assert wait_until(lambda: not clip.is_playing(), timeout=0.5)


def test_miniaudio_reopens_for_another_rate(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    output.play(ramp(10), 44_100)
    assert len(devices) == 2
    assert devices[0].closed
    assert devices[1].kwargs["sample_rate"] == 44_100 and devices[1].running


def test_miniaudio_rejects_stereo(output: MiniaudioOutput) -> None:
    with pytest.raises(ValueError, match="mono"):
        output.play(np.zeros((10, 2), dtype=np.int16), SAMPLE_RATE)


def test_miniaudio_close_releases_everything(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    clip = output.play(ramp(5000), SAMPLE_RATE)
    output.close()
    output.close()
    assert devices[0].closed and not clip.is_playing()
    assert not any(t.name == "coach-miniaudio-stopper" for t in threading.enumerate())
    with pytest.raises(RuntimeError):
        output.play(ramp(10), SAMPLE_RATE)


def test_miniaudio_device_that_fails_to_open_is_a_coach_error(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def broken(**kwargs: Any) -> None:
        os.write(2, b"ALSA lib pcm.c: Unknown PCM default\n")  # as libasound does
        raise miniaudio.MiniaudioError("failed to init device", -401)

    monkeypatch.setattr(miniaudio, "PlaybackDevice", broken)
    monkeypatch.setattr(coach.live.outputs, "find_spec", lambda name: None)
    with pytest.raises(CoachError) as caught:
        open_output(None)
    message = str(caught.value)
    assert "No audio device could be opened" in message
    assert "coach render" in message
    assert "ALSA lib" not in capfd.readouterr().err


def test_miniaudio_silent_null_fallback_counts_as_no_device(
    devices: list[FakeDevice], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeDevice, "__init__", _null_backend_init)
    with pytest.raises(CoachError, match="no sound system"):
        MiniaudioOutput()


def _null_backend_init(self: FakeDevice, **kwargs: Any) -> None:
    self.backend = "Null"
    self.closed = False
    self.running = False
    self.lock = threading.Lock()


def test_miniaudio_missing_package_is_a_coach_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "miniaudio", None)
    with pytest.raises(CoachError, match="not installed"):
        open_output("miniaudio")


def test_miniaudio_device_that_fails_to_start_is_a_coach_error(
    output: MiniaudioOutput, devices: list[FakeDevice], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(generator: Any) -> None:
        raise miniaudio.MiniaudioError("failed to start audio device", -1)

    monkeypatch.setattr(devices[0], "start", refuse)
    with pytest.raises(CoachError, match="coach render"):
        output.play(ramp(10), SAMPLE_RATE)


# --- null and recording ------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_null_clip_plays_for_its_length_on_the_real_clock() -> None:
    output = NullOutput()
    clip = output.play(np.zeros(ms_to_samples(30), dtype=np.int16), SAMPLE_RATE)
    assert clip.is_playing()
    time.sleep(0.01)
    assert clip.is_playing()
    assert wait_until(lambda: not clip.is_playing(), timeout=0.2)
    output.close()


def test_null_clip_stop_and_replace() -> None:
    clock = FakeClock()
    output = NullOutput(clock)
    first = output.play(np.zeros(SAMPLE_RATE, dtype=np.int16), SAMPLE_RATE)
    clock.now += 0.5
    assert first.is_playing()
    second = output.play(np.zeros(SAMPLE_RATE, dtype=np.int16), SAMPLE_RATE)
    assert not first.is_playing() and second.is_playing()
    second.stop()
    assert not second.is_playing()
    output.close()
    with pytest.raises(RuntimeError):
        output.play(np.zeros(1, dtype=np.int16), SAMPLE_RATE)


def test_recording_output_records_time_samples_and_stops() -> None:
    clock = FakeClock()
    output = RecordingOutput(clock)
    samples = ramp(SAMPLE_RATE // 2)
    clip = output.play(samples, SAMPLE_RATE)
    samples[:] = 0  # the record keeps its own copy
    clock.now = 100.2
    clip.stop()
    clock.now = 101.0
    output.play(ramp(10), SAMPLE_RATE)
    first, second = output.plays
    assert first.at == 100.0 and first.rate == SAMPLE_RATE
    assert first.end == pytest.approx(100.5)
    assert np.array_equal(first.samples, ramp(SAMPLE_RATE // 2))
    assert first.stopped_at == 100.2
    assert second.at == 101.0 and second.stopped_at is None
    assert output.name == "recording"


def test_recording_output_does_not_record_a_stop_after_the_end() -> None:
    clock = FakeClock()
    output = RecordingOutput(clock)
    clip = output.play(ramp(SAMPLE_RATE // 10), SAMPLE_RATE)
    clock.now += 1.0
    clip.stop()
    assert output.plays[0].stopped_at is None


# --- simpleaudio, as a fake module ---------------------------------------------------------------


class FakePlayObject:
    def __init__(self) -> None:
        self.stopped = False

    def is_playing(self) -> bool:
        return not self.stopped

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def fake_simpleaudio(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """Install a fake `simpleaudio` module; its `calls` lists play_buffer's arguments."""
    calls: list[tuple[bytes, int, int, int]] = []
    state = types.SimpleNamespace(calls=calls, fail=None, objects=[])

    def play_buffer(data: bytes, channels: int, width: int, rate: int) -> FakePlayObject:
        if state.fail is not None:
            raise state.fail
        calls.append((bytes(data), channels, width, rate))
        played = FakePlayObject()
        state.objects.append(played)
        return played

    module = types.ModuleType("simpleaudio")
    module.__spec__ = ModuleSpec("simpleaudio", None)
    module.play_buffer = play_buffer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "simpleaudio", module)
    return state


def test_default_backend_prefers_simpleaudio_when_installed(
    fake_simpleaudio: types.SimpleNamespace,
) -> None:
    assert default_backend() == "simpleaudio"
    output = open_output(None)
    assert output.name == "simpleaudio"
    output.close()


def test_default_backend_is_miniaudio_without_simpleaudio(
    monkeypatch: pytest.MonkeyPatch, devices: list[FakeDevice]
) -> None:
    monkeypatch.setattr(coach.live.outputs, "find_spec", lambda name: None)
    assert default_backend() == "miniaudio"
    output = open_output(None)
    assert isinstance(output, MiniaudioOutput)
    output.close()


def test_simpleaudio_plays_mono_16_bit_one_clip_at_a_time(
    fake_simpleaudio: types.SimpleNamespace,
) -> None:
    output = open_output("simpleaudio")
    probe = fake_simpleaudio.calls[0]  # the silent probe that finds a missing device early
    assert not any(probe[0]) and probe[1:] == (1, 2, SAMPLE_RATE)
    samples = ramp(100)
    first = output.play(samples, SAMPLE_RATE)
    assert fake_simpleaudio.calls[-1] == (samples.astype("<i2").tobytes(), 1, 2, SAMPLE_RATE)
    assert first.is_playing()
    second = output.play(ramp(50), 16_000)
    assert fake_simpleaudio.calls[-1][3] == 16_000
    assert not first.is_playing() and second.is_playing()
    output.close()
    assert not second.is_playing()


def test_simpleaudio_failure_is_a_coach_error(fake_simpleaudio: types.SimpleNamespace) -> None:
    fake_simpleaudio.fail = OSError("Error opening PCM device. -- CODE: -2")
    with pytest.raises(CoachError) as caught:
        open_output("simpleaudio")
    assert "Error opening PCM device" in str(caught.value)
    assert "coach render" in str(caught.value)


def test_simpleaudio_missing_is_a_coach_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "simpleaudio", None)
    with pytest.raises(CoachError, match="not installed"):
        open_output("simpleaudio")


# --- real ALSA, captured to a file ---------------------------------------------------------------

ALSA_CONF = Path("/usr/share/alsa/alsa.conf")

PLAY_THROUGH_ALSA = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from coach.live.outputs.miniaudio_out import MiniaudioOutput

    clips = [np.load(path) for path in sys.argv[1:]]
    output = MiniaudioOutput(backends=["alsa"])
    assert output.backend == "ALSA", output.backend
    for samples in clips:
        clip = output.play(samples, 22050)
        while clip.is_playing():
            time.sleep(0.001)
    output.close()
    """
)


@pytest.mark.device
def test_miniaudio_through_alsa_plays_exactly_the_clips_in_order(tmp_path: Path) -> None:
    if not ALSA_CONF.exists():
        pytest.skip(f"ALSA configuration {ALSA_CONF} is missing (install libasound2)")
    if ctypes.util.find_library("asound") is None:
        pytest.skip("libasound is not installed (apt-get install libasound2)")
    # The `file` plugin writes whatever reaches the default device to CAPTURE.wav; its `null`
    # slave needs no sound card. It does not pace playback, so this checks content, not timing.
    config = tmp_path / "asound.conf"
    config.write_text(
        f"<{ALSA_CONF}>\n"
        'pcm.!default { type file; slave.pcm "null"; file "CAPTURE.wav"; format "wav" }\n'
    )
    clips = [ramp(1000, start=1), -ramp(2205, start=3), ramp(4410, start=5) * 3]
    paths = []
    for index, clip in enumerate(clips):
        paths.append(tmp_path / f"clip{index}.npy")
        np.save(paths[-1], clip)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config))
    # With a PulseAudio server reachable, ALSA's pulse hook would make the default device
    # PulseAudio instead of the file plugin; point it at no server.
    env["PULSE_SERVER"] = "unix:/nonexistent"
    result = subprocess.run(
        [sys.executable, "-c", PLAY_THROUGH_ALSA, *map(str, paths)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    capture, rate = read_wav(tmp_path / "CAPTURE.wav")
    assert rate == SAMPLE_RATE
    # Between clips the device plays silence (the drained tail); the clips themselves hold no
    # zero sample, so the non-zero runs of the capture must be exactly the clips, in order.
    edges = np.flatnonzero(np.diff(np.concatenate(([0], capture != 0, [0])).astype(np.int8)))
    runs = [capture[a:b] for a, b in zip(edges[::2], edges[1::2], strict=True)]
    assert len(runs) == len(clips)
    for run, clip in zip(runs, clips, strict=True):
        assert np.array_equal(run, clip)
