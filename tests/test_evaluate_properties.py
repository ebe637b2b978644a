"""Properties of `evaluate` over generated ladders and case histories.

Every test draws from `challenge_rules.testing`: policies with every kind of
rule (tracks included), histories both regular and irregular, and moments to
evaluate at.  The properties are what a case system relies on: evaluation is
total, deterministic and blind to the order of the file; the ladder only
climbs; a breach, once reported, stays reported; the JSON report is lossless.
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, NamedTuple

from hypothesis import given, settings
from hypothesis import strategies as st

from challenge_rules import evaluate
from challenge_rules.evaluate import Evaluation, Status
from challenge_rules.history import CaseHistory, ConcernRaised, RoleHolderAbsent
from challenge_rules.report import from_json, to_json
from challenge_rules.schema import validate_document
from challenge_rules.testing import Case, as_of_moments, cases, histories, policies

if TYPE_CHECKING:
    from datetime import datetime

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


# --- totality and determinism ------------------------------------------------------------------


@given(ANY_CASE)
def test_evaluation_is_total_on_valid_input(case: Case) -> None:
    """Valid input always evaluates: no exception at all, library or otherwise."""
    evaluation = evaluate(*case)
    assert isinstance(evaluation, Evaluation)
    assert evaluation.as_of == case.as_of
    assert evaluation.reference == case.history.reference
    assert evaluation.policy == case.policy.id
    assert evaluation.status in Status


@given(ANY_CASE)
def test_evaluation_is_deterministic(case: Case) -> None:
    assert evaluate(*case) == evaluate(*case)


@given(ANY_CASE, st.randoms(use_true_random=False))
def test_the_order_of_events_in_the_file_does_not_matter(case, random) -> None:
    events = list(case.history.events)
    random.shuffle(events)
    shuffled = CaseHistory(
        reference=case.history.reference, events=events, policy=case.history.policy
    )
    assert evaluate(case.policy, shuffled, case.as_of) == evaluate(*case)


# --- over time ----------------------------------------------------------------------------------


@settings(max_examples=50)
@given(timelines())
def test_the_stage_never_moves_down_the_ladder(timeline: Timeline) -> None:
    ladder = [s.id for s in timeline.policy.ladder(concern_of(timeline.history).nature)]
    stages = [e.stage for e in timeline.evaluations()]
    if None in stages:  # the procedure does not apply: it never does
        assert set(stages) == {None}
        return
    positions = [ladder.index(stage) for stage in stages if stage is not None]
    assert positions == sorted(positions), list(zip(timeline.moments, stages, strict=True))


@settings(max_examples=50)
@given(timelines())
def test_a_breach_once_reported_stays_reported(timeline: Timeline) -> None:
    evaluations = timeline.evaluations()
    for earlier, later in zip(evaluations, evaluations[1:], strict=False):
        vanished = {b.id for b in earlier.breaches} - {b.id for b in later.breaches}
        assert not vanished, (earlier.as_of, later.as_of, vanished)


@settings(max_examples=50)
@given(timelines())
def test_the_timeline_only_grows(timeline: Timeline) -> None:
    """Stages reached stay reached, entered at the same moment."""
    evaluations = timeline.evaluations()
    for earlier, later in zip(evaluations, evaluations[1:], strict=False):
        entered = [(r.stage, r.entered_at) for r in earlier.timeline]
        assert [(r.stage, r.entered_at) for r in later.timeline][: len(entered)] == entered


# --- what is required ---------------------------------------------------------------------------


@given(ANY_CASE)
def test_a_resolved_case_requires_no_stage_or_escalation(case: Case) -> None:
    evaluation = evaluate(*case)
    if evaluation.status is Status.RESOLVED:
        assert [a.id for a in evaluation.actions if a.kind in ("stage", "escalation")] == []


@given(ANY_CASE)
def test_no_action_is_for_someone_absent_that_day(case: Case) -> None:
    """Addressees marked available are not absent on the as_of day (as known at as_of)."""
    policy, history, as_of = case
    today = policy.working_calendar().local_date(as_of)
    absences = [
        e
        for e in history.events
        if isinstance(e, RoleHolderAbsent) and e.at <= as_of and e.start <= today <= e.end
    ]
    for action in evaluate(*case).actions:
        for who in action.who:
            if not who.available:
                continue
            away = [a.id for a in absences if a.role == who.role and a.side in (who.side, "each")]
            assert not away, (action.id, who, away)


@given(ANY_CASE)
def test_every_due_day_is_a_working_day(case: Case) -> None:
    """Working-day deadlines end on working days; so do the others that roll forward."""
    calendar = case.policy.working_calendar()
    for due in deadlines(evaluate(*case)):
        assert due.day is None or calendar.is_working_day(due.day), due


@given(ANY_CASE)
def test_an_action_without_a_due_date_is_never_a_breach(case: Case) -> None:
    evaluation = evaluate(*case)
    undated = {a.id for a in evaluation.actions if a.due is None}
    assert undated.isdisjoint(b.id for b in evaluation.breaches)


@given(ANY_CASE)
def test_a_breach_still_outstanding_is_still_required(case: Case) -> None:
    evaluation = evaluate(*case)
    required = {a.id for a in evaluation.actions}
    outstanding = {b.id for b in evaluation.breaches if b.done_at is None}
    assert outstanding <= required


# --- the JSON report ----------------------------------------------------------------------------


@given(ANY_CASE)
def test_the_json_report_round_trips(case: Case) -> None:
    evaluation = evaluate(*case)
    data = to_json(evaluation)
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    assert from_json(data) == evaluation
    assert from_json(json.loads(text)) == evaluation
    assert validate_document(json.loads(text), "evaluation") == ()
