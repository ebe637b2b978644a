"""Why did this change: the events that started and ended each clock (started_by, ended_by)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from hypothesis import given, settings

from challenge_rules import evaluate, load_history, load_policy, shipped_policy
from challenge_rules.report import from_json, to_json
from challenge_rules.testing import cases

if TYPE_CHECKING:
    from challenge_rules.evaluation import Evaluation
    from challenge_rules.testing import Case

CASE = "examples/cases/pan-cheshire-step1-overdue.json"  # e1 concern, e2 unresolved, e4 escalated
LADDER = "tests/policies/ladder.json"
AS_OF = datetime.fromisoformat("2026-06-22T09:00:00+01:00")


def run(events: list[dict[str, Any]], as_of: datetime = AS_OF) -> Evaluation:
    history = load_history({"reference": "T-1", "policy": "pan-cheshire", "events": events})
    return evaluate(shipped_policy("pan-cheshire"), history, as_of)


CONCERN: dict[str, Any] = {
    "kind": "concern_raised",
    "id": "c1",
    "at": "2026-06-08T10:00:00+01:00",
    "raising": {"role": "practitioner", "agency": "School", "sector": "school"},
    "receiving": {"role": "practitioner", "agency": "Social care"},
    "area": "cheshire-east",
}


def test_each_stage_names_the_events_that_entered_and_concluded_it() -> None:
    evaluation = evaluate(shipped_policy("pan-cheshire"), load_history(CASE), AS_OF)
    assert [(r.stage, r.started_by, r.ended_by) for r in evaluation.timeline] == [
        ("practitioners", "e1", "e2"),
        ("step-1", "e2", None),
    ]
    breach = next(b for b in evaluation.breaches if b.id == "stage:step-1")
    assert (breach.started_by, breach.ended_by) == ("e2", None)  # still outstanding
    action = evaluation.action("stage:step-1")
    assert (action.started_by, action.ended_by) == ("e2", None)


def test_a_late_escalation_names_the_escalation_that_ended_it() -> None:
    # tests/policies/ladder.json: one working day to escalate out of the practitioners' stage.
    history = load_history(
        {
            "reference": "T-2",
            "events": [
                {
                    "kind": "concern_raised",
                    "id": "e1",
                    "at": "2023-05-04T10:00:00+01:00",
                    "raising": {"role": "practitioner", "agency": "A", "sector": "school"},
                    "receiving": {"role": "practitioner", "agency": "B"},
                    "area": "north",
                },
                {
                    "kind": "discussion_held",
                    "id": "e2",
                    "at": "2023-05-09T10:00:00+01:00",
                    "stage": "practitioners",
                    "outcome": "unresolved",
                },
                {
                    "kind": "escalated",
                    "id": "x1",
                    "at": "2023-05-12T09:00:00+01:00",
                    "to_stage": "step-1",
                },
            ],
        }
    )
    as_of = datetime.fromisoformat("2023-05-15T12:00:00+01:00")
    evaluation = evaluate(load_policy(LADDER), history, as_of)
    late = next(b for b in evaluation.breaches if b.id == "escalate:practitioners")
    assert (late.started_by, late.ended_by) == ("e2", "x1")
    assert late.done_at == datetime.fromisoformat("2023-05-12T09:00:00+01:00")


def test_a_resolved_case_names_the_discussion_that_closed_each_clock() -> None:
    resolved = {
        "kind": "discussion_held",
        "id": "d1",
        "at": "2026-06-12T15:00:00+01:00",  # after the practitioners' 48 hours
        "stage": "practitioners",
        "outcome": "resolved",
    }
    evaluation = run([CONCERN, resolved])
    (record,) = evaluation.timeline
    assert (record.started_by, record.ended_by) == ("c1", "d1")
    late = next(b for b in evaluation.breaches if b.id == "stage:practitioners")
    assert (late.started_by, late.ended_by) == ("c1", "d1")


def test_the_json_carries_the_trace_and_reads_back() -> None:
    evaluation = evaluate(shipped_policy("pan-cheshire"), load_history(CASE), AS_OF)
    data = to_json(evaluation)
    assert data["timeline"][0]["started_by"] == "e1"
    assert data["timeline"][0]["ended_by"] == "e2"
    assert all("started_by" in a and a["ended_by"] is None for a in data["actions"])
    assert from_json(data) == evaluation


@settings(max_examples=80)
@given(case=cases())
def test_every_trace_names_an_event_of_the_case_at_the_moment_it_says(case: Case) -> None:
    evaluation = evaluate(*case)
    when = {event.id: event.at for event in case.history.events}
    for record in evaluation.timeline:
        assert record.started_by in when
        assert when[record.started_by] == record.entered_at
        assert (record.ended_by is None) == (record.concluded_at is None)
        if record.ended_by is not None:
            assert when[record.ended_by] == record.concluded_at
    for action in evaluation.actions:
        assert action.ended_by is None  # still required: its clock runs
        assert action.started_by is None or action.started_by in when
    for breach in evaluation.breaches:
        assert breach.started_by is None or breach.started_by in when
        assert (breach.ended_by is None) == (breach.done_at is None)
        if breach.ended_by is not None:
            assert when[breach.ended_by] == breach.done_at
            if breach.started_by is not None:
                assert when[breach.started_by] <= breach.done_at
