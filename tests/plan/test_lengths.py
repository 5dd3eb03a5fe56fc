"""How long events last (`event_ms`), and the lower bounds the fit leans on (`AtLeast`):
measured with lower bounds, a run of events is never longer than it really is, and is
exactly as long once every phrase is known."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from coach.plan.compiler import CompileOptions, compile_routine
from coach.plan.lengths import AtLeast, KnownLengths, event_ms, events_length_ms
from coach.plan.routine import Routine
from coach.plan.script import Chapter, Cue, Hold, HoldWord, Move, Relax, Rest, Say, Step
from support.lengths import EstimatedLengths


@dataclass
class PartlyKnown:
    """Lengths of which only `known` phrases are made; asking for another makes it."""

    known: set[str]
    lengths: EstimatedLengths = field(default_factory=EstimatedLengths)
    made: list[str] = field(default_factory=list)

    def speech_ms(self, text: str) -> int:
        self.made.append(text)
        return self.lengths.speech_ms(text)

    def known_speech_ms(self, text: str) -> int | None:
        return self.lengths.speech_ms(text) if text in self.known else None

    def cue_ms(self, name: str) -> int:
        return self.lengths.cue_ms(name)


LENGTHS = EstimatedLengths()


def test_a_phrase_or_chime_lasts_its_length_and_a_marker_nothing() -> None:
    assert event_ms(Say("Breathe in."), LENGTHS) == LENGTHS.speech_ms("Breathe in.")
    assert event_ms(Cue("hold-end"), LENGTHS) == LENGTHS.cue_ms("hold-end")
    assert event_ms(Chapter("Neck", "neck"), LENGTHS) == 0
    assert event_ms(Step("rep 1"), LENGTHS) == 0


def test_a_hold_or_rest_is_exact_whatever_is_said_inside_it() -> None:
    words = (HoldWord(at_ms=15_000, text="Keep breathing, slow and easy."),)
    assert event_ms(Hold(20_000, words), LENGTHS) == 20_000
    assert event_ms(Rest(2_500), LENGTHS) == 2_500


def test_a_move_is_its_own_length_unless_its_words_need_more() -> None:
    cue = (Say("Raise your arms."),)
    go = (Say("Hold."),)
    words = LENGTHS.speech_ms("Raise your arms.") + 700 + LENGTHS.speech_ms("Hold.")
    roomy = Move(ms=words + 3_000, cue=cue, go=go, settle_ms=700)
    tight = Move(ms=words - 1, cue=cue, go=go, settle_ms=700)
    assert event_ms(roomy, LENGTHS) == words + 3_000
    assert event_ms(tight, LENGTHS) == words


def test_a_relax_is_its_own_length_unless_its_release_and_quiet_need_more() -> None:
    release = (Cue("hold-end"), Say("Release."))
    needed = LENGTHS.cue_ms("hold-end") + LENGTHS.speech_ms("Release.") + 2_000
    assert event_ms(Relax(ms=needed + 1, release=release, quiet_ms=2_000), LENGTHS) == needed + 1
    assert event_ms(Relax(ms=1_000, release=release, quiet_ms=2_000), LENGTHS) == needed


def test_at_least_counts_unmade_phrases_as_nothing_and_makes_none() -> None:
    lengths = PartlyKnown(known={"Hold."})
    bound = AtLeast(lengths)
    assert isinstance(lengths, KnownLengths)
    assert bound.speech_ms("Hold.") == LENGTHS.speech_ms("Hold.")
    assert bound.speech_ms("Not made yet.") == 0
    assert bound.cue_ms("hold-end") == LENGTHS.cue_ms("hold-end")
    assert lengths.made == []


def test_at_least_of_lengths_that_are_all_known_is_those_lengths() -> None:
    bound = AtLeast(LENGTHS)
    assert bound.speech_ms("Not made yet.") == LENGTHS.speech_ms("Not made yet.")


@pytest.mark.parametrize("brief", [False, True])
def test_a_session_measured_with_lower_bounds_is_never_longer_than_it_is(
    rest_stop: Routine, *, brief: bool
) -> None:
    script = compile_routine(rest_stop, CompileOptions(brief=brief))
    events = script.events
    phrases = sorted(set(script.phrases()))
    assert len(phrases) > 20
    real = events_length_ms(events, LENGTHS)
    bounds = []
    for count in (0, len(phrases) // 3, 2 * len(phrases) // 3, len(phrases)):
        lengths = PartlyKnown(known=set(phrases[:count]))
        bounds.append(events_length_ms(events, AtLeast(lengths)))
        assert lengths.made == []
    assert bounds == sorted(bounds)  # knowing more never lowers the bound
    assert bounds[0] < real
    assert bounds[-1] == real  # every phrase known: the bound is the length
