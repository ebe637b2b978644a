"""Due-soon windows: the policy construct, its checks, and the actions that carry it.

The worked example is ``tests/policies/due-soon.scenarios.json`` (on
``tests/policies/due-soon.json``: the minimal policy with a window of 4 hours
on its first stage and of 1 working day for everything else).
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from challenge_rules import evaluate, load_history, load_policy
from challenge_rules._plan import plan_for
from challenge_rules.calendar import Deadline, Timescale, Unit, working_calendar
from challenge_rules.errors import CalendarError, InvalidPolicy
from challenge_rules.loading import policy_problems
from challenge_rules.policy import DueSoon
from challenge_rules.report import from_json, to_json
from challenge_rules.scenarios import run_file
from challenge_rules.testing import Case, cases

POLICIES = Path(__file__).parent / "policies"
DOCUMENT: dict[str, Any] = json.loads((POLICIES / "due-soon.json").read_text(encoding="utf-8"))
CONCERN = {
    "kind": "concern_raised",
    "id": "e1",
    "at": "2024-03-04T10:00:00+00:00",
    "raising": {"role": "practitioner", "agency": "Example Primary School"},
    "receiving": {"role": "practitioner", "agency": "Example children's social care"},
}


def document(**changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(DOCUMENT)
    changed.update(changes)
    return changed


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_due_soon_scenarios_pass() -> None:
    result = run_file(POLICIES / "due-soon.scenarios.json")
    assert [d for outcome in result.outcomes for d in outcome.differences] == []
    assert len(result.outcomes) >= 6


def test_the_due_soon_policy_has_no_problems() -> None:
    assert [p for p in policy_problems(DOCUMENT) if p.severity == "error"] == []


# -- the model and the schema ---------------------------------------------------------


def test_a_window_needs_a_fixed_length() -> None:
    with pytest.raises(InvalidPolicy, match="no fixed length"):
        DueSoon(Timescale(Unit.IMMEDIATELY))
    with pytest.raises(InvalidPolicy, match="no fixed length"):
        DueSoon(Timescale(Unit.WORKING_DAYS, 2, firmness="indicative"))
    assert DueSoon(Timescale(Unit.SAME_DAY)).before.unit is Unit.SAME_DAY


def test_the_schema_refuses_a_window_without_a_fixed_length_at_its_pointer() -> None:
    problems = policy_problems(document(due_soon={"before": {"unit": "without_delay"}}))
    assert any(p.pointer.startswith("/due_soon/before") for p in problems), problems


def test_a_window_as_long_as_the_stage_is_a_warning_at_the_window() -> None:
    changed = document()
    changed["stages"][1]["due_soon"] = {"before": {"unit": "working_days", "amount": 5}}
    warnings = [p for p in policy_problems(changed) if p.severity == "warning"]
    found = [p for p in warnings if p.pointer == "/stages/1/due_soon/before"]
    assert len(found) == 1
    assert "as long as the timescale of" in found[0].message
    assert found[0].hint == "shorten the window"  # it is the stage's own already


def test_a_policy_window_too_long_for_a_stage_is_pointed_out_once_per_stage() -> None:
    problems = policy_problems(document(due_soon={"before": {"unit": "working_days", "amount": 6}}))
    found = [p for p in problems if p.pointer == "/due_soon/before"]
    # Step 1 (5 working days) and Step 2 (6); the practitioners have a window of their own.
    assert len(found) == 2
    assert all(p.severity == "warning" for p in found)
    assert all(p.hint and "a due_soon of its own" in p.hint for p in found)


def test_a_window_too_long_is_an_error_like_every_timescale() -> None:
    problems = policy_problems(document(due_soon={"before": {"unit": "months", "amount": 5000}}))
    assert any(
        p.pointer == "/due_soon/before/amount" and p.severity == "error" for p in problems
    ), problems


def test_the_window_that_applies_is_the_stage_s_then_the_track_s_then_the_policy_s() -> None:
    changed = document()
    track_stage = copy.deepcopy(changed["stages"][2]) | {"id": "cp-1", "on_unresolved": None}
    track_stage.pop("on_unresolved")
    changed["tracks"] = [
        {
            "id": "cp",
            "name": "Conference dissent",
            "clause": "step-2",
            "natures": ["child_protection_conference"],
            "stages": [track_stage],
            "due_soon": {"before": {"unit": "hours", "amount": 2}},
        }
    ]
    windows = plan_for(load_policy(changed)).due_soon
    assert windows["practitioners"] == Timescale(Unit.HOURS, 4)
    assert windows["step-1"] == Timescale(Unit.WORKING_DAYS, 1)
    assert windows["cp-1"] == Timescale(Unit.HOURS, 2)
    assert windows[None] == Timescale(Unit.WORKING_DAYS, 1)


def test_without_a_window_nothing_is_ever_due_soon() -> None:
    changed = document()
    del changed["due_soon"]
    del changed["stages"][0]["due_soon"]
    history = load_history({"reference": "C", "events": [CONCERN]})
    evaluation = evaluate(load_policy(changed), history, at("2024-03-06T09:59:00+00:00"))
    assert [(a.due_soon_from, a.due_soon) for a in evaluation.actions] == [(None, False)]
    assert evaluation.next_change_at == at("2024-03-06T10:00:00.000001+00:00")


def test_the_window_start_is_the_next_change() -> None:
    history = load_history({"reference": "C", "events": [CONCERN]})
    evaluation = evaluate(load_policy(DOCUMENT), history, at("2024-03-05T09:00:00+00:00"))
    assert evaluation.next_change_at == at("2024-03-06T06:00:00+00:00")
    (action,) = evaluation.actions
    assert action.due_soon_from == evaluation.next_change_at
    assert not action.due_soon
    data = json.loads(json.dumps(to_json(evaluation)))
    assert data["actions"][0]["due_soon_from"] == "2024-03-06T06:00:00+00:00"
    assert data["actions"][0]["due_soon"] is False
    assert from_json(data) == evaluation


# -- counting back: WorkingCalendar.ahead_of ---------------------------------------------

CALENDAR = working_calendar()
END_OF_THURSDAY = Deadline(at=at("2024-03-08T00:00:00+00:00"), day=date(2024, 3, 7))
END_OF_MONDAY = Deadline(at=at("2024-03-12T00:00:00+00:00"), day=date(2024, 3, 11))


@pytest.mark.parametrize(
    ("deadline", "span", "expected"),
    [
        (END_OF_THURSDAY, Timescale(Unit.WORKING_DAYS, 1), "2024-03-07T00:00:00+00:00"),
        (END_OF_THURSDAY, Timescale(Unit.WORKING_DAYS, 2), "2024-03-06T00:00:00+00:00"),
        (END_OF_MONDAY, Timescale(Unit.WORKING_DAYS, 1), "2024-03-09T00:00:00+00:00"),
        (END_OF_MONDAY, Timescale(Unit.CALENDAR_DAYS, 1), "2024-03-11T00:00:00+00:00"),
        (END_OF_MONDAY, Timescale(Unit.SAME_DAY), "2024-03-11T00:00:00+00:00"),
        (END_OF_MONDAY, Timescale(Unit.HOURS, 4), "2024-03-11T20:00:00+00:00"),
        (END_OF_MONDAY, Timescale(Unit.MONTHS, 1), "2024-02-12T00:00:00+00:00"),
        # An hour deadline counts days back from its local date: 15:00 Thu 7 March.
        (
            Deadline(at=at("2024-03-07T15:00:00+00:00")),
            Timescale(Unit.WORKING_DAYS, 1),
            "2024-03-07T00:00:00+00:00",
        ),
        # Across the clocks going forward (Sun 31 March 2024): elapsed hours.
        (
            Deadline(at=at("2024-03-31T04:00:00+01:00")),
            Timescale(Unit.HOURS, 3),
            "2024-03-31T00:00:00+00:00",
        ),
    ],
)
def test_ahead_of_counts_back_as_deadlines_count_forward(
    deadline: Deadline, span: Timescale, expected: str
) -> None:
    assert CALENDAR.ahead_of(deadline, span) == at(expected)


@pytest.mark.parametrize(
    "span",
    [
        Timescale(Unit.MONTHS, 1200),
        Timescale(Unit.WORKING_DAYS, 10000),
        Timescale(Unit.CALENDAR_DAYS, 10000),
    ],
)
def test_counting_back_past_the_calendar_s_first_day_stops_there(span: Timescale) -> None:
    deadline = Deadline(at=at("1902-01-03T00:00:00+00:00"), day=date(1902, 1, 2))
    assert CALENDAR.ahead_of(deadline, span) == at("1900-01-02T00:00:00+00:00")


def test_ahead_of_refuses_a_span_with_no_fixed_length() -> None:
    with pytest.raises(CalendarError, match="plain timescale"):
        CALENDAR.ahead_of(END_OF_MONDAY, Timescale(Unit.WITHOUT_DELAY))


# -- properties -------------------------------------------------------------------------


@given(cases(max_events=12))
def test_an_action_is_due_soon_exactly_from_its_window_until_it_is_late(case: Case) -> None:
    evaluation = evaluate(*case)
    late = {b.id for b in evaluation.breaches if b.done_at is None}
    for action in evaluation.actions:
        if action.due is None:
            assert action.due_soon_from is None
        if action.due_soon_from is None:
            assert not action.due_soon
            continue
        assert action.due is not None
        assert action.due_soon_from <= action.due.at
        expected = action.due_soon_from <= case.as_of and action.id not in late
        assert action.due_soon == expected, action


def test_the_text_report_flags_an_action_due_soon_and_says_when_to_look_again() -> None:
    from challenge_rules.report import render_text  # noqa: PLC0415

    history = load_history({"reference": "C", "events": [CONCERN]})
    text = render_text(evaluate(load_policy(DOCUMENT), history, at("2024-03-06T07:00:00+00:00")))
    assert "  1. [DUE SOON] Discuss the disagreement" in text
    assert "Next change, unless new events are recorded: just after Wed 6 Mar 2024 10:00" in text
    earlier = render_text(evaluate(load_policy(DOCUMENT), history, at("2024-03-05T07:00:00+00:00")))
    assert "[DUE SOON]" not in earlier
    assert "Next change, unless new events are recorded: Wed 6 Mar 2024 06:00 (UTC)" in earlier


def test_csv_rows_carry_the_window_and_the_next_change() -> None:
    from challenge_rules.table import rows  # noqa: PLC0415

    history = load_history({"reference": "C", "events": [CONCERN]})
    evaluation = evaluate(load_policy(DOCUMENT), history, at("2024-03-06T07:00:00+00:00"))
    (row,) = rows(evaluation)
    assert (row["row"], row["due_soon"]) == ("action", "true")
    assert row["due_soon_from"] == "2024-03-06T06:00:00+00:00"
    assert row["next_change_at"] == "2024-03-06T10:00:00.000001+00:00"


def test_a_role_that_is_its_own_line_manager_is_an_error_and_telling_none_a_warning() -> None:
    changed = document(tell_line_managers=["breached"])
    problems = [(p.pointer, p.severity) for p in policy_problems(changed)]
    assert ("/tell_line_managers", "warning") in problems
    changed["roles"][0]["line_manager"] = changed["roles"][0]["id"]
    problems = [(p.pointer, p.severity) for p in policy_problems(changed)]
    assert ("/roles/0/line_manager", "error") in problems
    assert ("/tell_line_managers", "warning") not in problems
    changed["roles"][0]["line_manager"] = "line_manager"
    assert [p for p in policy_problems(changed) if p.severity == "error"] == []


def test_a_scenario_s_next_change_at_is_compared_as_an_instant() -> None:
    from challenge_rules.scenarios import run_document  # noqa: PLC0415

    path = POLICIES / "due-soon.scenarios.json"
    scenarios = json.loads(path.read_text(encoding="utf-8"))
    first, second = scenarios["scenarios"][:2]
    first["expect"]["next_change_at"] = "2024-03-06T07:00:00+01:00"  # 06:00 UTC: the same
    second["expect"]["next_change_at"] = None
    scenarios["scenarios"] = [first, second]
    result = run_document(scenarios, path=path, source=str(path))
    assert [d for o in result.outcomes for d in o.differences] == [
        "next_change_at: expected None, got 2024-03-06T10:00:00.000001+00:00"
    ]
