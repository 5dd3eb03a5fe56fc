"""Benchmark of listening during live play: detection, false alarms, reaction and CPU (not tests).

    .venv/bin/python scripts/bench_listen.py                 # check THRESHOLDS as shipped
    .venv/bin/python scripts/bench_listen.py --tune          # choose thresholds, then check
    .venv/bin/python scripts/bench_listen.py --json out.json

Method (printed with the results):

- Commands: every phrase of coach.live.spotting.COMMANDS, spoken by both voices (the natural
  voice "joe" and eSpeak NG), at four rates: 140 and 180 words a minute make the tuning set,
  160 and 200 the check set, so thresholds are chosen on one set and judged on the other.
- Conditions: clean, and with road noise (brown noise with an idling engine's rumble, from a
  seeded generator) at 10 and 0 dB SNR against the command; each with the coach silent, and
  with the session playing: the built-in session's own audio (the natural voice) through a
  small cab's echo path (a direct path, 60 ms of reflections, small speakers' bass loss) at
  the same loudness as the command, while the listener also hears what was played.
- All trials run as one continuous stream through `coach.live.listener.Ears`, in 50 ms
  blocks, as live play feeds it; a trial counts as detected when the right command comes out
  within 1.5 s of its end, and as a confusion when another does.
- False alarms: the whole session played and fed back into the microphone through the echo
  path, with road noise 10 dB below it (what the coach hears of itself: "session audio"), and
  ordinary speech that is not a command, spoken by both voices with nothing played: sentences
  that use the command words in passing ("The coach said to pause at the next stop") and the
  session's own narration. Reported as counts and per hour of that audio.
- Reaction: from a command's last sample to the moment Ears hands the command over, in stream
  time (blocks of 50 ms); the player then acts within its 0.1 s wait, and the fade and the
  device's buffer follow (tests/live/test_listen_pulse.py measures it end to end).
- CPU: process time of both spotters (microphone and what was played) over the false-alarm
  audio, as a share of one core at real time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from coach.live.listener import Ears  # noqa: E402
from coach.live.spotting import COMMANDS, THRESHOLDS, PocketsphinxSpotter  # noqa: E402
from coach.pcm import read_wav  # noqa: E402
from coach.time import SAMPLE_RATE  # noqa: E402
from support.listening import active_rms, at_snr, road_noise, room_echo, to_samples  # noqa: E402

VOICES = {"natural": "joe", "eSpeak": "gmw/en-us"}
TUNE_RATES = (140, 180)
CHECK_RATES = (160, 200)
SNRS: tuple[float | None, ...] = (None, 10.0, 0.0)
BLOCK = SAMPLE_RATE // 20
LATENCY_S = 0.15
TRIAL_S = 3.5
COMMAND_AT_S = 1.2
WINDOW_S = 1.5

ORDINARY = (
    "The coach said we should pause at the next rest stop.",
    "Go on, take the next exit, and then come back this way.",
    "My old coach never let us stop before the final whistle.",
    "Pause the radio for a second, I want to hear the traffic news.",
    "We will stop for coffee, then go on to the next town.",
    "The coach and the bus were parked at the back of the lot.",
    "Turn left at the next light and keep going for a mile.",
    "She goes on about her coach trip to the coast every time.",
    "Stop, look and listen before you cross the road.",
    "I think the weather will clear up by the afternoon.",
)

GOALS = {
    "silent_10db": 0.90,
    "speaking_10db": 0.75,
    "false_alarms_per_hour": 1.0,
    "reaction_ms": 700.0,
    "cpu": 0.10,
}


@dataclass
class Audio:
    commands: dict[tuple[str, int, str], np.ndarray]
    session: np.ndarray
    ordinary: np.ndarray


def synthesize(rates: tuple[int, ...]) -> dict[tuple[str, int, str], np.ndarray]:
    from coach.speech import open_voice

    out = {}
    for label, spec in VOICES.items():
        engine, voice = open_voice(spec)
        for rate in rates:
            for phrase in COMMANDS:
                samples, sample_rate = engine.synthesize(phrase, voice, rate)
                assert sample_rate == SAMPLE_RATE
                out[(label, rate, phrase)] = samples.astype(np.float64)
    return out


def render_session(voice: str, folder: Path) -> np.ndarray:
    path = folder / f"session-{voice.replace('/', '-')}.wav"
    env = dict(os.environ, COACH_CACHE_DIR=str(folder / "cache"))
    subprocess.run(
        [sys.executable, "-m", "coach", "render", "-q", "--voice", voice, "-o", str(path)],
        check=True,
        env=env,
        cwd=ROOT,
    )
    samples, _ = read_wav(path)
    return samples.astype(np.float64)


def ordinary_speech(session_espeak: np.ndarray, session_natural: np.ndarray) -> np.ndarray:
    from coach.speech import open_voice

    pieces = []
    gap = np.zeros(SAMPLE_RATE // 2)
    for spec in VOICES.values():
        engine, voice = open_voice(spec)
        for rate in (150, 190):
            for text in ORDINARY:
                samples, _ = engine.synthesize(text, voice, rate)
                pieces += [samples.astype(np.float64), gap]
    return np.concatenate([*pieces, session_natural, session_espeak])


def stream(ears: Ears, mic: np.ndarray, played: np.ndarray | None) -> list[tuple[int, str]]:
    """Feed both streams in blocks; return (mic sample count when handed over, phrase)."""
    out = []
    mic_int = to_samples(mic)
    played_int = to_samples(played) if played is not None else None
    lead = round(LATENCY_S * SAMPLE_RATE)
    for start in range(0, len(mic_int), BLOCK):
        now = (start + BLOCK) / SAMPLE_RATE
        if played_int is not None:
            ahead = start + lead
            block = played_int[ahead : ahead + BLOCK]
            if len(block):
                ears.played(block, ahead / SAMPLE_RATE - LATENCY_S)
        out += [
            (start + BLOCK, heard.phrase)
            for heard in ears.captured(mic_int[start : start + BLOCK], now)
        ]
    return out


def loud_places(session: np.ndarray, count: int, length: int) -> list[int]:
    """`count` places in the session where the coach speaks through a stretch of `length`."""
    frame = SAMPLE_RATE // 100
    env = np.sqrt((session[: len(session) // frame * frame].reshape(-1, frame) ** 2).mean(axis=1))
    loud = env > env.max() * 0.03
    span = length // frame
    places = [
        index * frame
        for index in range(0, len(loud) - span, 37)
        if loud[index : index + span].mean() > 0.7
    ]
    step = max(len(places) // count, 1)
    return [places[(i * step) % len(places)] for i in range(count)]


def trials(
    thresholds: dict[str, float],
    commands: dict[tuple[str, int, str], np.ndarray],
    session: np.ndarray,
) -> dict[str, Any]:
    """Every command in every condition; detection, confusion and reaction per condition."""
    results: dict[str, Any] = {}
    trial = round(TRIAL_S * SAMPLE_RATE)
    at = round(COMMAND_AT_S * SAMPLE_RATE)
    keys = sorted(commands)
    places = loud_places(session, len(keys), trial)
    for background in (False, True):
        for snr in SNRS:
            mic = np.zeros(trial * len(keys))
            played = np.zeros(trial * len(keys)) if background else None
            ends = []
            for index, key in enumerate(keys):
                command = commands[key]
                base = index * trial
                mic[base + at : base + at + len(command)] += command
                ends.append(base + at + len(command))
                if played is not None:
                    segment = session[places[index] : places[index] + trial]
                    segment = segment * (active_rms(command) / max(active_rms(segment), 1.0))
                    played[base : base + len(segment)] = segment
            if played is not None:
                mic += room_echo(played)
            if snr is not None:
                noise = road_noise(len(mic) / SAMPLE_RATE, seed=11)
                level = active_rms(np.concatenate(list(commands.values())))
                mic += noise * level / 10 ** (snr / 20)
            ears = Ears(
                PocketsphinxSpotter(thresholds),
                PocketsphinxSpotter(thresholds) if background else None,
            )
            heard = stream(ears, mic, played)
            detected = confused = 0
            reactions = []
            by_voice: dict[str, list[int]] = {}
            for index, key in enumerate(keys):
                near = [
                    (when, phrase)
                    for when, phrase in heard
                    if ends[index] - 1.0 * SAMPLE_RATE
                    <= when
                    <= ends[index] + WINDOW_S * SAMPLE_RATE
                ]
                hit = [when for when, phrase in near if phrase == key[2]]
                detected += bool(hit)
                confused += any(phrase != key[2] for _, phrase in near)
                by_voice.setdefault(key[0], [0, 0])
                by_voice[key[0]][0] += bool(hit)
                by_voice[key[0]][1] += 1
                if hit:
                    reactions.append((hit[0] - ends[index]) * 1000 / SAMPLE_RATE)
            noise_name = "clean" if snr is None else f"{snr:g}db"
            name = f"{'speaking' if background else 'silent'}_{noise_name}"
            results[name] = {
                "detected": detected,
                "total": len(keys),
                "rate": detected / len(keys),
                "confused": confused,
                "by_voice": {voice: f"{a}/{b}" for voice, (a, b) in by_voice.items()},
                "reaction_ms_median": float(np.median(reactions)) if reactions else None,
                "reaction_ms_max": float(np.max(reactions)) if reactions else None,
            }
    return results


def false_alarms(thresholds: dict[str, float], audio: Audio) -> dict[str, Any]:
    session = audio.session
    echo = room_echo(session)
    noise = road_noise(len(session) / SAMPLE_RATE, seed=5)
    mic = echo + at_snr(noise, echo, 10.0)
    out: dict[str, Any] = {}
    hours = len(session) / SAMPLE_RATE / 3600
    cpu = time.process_time()
    ears = Ears(PocketsphinxSpotter(thresholds), PocketsphinxSpotter(thresholds))
    heard = stream(ears, mic, session)
    cpu = time.process_time() - cpu
    out["session_minutes"] = hours * 60
    out["session_with_echo_check"] = len(heard)
    out["session_echo_dropped"] = len(ears.dropped)
    out["session_without_echo_check"] = len(heard) + len(ears.dropped)
    out["cpu_share_of_one_core"] = cpu / (hours * 3600)
    ordinary = audio.ordinary
    noise = road_noise(len(ordinary) / SAMPLE_RATE, seed=6)
    ears = Ears(PocketsphinxSpotter(thresholds))
    heard = stream(ears, ordinary + at_snr(noise, ordinary, 10.0), None)
    out["ordinary_minutes"] = len(ordinary) / SAMPLE_RATE / 60
    out["ordinary"] = len(heard)
    out["ordinary_phrases"] = [phrase for _, phrase in heard]
    total_hours = hours + len(ordinary) / SAMPLE_RATE / 3600
    out["per_hour"] = (out["session_with_echo_check"] + out["ordinary"]) / total_hours
    return out


def score(result: dict[str, Any]) -> float:
    """One number to tune by: detections in noise, less a heavy price for any false alarm."""
    trials_part = sum(v["rate"] for k, v in result["trials"].items() if not k.endswith("clean"))
    alarms = result["false_alarms"]["session_with_echo_check"] + result["false_alarms"]["ordinary"]
    return trials_part - 2.0 * alarms


def run(thresholds: dict[str, float], commands: Any, audio: Audio) -> dict[str, Any]:
    return {
        "thresholds": thresholds,
        "trials": trials(thresholds, commands, audio.session),
        "false_alarms": false_alarms(thresholds, audio),
    }


def report(label: str, result: dict[str, Any]) -> None:
    sys.stdout.flush()
    print(f"\n== {label}: thresholds {result['thresholds']}")
    for name, row in result["trials"].items():
        median = row["reaction_ms_median"]
        longest = row["reaction_ms_max"]
        median_text = "-" if median is None else f"{median:.0f}"
        longest_text = "-" if longest is None else f"{longest:.0f}"
        print(
            f"  {name:<16} {row['detected']:>3}/{row['total']} = {row['rate']:6.1%}  "
            f"{row['by_voice']}  confused {row['confused']}  reaction median "
            f"{median_text} ms, max {longest_text} ms"
        )
    fa = result["false_alarms"]
    print(
        f"  session fed back, {fa['session_minutes']:.1f} min: {fa['session_with_echo_check']} "
        f"false alarms with the echo check ({fa['session_echo_dropped']} dropped as the coach's "
        f"own; {fa['session_without_echo_check']} without it)"
    )
    print(
        f"  ordinary speech, {fa['ordinary_minutes']:.1f} min: {fa['ordinary']} false alarms "
        f"{fa['ordinary_phrases']}; together {fa['per_hour']:.2f} per hour"
    )
    print(f"  CPU, both spotters: {fa['cpu_share_of_one_core']:.1%} of one core", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tune", action="store_true", help="choose thresholds, then check")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    print(__doc__, flush=True)
    with tempfile.TemporaryDirectory() as folder:
        natural = render_session("joe", Path(folder))
        espeak = render_session("gmw/en-us", Path(folder))
    audio = Audio({}, natural, ordinary_speech(espeak, natural))
    tune_set = synthesize(TUNE_RATES)
    check_set = synthesize(CHECK_RATES)
    results: dict[str, Any] = {}
    chosen = dict(THRESHOLDS)
    if args.tune:
        best = None
        for exponent in (-5, -10, -15, -20):
            candidate = dict.fromkeys(COMMANDS, float(f"1e{exponent}"))
            result = run(candidate, tune_set, audio)
            report(f"tuning set, 1e{exponent}", result)
            if best is None or score(result) > score(best):
                best = result
        assert best is not None
        chosen = best["thresholds"]
        results["tuned"] = best
    result = run(chosen, check_set, audio)
    report("check set", result)
    results["check"] = result
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
