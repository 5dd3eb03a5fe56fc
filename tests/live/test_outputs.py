"""Audio outputs: the registry, the no-device error, and each backend's streaming contract.

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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import miniaudio
import numpy as np
import pytest

import coach.live.outputs
import coach.live.outputs.miniaudio_out
from coach.errors import CoachError
from coach.live.outputs import BACKENDS, default_backend, no_device_error, open_output
from coach.live.outputs.miniaudio_out import LOST, MiniaudioOutput
from coach.live.outputs.null_out import NullOutput
from coach.pcm import Samples, read_wav
from coach.time import SAMPLE_RATE, ms_to_samples
from support.recording_output import RecordingOutput


def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Poll `condition` until true or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(0.001)
    return True


# --- registry and errors ---------------------------------------------------------------------


def test_registry_has_the_two_backends() -> None:
    assert set(BACKENDS) == {"miniaudio", "null"}
    assert default_backend() == "miniaudio"


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
        "print(any(m in sys.modules for m in ('miniaudio', 'numpy')))"
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


class ArraySource:
    """A SampleSource that gives `samples` and then comes up short, as the session does."""

    def __init__(self, samples: Samples) -> None:
        self.samples = samples
        self.offset = 0
        self.reads = 0

    def read(self, frames: int) -> Samples:
        self.reads += 1
        piece = self.samples[self.offset : self.offset + frames]
        self.offset += len(piece)
        return piece


def ramp(count: int, start: int = 1) -> np.ndarray:
    """Distinct, non-zero samples, so any dropped, repeated or reordered one shows."""
    return (np.arange(count) % 20_000 + start).astype(np.int16)


def with_silence(*clips: Samples, gap: int = 3000) -> Samples:
    """Clips with silence between them, as a session stream has."""
    pieces: list[Samples] = []
    for clip in clips:
        pieces += [clip, np.zeros(gap, dtype=np.int16)]
    return np.concatenate(pieces)


def test_miniaudio_opens_one_small_mono_device(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    (device,) = devices
    assert device.kwargs["nchannels"] == 1
    assert device.kwargs["sample_rate"] == SAMPLE_RATE
    # Big enough for a continuous stream on a busy machine, small enough for quick keys.
    assert 80 <= device.kwargs["buffersize_msec"] * device.kwargs["callback_periods"] <= 160
    assert not device.running  # nothing plays until start()
    assert output.backend == "Fake"
    buffer_ms = device.kwargs["buffersize_msec"] * device.kwargs["callback_periods"]
    assert output.latency_frames == ms_to_samples(buffer_ms)


def test_miniaudio_streams_every_sample_through_the_silences_then_stops(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    device = devices[0]
    stream = with_silence(ramp(1000), -ramp(500, 7), ramp(2205, 3))
    source = ArraySource(stream)
    started = time.monotonic()
    output.start(source)
    assert time.monotonic() - started < 0.05  # returns at once
    assert device.running and device.starts == 1
    played = []
    while source.offset < len(stream):
        played.append(device.pull(220))
        assert device.running  # never stopped in a silence: one stream from start to end
    heard = np.concatenate(played)
    assert np.array_equal(heard[: len(stream)], stream)
    assert not heard[len(stream) :].any()
    # After the last sample, a tail of silence so it leaves the buffer; then it stops.
    assert not output.drain(0.05)
    while not output.drain(0.001):
        assert not device.pull(220).any()
    assert wait_until(lambda: not device.running), "device not stopped after the tail drained"
    assert output.problem() is None


def test_miniaudio_a_lost_device_is_noticed_and_opened_afresh(
    output: MiniaudioOutput, devices: list[FakeDevice], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coach.live.outputs.miniaudio_out, "STALL_S", 0.05)
    monkeypatch.setattr(coach.live.outputs.miniaudio_out, "START_S", 0.05)
    source = ArraySource(ramp(SAMPLE_RATE * 10))
    output.start(source)
    devices[0].pull(220)
    assert output.problem() is None
    # The sound server goes away: no more pulls. The player looks every so often.
    deadline = time.monotonic() + 1.0
    while output.problem() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert output.problem() == LOST
    output.start(source)  # a new device, on the same stream
    assert len(devices) == 2 and devices[0].closed and devices[1].running
    assert output.problem() is None
    assert np.array_equal(devices[1].pull(220), ramp(SAMPLE_RATE * 10)[220:440])


def test_miniaudio_a_new_stream_gets_time_to_begin(
    output: MiniaudioOutput, devices: list[FakeDevice], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sound server that has just started asks for one period, then nothing for a while.
    monkeypatch.setattr(coach.live.outputs.miniaudio_out, "STALL_S", 0.05)
    monkeypatch.setattr(coach.live.outputs.miniaudio_out, "START_S", 0.4)
    output.start(ArraySource(ramp(SAMPLE_RATE * 10)))
    devices[0].pull(882)
    started = time.monotonic()
    while time.monotonic() - started < 0.3:
        assert output.problem() is None
        time.sleep(0.01)
    for _ in range(10):  # then it gets going
        devices[0].pull(882)
    assert output.problem() is None
    assert wait_until(lambda: output.problem() == LOST, timeout=1.0)  # and stops for good


def test_miniaudio_no_false_alarm_after_the_process_was_stopped(
    output: MiniaudioOutput, devices: list[FakeDevice], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coach.live.outputs.miniaudio_out, "STALL_S", 0.05)
    output.start(ArraySource(ramp(SAMPLE_RATE)))
    devices[0].pull(220)
    assert output.problem() is None
    time.sleep(0.2)  # nobody looked (the whole process was stopped, say)
    assert output.problem() is None  # the device gets a fresh chance
    devices[0].pull(220)
    assert output.problem() is None


def test_miniaudio_a_device_that_will_not_reopen_stays_lost(
    output: MiniaudioOutput, devices: list[FakeDevice], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coach.live.outputs.miniaudio_out, "STALL_S", 0.02)
    monkeypatch.setattr(coach.live.outputs.miniaudio_out, "START_S", 0.02)
    source = ArraySource(ramp(SAMPLE_RATE * 10))
    output.start(source)
    assert wait_until(lambda: output.problem() == LOST, timeout=1.0)

    def broken(**kwargs: Any) -> None:
        raise miniaudio.MiniaudioError("failed to init device", -401)

    monkeypatch.setattr(miniaudio, "PlaybackDevice", broken)
    with pytest.raises(CoachError, match="No audio device could be opened"):
        output.start(source)
    assert output.problem() == LOST


def test_miniaudio_start_while_playing_or_after_close(
    output: MiniaudioOutput, devices: list[FakeDevice]
) -> None:
    output.start(ArraySource(ramp(5000)))
    with pytest.raises(RuntimeError):
        output.start(ArraySource(ramp(10)))
    output.close()
    output.close()
    assert devices[0].closed
    assert not any(t.name == "coach-miniaudio-stopper" for t in threading.enumerate())
    with pytest.raises(RuntimeError):
        output.start(ArraySource(ramp(10)))


def test_miniaudio_device_that_fails_to_open_is_a_coach_error(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def broken(**kwargs: Any) -> None:
        os.write(2, b"ALSA lib pcm.c: Unknown PCM default\n")  # as libasound does
        raise miniaudio.MiniaudioError("failed to init device", -401)

    monkeypatch.setattr(miniaudio, "PlaybackDevice", broken)
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
        output.start(ArraySource(ramp(10)))


# --- null and recording ------------------------------------------------------------------------


@pytest.mark.parametrize("speed", [1.0, 10.0])
def test_null_output_pulls_in_real_time(speed: float) -> None:
    output = NullOutput(speed=speed)
    stream = ramp(ms_to_samples(400))
    source = ArraySource(stream)
    started = time.monotonic()
    output.start(source)
    assert not output.drain(0.2 / speed)  # still going: it keeps the device's pace
    assert output.drain(2.0)
    elapsed = time.monotonic() - started
    assert elapsed == pytest.approx(0.4 / speed, abs=0.05)
    assert output.frames == len(stream)
    assert output.problem() is None and output.latency_frames == 0
    output.close()
    output.close()
    with pytest.raises(RuntimeError):
        output.start(source)


def test_recording_output_pulls_only_as_time_is_let_pass() -> None:
    output = RecordingOutput(period_frames=100)
    stream = ramp(1000)
    output.start(ArraySource(stream))
    assert len(output.recorded()) == 0
    output.advance(250 / SAMPLE_RATE)  # two whole periods fit
    assert np.array_equal(output.recorded(), stream[:200])
    output.advance(50 / SAMPLE_RATE)
    assert len(output.recorded()) == 300
    assert output.drain(1.0)  # to the end of the source
    assert np.array_equal(output.recorded(), stream)
    assert output.name == "recording"


def test_recording_output_can_lose_its_device() -> None:
    output = RecordingOutput(period_frames=100)
    source = ArraySource(ramp(1000))
    output.start(source)
    output.advance(200 / SAMPLE_RATE)
    output.lose("the audio device went away")
    output.advance(500 / SAMPLE_RATE)
    assert len(output.recorded()) == 200
    assert output.problem() == "the audio device went away"
    assert not output.drain(0.1)
    output.start(source)
    assert output.problem() is None and output.starts == 2
    assert output.drain(1.0)
    assert np.array_equal(output.recorded(), ramp(1000))


# --- real ALSA, captured to a file ---------------------------------------------------------------

ALSA_CONF = Path("/usr/share/alsa/alsa.conf")

PLAY_THROUGH_ALSA = textwrap.dedent(
    """
    import sys
    import numpy as np
    from coach.live.outputs.miniaudio_out import MiniaudioOutput

    stream = np.load(sys.argv[1])

    class Source:
        offset = 0

        def read(self, frames):
            piece = stream[self.offset : self.offset + frames]
            self.offset += len(piece)
            return piece

    output = MiniaudioOutput(backends=["alsa"])
    assert output.backend == "ALSA", output.backend
    output.start(Source())
    assert output.drain(30)
    output.close()
    """
)


@pytest.mark.device
def test_miniaudio_through_alsa_plays_exactly_the_stream(tmp_path: Path) -> None:
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
    stream = with_silence(ramp(1000, start=1), -ramp(2205, start=3), ramp(4410, start=5) * 3)
    path = tmp_path / "stream.npy"
    np.save(path, stream)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config))
    # With a PulseAudio server reachable, ALSA's pulse hook would make the default device
    # PulseAudio instead of the file plugin; point it at no server.
    env["PULSE_SERVER"] = "unix:/nonexistent"
    result = subprocess.run(
        [sys.executable, "-c", PLAY_THROUGH_ALSA, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    capture, rate = read_wav(tmp_path / "CAPTURE.wav")
    assert rate == SAMPLE_RATE
    # One stream: the capture is the stream itself, silences and all, to its last sample
    # (stopping the device drops what it still buffers: only the silent tail after it).
    assert np.array_equal(capture[: len(stream)], stream)
    assert not capture[len(stream) :].any()
