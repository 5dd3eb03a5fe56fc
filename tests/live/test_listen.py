"""Listening during live play, without devices: voice commands steer the player as their keys
do, with the "heard" chime and the status line; the coach's own voice is told apart; the
listener never makes a device's thread wait; a missing engine or microphone is a clear message.

The player runs on device time (RecordingOutput, keys that let time pass), with a fake Voice
whose commands fall due at device times. Spotting is faked where the engine is not the point;
one test runs the default engines on the natural voice in road noise.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from coach.errors import CoachError
from coach.live.listener import (
    BEHIND_S,
    ECHO_MARGIN_S,
    ECHO_WAIT_S,
    HEAD_S,
    QUEUE_BLOCKS,
    TAIL_S,
    Ears,
    Listener,
    Listening,
    PlayedTap,
)
from coach.live.player import HEARD_SHOW_MS, Player
from coach.live.spotting import COMMANDS
from coach.live.status import format_event, format_status
from coach.live.stream import LEAD_IN_MS
from coach.live.types import (
    HOLD,
    NEXT,
    PAUSE,
    ControlEvent,
    Heard,
    Spotted,
    Status,
)
from coach.pcm import Samples
from coach.plan.session import build_session
from coach.plan.timeline import Timeline
from coach.routines import load_routine
from coach.sound.assembly import assemble_chunks
from coach.sound.chimes import load_chime
from coach.time import SAMPLE_RATE, ms_to_samples
from support.device_time import Screen, ScriptedKeys
from support.lengths import EstimatedLengths
from support.paths import EXAMPLE
from support.recording_output import RecordingOutput
from support.sounds import ramp_audio

PERIOD = 220
LEAD_IN = ms_to_samples(LEAD_IN_MS)
CHIME = load_chime("heard")


class ScriptedVoice:
    """Commands heard at device times (seconds from the start)."""

    def __init__(self, clock: ScriptedKeys, said: list[tuple[float, str]]) -> None:
        self.clock = clock
        self.said = sorted(said)
        self.lost: str | None = None
        self.taken: list[float] = []
        """The device times each command was taken at."""

    def take(self) -> Heard | None:
        if self.said and self.said[0][0] <= self.clock.now:
            _, phrase = self.said.pop(0)
            self.taken.append(self.clock.now)
            return Heard(phrase, COMMANDS[phrase])
        return None

    def problem(self) -> str | None:
        return self.lost


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return build_session(load_routine(str(EXAMPLE)), EstimatedLengths()).timeline


class VoiceRun:
    def __init__(
        self,
        timeline: Timeline,
        said: list[tuple[float, str]],
        keys: list[tuple[float, str]] | None = None,
    ) -> None:
        self.audio = ramp_audio(EstimatedLengths())
        self.output = RecordingOutput(PERIOD)
        self.clock = ScriptedKeys(self.output, list(keys or []))
        self.voice = ScriptedVoice(self.clock, said)
        self.screen = Screen(self.clock)
        self.events: list[ControlEvent] = []
        self.player = Player(
            timeline,
            self.audio,
            self.output,
            keys=self.clock,
            display=self.screen,
            closing_lines=1,
            sleep=self.clock.pass_time,
            voice=self.voice,
            acknowledge=CHIME,
            on_event=self.events.append,
        )
        self.whole = np.concatenate(list(assemble_chunks(timeline, self.audio)))

    def frame(self, command: int) -> int:
        """The device frame from which the `command`-th command (from 0) was acted on."""
        return round(self.voice.taken[command] * SAMPLE_RATE) // PERIOD * PERIOD


def quiet_stretch(timeline: Timeline, seconds: float) -> float:
    """A device time inside a silent stretch of at least `seconds` plus a margin."""
    for clip in timeline.clips:
        if clip.kind in ("hold", "rest") and clip.length_ms >= (seconds + 1.5) * 1000:
            return (LEAD_IN + ms_to_samples(clip.start_ms)) / SAMPLE_RATE + 0.5
    raise AssertionError("no long silence")


def test_coach_pause_and_go_on_pause_and_resume_with_the_chime(timeline: Timeline) -> None:
    at = quiet_stretch(timeline, 3.0)
    run = VoiceRun(
        timeline, [(at, "coach pause"), (at + 2.0, "coach pause"), (at + 4.0, "coach go on")]
    )
    report = run.player.run()
    assert report.finished and run.screen.pauses() == 1  # the second "pause" changes nothing
    heard = run.output.recorded()
    k1 = run.frame(0)
    # The chime sounds over the pause's silence, whole, from the frame the command is taken.
    assert np.array_equal(heard[k1 : k1 + len(CHIME)], CHIME)
    k3 = run.frame(2)
    # After "go on", the session carries on from where it stood, with the chime over it.
    stopped = k1 - LEAD_IN
    after = heard[k3 : k3 + len(CHIME)].astype(np.int32) - CHIME
    assert np.array_equal(after, run.whole[stopped : stopped + len(CHIME)])
    assert [(e.what, e.origin, e.detail) for e in run.events] == [
        ("pause", "voice", "coach pause"),
        ("pause", "voice", "coach pause"),
        ("go on", "voice", "coach go on"),
    ]
    shown = [st for t, st in run.screen.statuses if at <= t < at + HEARD_SHOW_MS / 1000 - 0.2]
    assert shown and all(st.heard == "coach pause" and st.paused for st in shown)
    later = [st for t, st in run.screen.statuses if t > at + 4.0 + HEARD_SHOW_MS / 1000 + 0.2]
    assert later and not any(st.heard for st in later)


def test_coach_next_goes_where_n_goes(timeline: Timeline) -> None:
    by_voice = VoiceRun(timeline, [(5.0, "coach next")])
    by_voice.player.run()
    by_key = VoiceRun(timeline, [], keys=[(by_voice.voice.taken[0], NEXT)])
    by_key.player.run()
    voice_heard = by_voice.output.recorded().astype(np.int32)
    key_heard = by_key.output.recorded().astype(np.int32)
    assert len(voice_heard) == len(key_heard)
    k = by_voice.frame(0)
    voice_heard[k : k + len(CHIME)] -= CHIME  # the chime is the only difference
    assert np.array_equal(voice_heard, key_heard)
    assert [(e.what, e.origin) for e in by_voice.events] == [("next", "voice")]
    assert [(e.what, e.origin, e.detail) for e in by_key.events] == [("next", "key", "n")]


def test_coach_stop_quits_after_the_chime_is_heard(timeline: Timeline) -> None:
    run = VoiceRun(timeline, [(4.0, "coach stop")])
    report = run.player.run()
    assert not report.finished
    heard = run.output.recorded()
    k = run.frame(0)
    assert len(heard) >= k + len(CHIME)  # not cut off by the stop
    assert np.abs(heard[k + len(CHIME) :]).max(initial=0) == 0  # then nothing more
    assert run.events[-1] == ControlEvent(run.events[-1].at_ms, "stop", "voice", "coach stop")


def test_keys_keep_working_beside_the_voice(timeline: Timeline) -> None:
    run = VoiceRun(timeline, [(3.0, "coach pause")], keys=[(5.0, PAUSE), (7.0, "q")])
    report = run.player.run()
    assert not report.finished and run.screen.pauses() == 1
    assert [(e.what, e.origin) for e in run.events] == [
        ("pause", "voice"),
        ("go on", "key"),
        ("stop", "key"),
    ]


def test_a_microphone_that_goes_away_is_said_once_and_keys_go_on(timeline: Timeline) -> None:
    run = VoiceRun(timeline, [], keys=[(3.0, "q")])
    run.voice.lost = "the microphone went away"
    run.player.run()
    assert run.screen.notices == [
        "Stopped listening because the microphone went away. The keys still work."
    ]


def test_the_status_line_says_what_was_heard_and_gives_it_up_to_fit() -> None:
    status = Status("Overhead stretch", 2, 5, "2 of 4", 12_000, 400_000, heard="coach next")
    assert format_status(status) == (
        "heard: coach next  |  Overhead stretch  |  exercise 2 of 5  |  2 of 4  |  "
        "hold 12 s  |  6:40 left"
    )
    assert format_status(status, 60).startswith("heard: coach next | Overhead stretch")
    assert "heard" not in format_status(status, 30) and "hold 12 s" in format_status(status, 30)


def test_a_control_event_is_one_line() -> None:
    assert format_event(ControlEvent(62_400, "back", "voice", "coach back")) == (
        '1:02  back  (voice: "coach back")'
    )
    assert format_event(ControlEvent(0, "pause", "key", "space")) == "0:00  pause  (key: space)"


# --- telling the coach's voice apart ----------------------------------------------------------


class FakeSpotter:
    """Finds "coach pause" wherever the samples it is fed hold the value 1000."""

    phrases = tuple(COMMANDS)

    def __init__(self) -> None:
        self.fed = 0
        self.run_start: int | None = None

    def feed(self, samples: Samples) -> list[Spotted]:
        found = []
        for index, value in enumerate(samples):
            position = self.fed + index
            if value == 1000 and self.run_start is None:
                self.run_start = position
            elif value != 1000 and self.run_start is not None:
                found.append(Spotted("coach pause", self.run_start, position, 1.0))
                self.run_start = None
        self.fed += len(samples)
        return found

    def settle(self) -> None:
        pass


def marked(seconds: float, marks: list[tuple[float, float]]) -> Samples:
    samples = np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16)
    for start, end in marks:
        samples[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)] = 1000
    return samples


def feed(ears: Ears, mic: Samples, played: Samples | None, latency_s: float) -> list[float]:
    """Both streams in 50 ms blocks, played ones handed over `latency_s` ahead; the times
    commands came out."""
    block = SAMPLE_RATE // 20
    lead = round(latency_s * SAMPLE_RATE)
    out = []
    for start in range(0, len(mic), block):
        if played is not None:
            ahead = start + lead
            if ahead < len(played):
                ears.played(played[ahead : ahead + block], ahead / SAMPLE_RATE - latency_s)
        now = (start + block) / SAMPLE_RATE
        out += [now for _ in ears.captured(mic[start : start + block], now)]
    out += [3600.0 for _ in ears.decide(3600.0)]
    return out


def test_a_phrase_the_speakers_carried_is_the_coachs_own() -> None:
    played = marked(10.0, [(2.0, 3.0)])  # the coach "says" a command-like phrase at 2 s
    mic = marked(10.0, [(2.05, 3.05), (6.0, 7.0)])  # heard back at 2 s; the user at 6 s
    ears = Ears(FakeSpotter(), echo_spotter=FakeSpotter(), latency_s=0.15)
    came = feed(ears, mic, played, 0.15)
    # Only the user's, once the played samples of its time have been looked at.
    assert len(came) == 1 and 7.0 <= came[0] <= 7.0 + ECHO_MARGIN_S
    assert [spotted.phrase for spotted in ears.dropped] == ["coach pause"]
    # Without the check, both would count.
    assert len(feed(Ears(FakeSpotter()), mic, played, 0.15)) == 2


def test_a_phrase_waits_for_the_played_samples_of_its_time() -> None:
    ears = Ears(FakeSpotter(), echo_spotter=FakeSpotter(), latency_s=0.0)
    mic = marked(1.2, [(0.5, 1.0)])
    # Nothing played yet: the command waits (up to ECHO_WAIT_S) rather than pass unchecked.
    assert ears.captured(mic, 1.2) == []
    ears.played(np.zeros(2 * SAMPLE_RATE, dtype=np.int16), 0.0)
    assert [heard.action for heard in ears.decide(1.25)] == [HOLD]
    # Nothing played at all: after ECHO_WAIT_S it is taken unchecked.
    deaf = Ears(FakeSpotter(), echo_spotter=FakeSpotter(), latency_s=0.0)
    assert deaf.captured(mic, 1.2) == []
    assert deaf.decide(1.0 + ECHO_WAIT_S - 0.05) == []
    assert [heard.action for heard in deaf.decide(1.0 + ECHO_WAIT_S + 0.05)] == [HOLD]


# --- threads and devices ------------------------------------------------------------------------


class FakeMicrophone:
    name = "fake"
    backend = ""

    def __init__(self, fail: str | None = None) -> None:
        self.fail = fail
        self.deliver: Callable[[Samples], None] | None = None
        self.closed = False

    def start(self, deliver: Callable[[Samples], None]) -> None:
        if self.fail:
            from coach.live.inputs import no_microphone_error

            raise no_microphone_error(self.fail)
        self.deliver = deliver

    def problem(self) -> str | None:
        return None

    def close(self) -> None:
        self.closed = True


def test_the_microphones_thread_never_waits_for_the_listener() -> None:
    class SlowSpotter(FakeSpotter):
        def feed(self, samples: Samples) -> list[Spotted]:
            time.sleep(0.05)
            return super().feed(samples)

    microphone = FakeMicrophone()
    woken = threading.Event()
    listener = Listener(microphone, Ears(SlowSpotter()), wake=woken.set)
    listener.start(None)
    assert microphone.deliver is not None
    block = marked(0.05, [])
    started = time.monotonic()
    for _ in range(1000):  # far more than the listener can take: extra blocks are dropped
        microphone.deliver(block)
    assert time.monotonic() - started < 0.5
    assert listener.overflows > 0
    microphone.deliver(marked(0.5, [(0.1, 0.3)]))
    listener.close()
    assert microphone.closed


def test_a_command_reaches_the_player_through_the_listener() -> None:
    microphone = FakeMicrophone()
    woken = threading.Event()
    listener = Listener(microphone, Ears(FakeSpotter()), wake=woken.set)
    listener.start(None)
    assert microphone.deliver is not None
    microphone.deliver(marked(1.0, [(0.2, 0.6)]))
    assert woken.wait(5)
    assert listener.take() == Heard("coach pause", HOLD)
    assert listener.take() is None
    listener.close()


def test_the_tap_passes_the_stream_on_and_notes_each_block() -> None:
    class Source:
        def read(self, frames: int) -> Samples:
            return np.arange(frames, dtype=np.int16)

    tap = PlayedTap(Source(), clock=lambda: 12.5)
    assert np.array_equal(tap.read(5), np.arange(5))
    assert [(at, list(samples)) for at, samples in tap.blocks] == [(12.5, [0, 1, 2, 3, 4])]
    for _ in range(QUEUE_BLOCKS + 10):
        tap.read(1)
    assert len(tap.blocks) == QUEUE_BLOCKS  # bounded, the oldest dropped


def test_a_missing_microphone_is_said_and_play_goes_on(timeline: Timeline) -> None:
    run = VoiceRun(timeline, [], keys=[(1.0, "q")])
    notices: list[str] = []
    listening = Listening(
        Ears(FakeSpotter()), run.player, notices.append, lambda: FakeMicrophone("it is busy")
    )
    with listening as listener:
        assert listener is None
        assert not run.player.run().finished
    assert len(notices) == 1
    assert notices[0].startswith("The microphone could not be opened (it is busy)")
    assert "The keys work as usual." in notices[0]


def test_without_the_listen_extra_listening_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from coach.live.listener import open_ears
    from coach.live.spotting import open_spotter

    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    with pytest.raises(CoachError, match=r"pip install 'coach\[listen\]'"):
        open_ears()
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)
    with pytest.raises(CoachError, match=r"pip install 'coach\[listen\]'"):
        open_spotter("pocketsphinx")


def test_play_listen_without_the_listen_extra_fails_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from support.cli import run

    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    result = run("play", "--listen", "--yes", "--audio-backend", "null")
    assert result.exit_code == 2
    assert result.stderr.startswith("coach: Listening is not installed.")
    assert "scripts/coach installs it" in result.stderr
    assert "Traceback" not in result.stderr


# --- the verifier and the echo canceller, as Ears uses them ----------------------------------


class FakeVerifier:
    """Says "coach next" for a clip whose phrase (its samples of 1000) is shorter than 0.8 s,
    nothing for a longer one; keeps every clip it was given."""

    def __init__(self) -> None:
        self.clips: list[Samples] = []

    def confirm(self, samples: Samples) -> str | None:
        self.clips.append(samples)
        return "coach next" if (samples == 1000).sum() < 0.8 * SAMPLE_RATE else None


class TwiceSpotter(FakeSpotter):
    """Finds every marked phrase twice, as a spotter whose phrases overlap may."""

    def feed(self, samples: Samples) -> list[Spotted]:
        return [spotted for spotted in super().feed(samples) for _ in range(2)]


def test_the_verifier_says_which_command_it_was_or_that_it_was_none() -> None:
    verifier = FakeVerifier()
    ears = Ears(TwiceSpotter(), verifier=verifier)
    mic = marked(6.0, [(1.0, 1.6), (4.0, 5.0)])  # the second: found, but no command
    came = []
    block = SAMPLE_RATE // 20
    for start in range(0, len(mic), block):
        came += ears.captured(mic[start : start + block], (start + block) / SAMPLE_RATE)
    # The spotter's guess ("coach pause") gives way to the verifier's; found twice, taken once.
    assert came == [Heard("coach next", NEXT)]
    # Each sound was weighed once: its second finding was dropped.
    assert len(verifier.clips) == 2 and len(ears.dropped) == 2 and len(ears.rejected) == 1
    # The verifier heard each phrase with HEAD_S before and TAIL_S after it.
    first = verifier.clips[0]
    assert len(first) == round((0.6 + HEAD_S + TAIL_S) * SAMPLE_RATE)
    assert not first[: round(HEAD_S * SAMPLE_RATE) - 1].any()


def test_a_listener_that_is_behind_lets_candidates_go_unweighed() -> None:
    verifier = FakeVerifier()
    ears = Ears(FakeSpotter(), verifier=verifier)
    ears.behind_s = BEHIND_S + 0.1
    mic = marked(3.0, [(1.0, 1.6)])
    block = SAMPLE_RATE // 20
    came = []
    for start in range(0, len(mic), block):
        came += ears.captured(mic[start : start + block], (start + block) / SAMPLE_RATE)
    assert came == [] and not verifier.clips and len(ears.dropped) == 1


class ListeningCanceller:
    """An EchoRemover that removes nothing and notes what it was told."""

    def __init__(self) -> None:
        self.played_count = 0
        self.hints: list[int | None] = []

    def played(self, samples: Samples) -> None:
        self.played_count += len(samples)

    def cancel(self, samples: Samples, lag_hint: int | None = None) -> Samples:
        self.hints.append(lag_hint)
        return samples


def test_the_canceller_is_told_the_clocks_guess_of_the_lag() -> None:
    canceller = ListeningCanceller()
    ears = Ears(FakeSpotter(), canceller=canceller, latency_s=0.15)
    silence = np.zeros(SAMPLE_RATE // 20, dtype=np.int16)
    assert ears.captured(silence, 0.05) == []  # nothing played yet: no guess
    # Block b is handed to the output at 0.2 + 0.05 b, so heard at 0.35 + 0.05 b.
    for block in range(40):
        ears.played(silence, 0.2 + block * 0.05)
    ears.captured(silence, 1.25)
    # At 1.25 s the microphone has given 2 blocks, and the speakers are starting block 18.
    assert canceller.hints == [None, (2 - 18) * len(silence)]
    assert canceller.played_count == 40 * len(silence)


def test_the_doctests_pass() -> None:
    import doctest

    import coach.live.miniaudio_common
    import coach.live.verifying

    for module in (coach.live.verifying, coach.live.miniaudio_common):
        result = doctest.testmod(module)
        assert result.attempted >= 1 and result.failed == 0, module.__name__


def test_short_utterances_on_their_own_are_candidates_and_longer_speech_is_not() -> None:
    from coach.live.spotting import UTTERANCE_HANG_MS, UtteranceSpotter

    rng = np.random.default_rng(3)
    second = SAMPLE_RATE
    # Faint noise; a 0.8 s "command" from 1 s; 3 s of "talk" from 3 s; a 0.5 s one from 7.5 s.
    sound = rng.normal(0, 30, 9 * second)
    spans = [(second, second * 18 // 10), (3 * second, 6 * second), (second * 75 // 10, 8 * second)]
    for start, end in spans:
        sound[start:end] += rng.normal(0, 3000, end - start)
    samples = sound.astype(np.int16)
    spotter = UtteranceSpotter()
    found = []
    for start in range(0, len(samples), 1000):
        fed = start + 1000
        came = spotter.feed(samples[start:fed])
        for spotted in came:
            # Handed over once UTTERANCE_HANG_MS of quiet has ended it, not much later.
            assert fed - spotted.end < ms_to_samples(UTTERANCE_HANG_MS) + 1000 + PERIOD
        found += came
    assert [spotted.phrase for spotted in found] == ["", ""]
    for spotted, (start, end) in zip(found, [spans[0], spans[2]], strict=True):
        assert abs(spotted.start - start) <= PERIOD and abs(spotted.end - end) <= PERIOD


def test_an_utterance_without_a_verifier_is_no_command() -> None:
    class Once:
        phrases = tuple(COMMANDS)

        def __init__(self) -> None:
            self.done = False

        def feed(self, samples: Samples) -> list[Spotted]:
            if self.done:
                return []
            self.done = True
            return [Spotted("", 0, len(samples), 0.0)]

        def settle(self) -> None:
            pass

    ears = Ears(Once())
    block = np.zeros(SAMPLE_RATE // 20, dtype=np.int16)
    heard = [ears.captured(block, (index + 1) / 20) for index in range(30)]
    assert not any(heard) and len(ears.rejected) == 1


# --- the engine -------------------------------------------------------------------------------


@pytest.mark.tts
def test_the_listener_finds_the_natural_voices_commands_in_road_noise_and_no_more() -> None:
    pytest.importorskip("faster_whisper", reason="the listen extra is not installed")
    from coach.live.listener import open_ears
    from coach.speech.voices import open_voice
    from support.listening import at_snr, road_noise, to_samples

    engine, voice = open_voice("joe")
    said = ["coach next", "coach back", "coach pause", "coach go on"]
    talk = [
        "The coach said we should pause at the next rest stop.",
        "I think the weather will clear up by the afternoon.",
    ]
    pieces = []
    for text in [*said, *talk]:
        samples, _ = engine.synthesize(text, voice, 160)
        pieces += [np.zeros(SAMPLE_RATE), samples.astype(np.float64)]
    speech = np.concatenate([*pieces, np.zeros(SAMPLE_RATE)])
    mix = to_samples(speech + at_snr(road_noise(len(speech) / SAMPLE_RATE), speech, 10.0))
    ears = open_ears()
    heard = []
    block = SAMPLE_RATE // 20
    for start in range(0, len(mix), block):
        now = (start + block) / SAMPLE_RATE
        heard += [command.phrase for command in ears.captured(mix[start : start + block], now)]
    assert heard == said  # each once, in order, and nothing in the sentences


@pytest.mark.tts
def test_the_wake_word_is_weighed_on_its_own() -> None:
    """ "coach back" and "go back" differ only in the wake word: its own score puts each
    voice's, at two rates, well on its side of WAKE_THRESHOLD."""
    pytest.importorskip("faster_whisper", reason="the listen extra is not installed")
    from coach.live.verifying import WAKE_THRESHOLD, WhisperVerifier
    from coach.speech.voices import open_voice

    verifier = WhisperVerifier()
    pad = np.zeros(SAMPLE_RATE // 4, dtype=np.int16)
    for name in ("joe", "gmw/en-us"):
        engine, voice = open_voice(name)
        for rate in (160, 200):
            wakes = {}
            for text in ("coach back", "go back"):
                samples, _ = engine.synthesize(text, voice, rate)
                taken = verifier.confirm(np.concatenate([pad, samples, pad]))
                assert taken == ("coach back" if text == "coach back" else None), (name, rate)
                wakes[text] = verifier.wake_score
            assert wakes["coach back"] > WAKE_THRESHOLD + 2, (name, rate, wakes)
            assert wakes["go back"] < WAKE_THRESHOLD - 2, (name, rate, wakes)


def test_each_command_has_a_threshold_for_its_own_words() -> None:
    from coach.live.verifying import WORD_THRESHOLDS, decide

    assert set(WORD_THRESHOLDS) == set(COMMANDS)
    # The same sums and wake word: only the words after "coach" decide.
    sure = {"coach next": -6.0, "coach pause": -12.0}
    assert decide(sure, -1.0, -11.5, -7.5) == "coach next"
    assert decide(sure, -1.0, -11.5, -7.5, {**WORD_THRESHOLDS, "coach next": -4.5}) is None
