"""The shorter version: every length from the shortest to the full one fits within 15 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.errors import CoachError
from coach.plan.compiler import ExercisePlan, Plan
from coach.plan.fit import (
    SHORTER_NOTE,
    TOLERANCE_MS,
    _cut_sequence,
    _filler_trims,
    _PlanLengths,
    fit_session,
    full_session,
    shortest_session,
)
from coach.plan.routine import Routine
from coach.plan.script import Chapter, Hold, Step
from coach.plan.timeline import build_timeline
from coach.routines.loading import load_routine
from coach.time import minutes_at_least
from support.lengths import EstimatedLengths
from support.paths import EXAMPLE, LONG

STEP_MS = 15_000


def _sweep(rest_stop: Routine, *, brief: bool) -> list[int]:
    lengths = EstimatedLengths()
    shortest = shortest_session(rest_stop, lengths, brief=brief).length_ms
    full = full_session(rest_stop, lengths, brief=brief).length_ms
    return list(range(shortest, full + 1, STEP_MS))


@pytest.mark.parametrize("brief", [False, True])
def test_every_target_fits_within_tolerance(rest_stop: Routine, *, brief: bool) -> None:
    lengths = EstimatedLengths()
    targets = _sweep(rest_stop, brief=brief)
    assert len(targets) > 20
    misses = []
    for target in targets:
        fitted = fit_session(rest_stop, target, lengths, brief=brief)
        timeline = build_timeline(fitted.script, lengths)
        assert timeline.total_ms == fitted.length_ms
        if not target - TOLERANCE_MS <= fitted.length_ms <= target:
            misses.append((target, fitted.length_ms))
    assert misses == []


@pytest.mark.parametrize("brief", [False, True])
def test_fitted_sessions_keep_balance_order_and_minimums(
    rest_stop: Routine, *, brief: bool
) -> None:
    lengths = EstimatedLengths()
    order = [e.id for e in rest_stop.exercises]
    for target in _sweep(rest_stop, brief=brief)[::3]:
        fitted = fit_session(rest_stop, target, lengths, brief=brief)
        plans = {plan.exercise_id: plan for plan in fitted.options.plan or ()}
        kept = [
            c.exercise_id
            for c in fitted.script.all_events()
            if isinstance(c, Chapter) and c.exercise_id
        ]
        assert kept == [i for i in order if i in kept]
        assert list(plans) == kept
        for exercise_id, plan in plans.items():
            exercise = rest_stop.exercise(exercise_id)
            assert exercise.min_reps <= plan.reps <= exercise.reps
            assert exercise.min_hold_ms <= plan.hold_ms <= exercise.hold_ms
            assert exercise.min_relax_ms <= plan.relax_ms <= exercise.relax_ms
        labels = [e.label for e in fitted.script.all_events() if isinstance(e, Step)]
        for exercise_id in kept:
            if rest_stop.exercise(exercise_id).sides:
                reps = plans[exercise_id].reps
                assert (
                    sum(
                        label.startswith("left side") and label.endswith(f"of {reps}")
                        for label in labels
                    )
                    >= reps
                )
        holds = [e.ms for e in fitted.script.all_events() if isinstance(e, Hold)]
        expected = [
            plan.hold_ms
            for exercise_id, plan in plans.items()
            for _ in range(plan.reps * len(rest_stop.exercise(exercise_id).sides or (None,)))
        ]
        assert holds == expected


def test_cuts_come_in_the_documented_order(rest_stop: Routine) -> None:
    lengths = EstimatedLengths()
    full = full_session(rest_stop, lengths).length_ms
    slightly = fit_session(rest_stop, full - 20_000, lengths)
    assert slightly.changes and "left out" not in " ".join(slightly.changes)
    assert slightly.changes[0] == "fewer words after the first rep"
    explained = fit_session(rest_stop, full - 60_000, lengths)
    assert explained.changes[:2] == ("fewer words after the first rep", "short instructions")
    shortest = shortest_session(rest_stop, lengths)
    plans = {plan.exercise_id: plan for plan in shortest.options.plan or ()}
    assert list(plans) == ["overhead-stretch"]  # the highest priority is kept to the end
    assert plans["overhead-stretch"] == ExercisePlan(
        "overhead-stretch", 2, 15_000, 4_000, move_ms=5_500, terse=True, explain=False
    )
    assert "shoulder rolls" in " ".join(shortest.changes)


def test_lowest_priority_exercise_goes_first(rest_stop: Routine) -> None:
    lengths = EstimatedLengths()
    for target in range(
        shortest_session(rest_stop, lengths).length_ms,
        full_session(rest_stop, lengths).length_ms,
        30_000,
    ):
        fitted = fit_session(rest_stop, target, lengths)
        kept = {plan.exercise_id for plan in fitted.options.plan or ()}
        dropped = [e for e in rest_stop.exercises if e.id not in kept]
        if dropped:
            assert min(e.priority for e in rest_stop.exercises if e.id in kept) >= max(
                e.priority for e in dropped
            )


def test_target_above_full_gives_full_session(rest_stop: Routine) -> None:
    lengths = EstimatedLengths()
    full = full_session(rest_stop, lengths)
    fitted = fit_session(rest_stop, full.length_ms + 60_000, lengths)
    assert fitted.changes == () and fitted.length_ms == full.length_ms


def test_target_below_shortest_names_the_shortest(rest_stop: Routine) -> None:
    lengths = EstimatedLengths()
    shortest = shortest_session(rest_stop, lengths)
    with pytest.raises(CoachError) as caught:
        fit_session(rest_stop, shortest.length_ms - 1_000, lengths)
    seconds = -(-shortest.length_ms // 1000)  # rounded up: a minimum to meet
    assert f"{seconds // 60}:{seconds % 60:02d}" in str(caught.value)
    least = minutes_at_least(shortest.length_ms)
    assert f"at least {least:g} minutes" in str(caught.value)
    assert fit_session(rest_stop, round(least * 60_000), lengths).changes


def test_fitted_session_says_it_is_shorter(rest_stop: Routine) -> None:
    fitted = fit_session(rest_stop, 4 * 60_000, EstimatedLengths())
    assert SHORTER_NOTE in fitted.script.phrases()
    assert SHORTER_NOTE not in full_session(rest_stop, EstimatedLengths()).script.phrases()
    assert fitted.summary().startswith(fitted.changes[0])


def test_fit_is_deterministic(rest_stop: Routine) -> None:
    lengths = EstimatedLengths()
    assert fit_session(rest_stop, 200_000, lengths) == fit_session(rest_stop, 200_000, lengths)


def test_plan_lengths_match_compiled_sessions(rest_stop: Routine) -> None:
    from coach.plan.compiler import CompileOptions, compile_routine
    from coach.plan.fit import _cut_sequence, _PlanLengths
    from coach.plan.lengths import events_length_ms

    lengths = EstimatedLengths()
    measure = _PlanLengths(rest_stop, lengths, brief=False, note="A note.")
    plans = list(_cut_sequence(rest_stop))
    assert len(plans) > 50
    for plan in plans[::7]:
        script = compile_routine(rest_stop, CompileOptions(plan=plan, note="A note."))
        assert measure(plan) == events_length_ms(script.events, lengths)


@pytest.mark.tts
@pytest.mark.parametrize("brief", [False, True])
def test_every_target_fits_with_measured_speech(rest_stop: Routine, *, brief: bool) -> None:
    # The same bar with the real voice's phrase lengths, as `coach render -m` uses them.
    from coach.sound.session_sounds import open_sounds

    sounds = open_sounds()
    shortest = shortest_session(rest_stop, sounds, brief=brief).length_ms
    full = full_session(rest_stop, sounds, brief=brief).length_ms
    misses = []
    for target in range(shortest, full + 1, STEP_MS):
        fitted = fit_session(rest_stop, target, sounds, brief=brief)
        assert build_timeline(fitted.script, sounds).total_ms == fitted.length_ms
        if not target - TOLERANCE_MS <= fitted.length_ms <= target:
            misses.append((target, fitted.length_ms))
    assert misses == []


class _PartlyKnown:
    """Estimated lengths of which only `known` are known ahead, as phrases made already
    are; a phrase measured is known from then on. Notes what is measured."""

    def __init__(self, known: set[str]) -> None:
        self.estimated = EstimatedLengths()
        self.known = set(known)
        self.measured: set[str] = set()

    def speech_ms(self, text: str) -> int:
        self.measured.add(text)
        self.known.add(text)
        return self.estimated.speech_ms(text)

    def known_speech_ms(self, text: str) -> int | None:
        return self.estimated.speech_ms(text) if text in self.known else None

    def cue_ms(self, name: str) -> int:
        return self.estimated.cue_ms(name)


@pytest.mark.parametrize("brief", [False, True])
def test_the_fit_is_the_same_whatever_lengths_are_known_ahead(
    rest_stop: Routine, *, brief: bool
) -> None:
    """A version is only passed over unmeasured when it is certainly too long."""
    lengths = EstimatedLengths()
    for target in _sweep(rest_stop, brief=brief)[::2]:
        expected = fit_session(rest_stop, target, lengths, brief=brief)
        for known in (set(), set(expected.script.phrases())):
            assert fit_session(rest_stop, target, _PartlyKnown(known), brief=brief) == expected


def test_a_shorter_version_measures_only_the_versions_it_cannot_rule_out(
    rest_stop: Routine,
) -> None:
    """Five minutes, with the picked version's phrases made: the full session's later reps
    (far too long) are never measured, so they need never be synthesized."""
    everything = _PartlyKnown(set())
    expected = fit_session(rest_stop, 300_000, EstimatedLengths())
    ahead = _PartlyKnown(set(expected.script.phrases()))
    assert fit_session(rest_stop, 300_000, ahead) == expected
    full = set(full_session(rest_stop, everything).script.phrases())
    unmeasured = full - ahead.measured
    assert "Three of four. Breathe in, and squeeze." in unmeasured
    assert "Set three of four. Sit tall." in unmeasured
    assert len(unmeasured) >= 10


@pytest.mark.parametrize("brief", [False, True])
def test_the_shortest_version_is_the_first_of_the_shortest_whatever_is_known(
    rest_stop: Routine, *, brief: bool
) -> None:
    from coach.plan.fit import _cut_sequence, _PlanLengths

    lengths = EstimatedLengths()
    measure = _PlanLengths(rest_stop, lengths, brief=brief, note=SHORTER_NOTE)
    plans = list(_cut_sequence(rest_stop))
    expected = min(plans, key=measure)  # min() keeps the first of equals
    for known in (set(), {"Hold."}):
        partly = _PartlyKnown(known)
        shortest = shortest_session(rest_stop, partly, brief=brief)
        assert shortest.options.plan == expected
        assert shortest == shortest_session(rest_stop, lengths, brief=brief)
    # The most cut versions rule the rest out: far fewer phrases are measured than exist.
    every = {text for plan in plans for text in _plan_phrases(rest_stop, plan, brief=brief)}
    assert len(partly.measured) < len(every) / 2


TIED = b"""
title = "Tied"
safety = ["Only do this while you're parked."]
closing = ["Done."]

[[exercise]]
id = "stretch"
title = "Stretch"
instructions = ["Reach up."]
reminder = "Reach up."
release = "Now relax slowly and completely, letting your shoulders drop and your breath settle."
move = 5
hold = 5
relax = 2
min_relax = 0.5
"""


def test_of_equally_short_versions_the_first_in_the_order_of_cuts_is_the_shortest() -> None:
    """The release outlasts every relax, so shorter relaxes change nothing, and the move
    outlasts the instruction, long or short: four versions tie, and the first of them (nothing cut)
    is the one a fit names."""
    from coach.plan.fit import _cut_sequence, _PlanLengths
    from coach.plan.routine import parse_routine

    routine = parse_routine(TIED, source="tied.toml", name="tied")
    lengths = EstimatedLengths()
    measure = _PlanLengths(routine, lengths, brief=False, note=SHORTER_NOTE)
    plans = list(_cut_sequence(routine))
    assert len(plans) == 4
    assert len({measure(plan) for plan in plans}) == 1
    assert shortest_session(routine, lengths).options.plan == plans[0]
    assert shortest_session(routine, _PartlyKnown(set())).options.plan == plans[0]


def _plan_phrases(routine: Routine, plan: Plan, *, brief: bool) -> list[str]:
    from coach.plan.compiler import CompileOptions, compile_routine

    options = CompileOptions(brief=brief, plan=plan, note=SHORTER_NOTE)
    return compile_routine(routine, options).phrases()


@pytest.mark.parametrize(("path", "every"), [(EXAMPLE, 1), (LONG, 7)])
def test_each_tenth_of_a_minute_a_user_can_type_comes_as_close_as_the_cuts_allow(
    path: Path, every: int
) -> None:
    """`-m 1.3` is a promise too: every target in tenths of a minute, from the shortest
    version up to the full one, ends at most 15 s under it, unless no version that keeps
    as many exercises (with its holds trimmed to fill) comes closer. The long routine in
    steps of 0.7 minutes, to keep the test short."""
    routine = load_routine(str(path))
    lengths = EstimatedLengths()
    measure = _PlanLengths(routine, lengths, brief=False)
    versions: dict[int, set[int]] = {}  # exercises kept: the lengths of those versions
    for plan in _cut_sequence(routine):
        for version in (plan, *_filler_trims(routine, plan)):
            versions.setdefault(len(version), set()).add(measure(version))
    shortest = shortest_session(routine, lengths, brief=False).length_ms
    full = full_session(routine, lengths, brief=False).length_ms
    tenths = range(-(-shortest // 6_000), full // 6_000 + 1, every)
    assert len(tenths) > 8
    misses = []
    for tenth in tenths:
        target = tenth * 6_000
        fitted = fit_session(routine, target, lengths, brief=False)
        assert fitted.length_ms <= target
        if fitted.length_ms >= target - TOLERANCE_MS:
            continue
        kept = len(fitted.options.plan or routine.exercises)
        closest = max(
            length
            for count, lengths_kept in versions.items()
            if count >= kept
            for length in lengths_kept
            if length <= target
        )
        if closest > fitted.length_ms:
            misses.append((tenth / 10, fitted.length_ms / 1000, closest / 1000))
    assert misses == []
