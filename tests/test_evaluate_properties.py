"""Properties of `evaluate` over generated ladders and case histories.

Every test draws from `challenge_rules.testing`: policies with every kind of
rule (tracks included), histories both regular and irregular, and moments to
evaluate at.  The properties are what a case system relies on: evaluation is
total, deterministic and blind to the order of the file; the ladder only
climbs; a breach, once reported, stays reported; the JSON report is lossless.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from challenge_rules import evaluate
from challenge_rules.evaluation import Evaluation, Status
from challenge_rules.history import CaseHistory, ConcernRaised, RoleHolderAbsent
from challenge_rules.loading import load_history, load_policy
from challenge_rules.report import from_json, to_json
from challenge_rules.schemas import validate_document
from challenge_rules.testing import Case, as_of_moments, cases, histories, policies

if TYPE_CHECKING:
    from challenge_rules.calendar import Deadline
    from challenge_rules.policy import Policy

POLICIES = policies(with_tracks=True)
ANY_CASE = st.booleans().flatmap(lambda irregular: cases(POLICIES, irregular=irregular))


def concern_of(history: CaseHistory) -> ConcernRaised:
    return next(e for e in history.events if isinstance(e, ConcernRaised))


class Timeline(NamedTuple):
    """A policy and history, and the moments to evaluate them at, earliest first."""

    policy: Policy
    history: CaseHistory
    moments: tuple[datetime, ...]

    def evaluations(self) -> list[Evaluation]:
        return [evaluate(self.policy, self.history, moment) for moment in self.moments]


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    """Every event's moment, a second before each, and a few moments drawn, in time order."""
    policy = draw(POLICIES)
    history = draw(histories(policy, irregular=draw(st.booleans())))
    concern = concern_of(history).at
    moments = {e.at for e in history.events}
    moments |= {e.at - timedelta(seconds=1) for e in history.events if e.at > concern}
    moments |= set(draw(st.lists(as_of_moments(history), min_size=1, max_size=4)))
    return Timeline(policy, history, tuple(sorted(moments, key=lambda m: m.astimezone(UTC))))


def deadlines(evaluation: Evaluation) -> list[Deadline]:
    found = [a.due for a in evaluation.actions if a.due is not None]
    found += [b.due for b in evaluation.breaches]
    found += [r.due for r in evaluation.timeline if r.due is not None]
    return found


# --- totality, determinism, file order ----------------------------------------------------------


@given(ANY_CASE, st.randoms(use_true_random=False))
def test_evaluation_is_total_deterministic_and_blind_to_file_order(case: Case, random) -> None:
    """Valid input always evaluates (no exception at all, library or otherwise), the same
    every time, whatever the order of the events in the file."""
    evaluation = evaluate(*case)
    assert isinstance(evaluation, Evaluation)
    assert evaluation.as_of == case.as_of
    assert evaluation.reference == case.history.reference
    assert evaluation.policy == case.policy.id
    assert evaluation.status in Status
    assert evaluate(*case) == evaluation
    events = list(case.history.events)
    random.shuffle(events)
    shuffled = CaseHistory(
        reference=case.history.reference, events=events, policy=case.history.policy
    )
    assert evaluate(case.policy, shuffled, case.as_of) == evaluation


# --- over time ----------------------------------------------------------------------------------
#
# Each history is evaluated at every event's moment, a second before each, and a few
# moments drawn, earliest first; each property is checked over that sequence.


def check_the_stage_never_moves_down_the_ladder(timeline: Timeline, evaluations) -> None:
    ladder = [s.id for s in timeline.policy.ladder(concern_of(timeline.history).nature)]
    stages = [e.stage for e in evaluations]
    if None in stages:  # the procedure does not apply: it never does
        assert set(stages) == {None}
        return
    positions = [ladder.index(stage) for stage in stages]
    assert positions == sorted(positions), list(zip(timeline.moments, stages, strict=True))


def check_a_breach_once_reported_stays_reported(evaluations) -> None:
    for earlier, later in pairwise(evaluations):
        vanished = {b.id for b in earlier.breaches} - {b.id for b in later.breaches}
        assert not vanished, (earlier.as_of, later.as_of, vanished)


def check_the_timeline_only_grows(evaluations) -> None:
    """Stages reached stay reached, entered at the same moment."""
    for earlier, later in pairwise(evaluations):
        entered = [(r.stage, r.entered_at) for r in earlier.timeline]
        assert [(r.stage, r.entered_at) for r in later.timeline][: len(entered)] == entered


@settings(max_examples=50)
@given(timelines())
def test_over_time_the_ladder_only_climbs_and_breaches_stay(timeline: Timeline) -> None:
    evaluations = timeline.evaluations()
    check_the_stage_never_moves_down_the_ladder(timeline, evaluations)
    check_a_breach_once_reported_stays_reported(evaluations)
    check_the_timeline_only_grows(evaluations)


# --- what is required ---------------------------------------------------------------------------


def check_a_resolved_case_requires_no_stage_or_escalation(evaluation: Evaluation) -> None:
    if evaluation.status is Status.RESOLVED:
        assert [a.id for a in evaluation.actions if a.kind in ("stage", "escalation")] == []


def check_no_action_is_for_someone_absent_that_day(case: Case, evaluation: Evaluation) -> None:
    """Addressees marked available are not absent on the as_of day (as known at as_of)."""
    policy, history, as_of = case
    today = policy.working_calendar().local_date(as_of)
    absences = [
        e
        for e in history.events
        if isinstance(e, RoleHolderAbsent) and e.at <= as_of and e.start <= today <= e.end
    ]
    for action in evaluation.actions:
        for who in action.who:
            if not who.available:
                continue
            away = [a.id for a in absences if a.role == who.role and a.side in (who.side, "each")]
            assert not away, (action.id, who, away)


def check_every_due_day_is_a_working_day(case: Case, evaluation: Evaluation) -> None:
    """Working-day deadlines end on working days; so do the others that roll forward."""
    calendar = case.policy.working_calendar()
    for due in deadlines(evaluation):
        assert due.day is None or calendar.is_working_day(due.day), due


def check_an_action_without_a_due_date_is_never_a_breach(evaluation: Evaluation) -> None:
    undated = {a.id for a in evaluation.actions if a.due is None}
    assert undated.isdisjoint(b.id for b in evaluation.breaches)


def check_a_breach_still_outstanding_is_still_required(evaluation: Evaluation) -> None:
    required = {a.id for a in evaluation.actions}
    outstanding = {b.id for b in evaluation.breaches if b.done_at is None}
    assert outstanding <= required


@given(ANY_CASE)
def test_what_is_required_is_consistent(case: Case) -> None:
    evaluation = evaluate(*case)
    check_a_resolved_case_requires_no_stage_or_escalation(evaluation)
    check_no_action_is_for_someone_absent_that_day(case, evaluation)
    check_every_due_day_is_a_working_day(case, evaluation)
    check_an_action_without_a_due_date_is_never_a_breach(evaluation)
    check_a_breach_still_outstanding_is_still_required(evaluation)


# --- the JSON report ----------------------------------------------------------------------------


@given(ANY_CASE)
def test_the_json_report_round_trips(case: Case) -> None:
    evaluation = evaluate(*case)
    data = to_json(evaluation)
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    assert json.loads(text) == data
    assert to_json(from_json(json.loads(text))) == data
    assert validate_document(json.loads(text), "evaluation") == ()
    assert from_json(data) == evaluation
    assert from_json(json.loads(text)) == evaluation


ENGINE_BUGS = sorted((Path(__file__).parent / "data" / "engine_bugs").glob("*.json"))


@pytest.mark.parametrize("path", ENGINE_BUGS, ids=[p.stem for p in ENGINE_BUGS])
def test_engine_bugs_found_by_these_properties_stay_fixed(path: Path) -> None:
    """Minimal examples of engine bugs the properties found (tests/data/engine_bugs)."""
    bug = json.loads(path.read_text(encoding="utf-8"))
    policy = load_policy(bug["policy"])
    history = load_history(bug["history"])
    evaluation = evaluate(policy, history, datetime.fromisoformat(bug["as_of"]))
    due = evaluation.action(bug["check"]["action"]).due
    assert due is not None
    assert due.at == datetime.fromisoformat(bug["check"]["due_at"])
    assert from_json(to_json(evaluation)) == evaluation
