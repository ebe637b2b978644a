"""`Evaluation.next_change_at` (`challenge_rules._schedule`): exact, and never missed.

Properties, over the testing kit's policies, histories and as-of moments:

(a) at any instant strictly between ``as_of`` and ``next_change_at`` the
    evaluation's `ScheduleView` (status, stage, actions and breaches with who
    acts) is the same;
(b) at ``next_change_at`` it differs, except where the cause is an event the
    history dates then (such an event may change nothing shown: the weaker
    form, (a) only, holds for it);
(c) with no next change, evaluations much later agree.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from challenge_rules import evaluate
from challenge_rules._schedule import Schedule, change_day
from challenge_rules.calendar import Deadline, working_calendar
from challenge_rules.converter import make_converter
from challenge_rules.history import CaseHistory, RoleHolderAbsent
from challenge_rules.policy import Policy, Side
from challenge_rules.testing import (
    assert_next_change,
    assert_stable_until_next_change,
    cases,
    instants_before_next_change,
    schedule_view,
)

CONVERTER = make_converter()
POLICY: Policy = CONVERTER.structure(
    json.loads((Path(__file__).parent / "policies" / "ladder.json").read_text(encoding="utf-8")),
    Policy,
)
RAISING = {"role": "practitioner", "agency": "Northgate Primary", "sector": "school"}
RECEIVING = {"role": "practitioner", "agency": "North CSC", "sector": "social-care"}


def history(*events: dict[str, Any]) -> CaseHistory:
    concern = {
        "kind": "concern_raised",
        "id": "c1",
        "at": "2023-05-04T10:00:00+01:00",
        "raising": RAISING,
        "receiving": RECEIVING,
        "area": "north",
    }
    return CONVERTER.structure({"reference": "CASE-1", "events": [concern, *events]}, CaseHistory)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- the properties ---------------------------------------------------------


@given(st.data())
def test_nothing_shown_changes_before_the_next_change(data: st.DataObject) -> None:
    case = data.draw(cases(max_events=12))
    evaluation = evaluate(*case)
    moment = data.draw(instants_before_next_change(evaluation))
    assert_stable_until_next_change(case.policy, case.history, case.as_of, moment)


@given(cases(max_events=12))
def test_the_next_change_is_exact(case: Any) -> None:
    assert_next_change(*case)


@given(cases(max_events=12, irregular=True))
def test_the_next_change_is_exact_for_irregular_histories(case: Any) -> None:
    assert_next_change(*case)


@given(cases(max_events=12))
def test_the_next_change_is_after_as_of_in_the_policy_zone(case: Any) -> None:
    evaluation = evaluate(*case)
    end = evaluation.next_change_at
    if end is not None:
        assert end > case.as_of
        calendar = working_calendar(case.policy.calendar.time_zone)
        assert end.utcoffset() == calendar.local_time(end).utcoffset()


# -- each cause, worked by hand on tests/policies/ladder.json ---------------


def test_an_outstanding_item_changes_the_microsecond_after_its_deadline() -> None:
    # Both sides record the concern by the end of Fri 5 May 2023; the practitioners
    # have 48 hours: until 10:00 on Sat 6 May.
    case = history()
    evaluation = evaluate(POLICY, case, at("2023-05-05T09:00:00+01:00"))
    assert evaluation.next_change_at == at("2023-05-06T00:00:00.000001+01:00")
    on_time = evaluate(POLICY, case, at("2023-05-06T00:00:00+01:00"))
    assert on_time.breaches == ()
    late = evaluate(POLICY, case, evaluation.next_change_at)
    assert {b.id for b in late.breaches} == {
        "duty:record-concern@case:raising",
        "duty:record-concern@case:receiving",
    }
    assert late.next_change_at == at("2023-05-06T10:00:00.000001+01:00")
    later = evaluate(POLICY, case, late.next_change_at)
    assert "stage:practitioners" in {b.id for b in later.breaches}


def test_an_event_dated_later_is_the_next_change() -> None:
    later = {
        "kind": "discussion_held",
        "id": "e2",
        "at": "2023-05-05T12:00:00+01:00",
        "stage": "practitioners",
        "outcome": "resolved",
    }
    evaluation = evaluate(POLICY, history(later), at("2023-05-05T09:00:00+01:00"))
    assert evaluation.next_change_at == at("2023-05-05T12:00:00+01:00")
    assert evaluate(POLICY, history(later), evaluation.next_change_at).status == "resolved"


def test_an_absence_starting_or_ending_changes_who_acts_at_local_midnight() -> None:
    away = {
        "kind": "role_holder_absent",
        "id": "a1",
        "at": "2023-05-04T11:00:00+01:00",
        "side": "raising",
        "role": "practitioner",
        "start": "2023-05-05",
        "end": "2023-05-05",
    }
    case = history(away)
    before = evaluate(POLICY, case, at("2023-05-04T12:00:00+01:00"))
    assert before.next_change_at == at("2023-05-05T00:00:00+01:00")
    during = evaluate(POLICY, case, before.next_change_at)
    assert schedule_view(during) != schedule_view(before)
    assert during.next_change_at == at("2023-05-06T00:00:00+01:00")
    after = evaluate(POLICY, case, during.next_change_at)
    assert schedule_view(after) == schedule_view(before)


def test_a_closed_case_never_changes() -> None:
    resolved = {
        "kind": "discussion_held",
        "id": "e2",
        "at": "2023-05-05T12:00:00+01:00",
        "stage": "practitioners",
        "outcome": "resolved",
    }
    evaluation = evaluate(POLICY, history(resolved), at("2023-05-09T09:00:00+01:00"))
    assert evaluation.next_change_at is None
    assert_next_change(POLICY, history(resolved), at("2023-05-09T09:00:00+01:00"))


def test_next_change_at_goes_to_json_and_back() -> None:
    from challenge_rules.report import from_json, to_json  # noqa: PLC0415

    evaluation = evaluate(POLICY, history(), at("2023-05-05T09:00:00+01:00"))
    data = json.loads(json.dumps(to_json(evaluation)))
    assert data["next_change_at"] == "2023-05-06T00:00:00.000001+01:00"
    assert from_json(data) == evaluation


# -- the module's parts -----------------------------------------------------


def test_a_schedule_keeps_the_earliest_instant_after_its_moment() -> None:
    schedule = Schedule(at("2023-05-05T09:00:00+01:00"))
    for text in ("2023-05-07T09:00:00+01:00", "2023-05-05T09:00:00+01:00", None):
        schedule.at(None if text is None else at(text))
    schedule.at(at("2023-05-06T09:00:00+01:00"))
    schedule.at(at("2023-05-04T09:00:00+01:00"))
    assert schedule.earliest == at("2023-05-06T09:00:00+01:00")


def _absence(start: str, end: str, side: Side = Side.RAISING) -> RoleHolderAbsent:
    return RoleHolderAbsent(
        id=f"a-{start}-{end}",
        at=at("2023-05-01T09:00:00+01:00"),
        side=side,
        role="practitioner",
        start=date.fromisoformat(start),
        end=date.fromisoformat(end),
    )


def test_an_absence_turns_after_every_span_that_follows_on() -> None:
    spans = [_absence("2023-05-05", "2023-05-08"), _absence("2023-05-09", "2023-05-10")]
    spans.append(_absence("2023-05-07", "2023-05-12", Side.EACH))
    spans.append(_absence("2023-05-20", "2023-05-21"))
    day = date.fromisoformat
    assert change_day(spans, Side.RAISING, ["practitioner"], day("2023-05-04")) == day("2023-05-05")
    assert change_day(spans, Side.RAISING, ["practitioner"], day("2023-05-06")) == day("2023-05-13")
    assert change_day(spans, Side.RECEIVING, ["practitioner"], day("2023-05-06")) == day(
        "2023-05-07"
    )
    assert change_day(spans, Side.RAISING, ["practitioner"], day("2023-05-22")) is None
    assert change_day(spans, Side.RAISING, ["dsl"], day("2023-05-04")) is None


@given(st.integers(0, 10**6))
def test_late_from_is_the_first_late_instant(microseconds: int) -> None:
    calendar = working_calendar()
    deadline = Deadline(at=at("2023-05-06T10:00:00+01:00"))
    first = calendar.late_from(deadline)
    assert calendar.lateness(deadline, first) is not None
    assert calendar.lateness(deadline, first - timedelta(microseconds=1)) is None
    assert calendar.lateness(deadline, first + timedelta(microseconds=microseconds)) is not None


# -- absences, drawn: who stands in changes exactly at the next change --------------

_ROLES = ("practitioner", "line-manager", "deputy-manager", "head-of-service")


@st.composite
def _absences(draw: st.DrawFn) -> tuple[CaseHistory, datetime]:
    """Step 1 (line managers, with deputies and heads of service to stand in) and absences."""
    events: list[dict[str, Any]] = [
        {
            "kind": "discussion_held",
            "id": "e2",
            "at": "2023-05-09T10:00:00+01:00",
            "stage": "practitioners",
            "outcome": "unresolved",
        }
    ]
    for n in range(draw(st.integers(1, 5))):
        first = date(2023, 5, 9) + timedelta(days=draw(st.integers(0, 6)))
        events.append(
            {
                "kind": "role_holder_absent",
                "id": f"a{n}",
                "at": "2023-05-09T11:00:00+01:00",
                "side": draw(st.sampled_from(("raising", "receiving", "each"))),
                # The line manager first, most often: then the stand-ins are asked.
                "role": "line-manager" if n == 0 else draw(st.sampled_from(_ROLES)),
                "start": first.isoformat(),
                "end": (first + timedelta(days=draw(st.integers(0, 4)))).isoformat(),
            }
        )
    hours = draw(st.integers(0, 8 * 24))
    return history(*events), at("2023-05-09T12:00:00+01:00") + timedelta(hours=hours)


@given(_absences(), st.data())
def test_absences_change_who_acts_exactly_at_the_next_change(
    drawn: tuple[CaseHistory, datetime], data: st.DataObject
) -> None:
    case, as_of = drawn
    assert_next_change(POLICY, case, as_of)
    moment = data.draw(instants_before_next_change(evaluate(POLICY, case, as_of)))
    assert_stable_until_next_change(POLICY, case, as_of, moment)


def test_a_stand_in_coming_back_is_the_next_change() -> None:
    def away(eid: str, role: str, start: str, end: str) -> dict[str, Any]:
        return {
            "kind": "role_holder_absent",
            "id": eid,
            "at": "2023-05-09T11:00:00+01:00",
            "side": "raising",
            "role": role,
            "start": start,
            "end": end,
        }

    unresolved = {
        "kind": "discussion_held",
        "id": "e2",
        "at": "2023-05-09T10:00:00+01:00",
        "stage": "practitioners",
        "outcome": "unresolved",
    }
    case = history(
        unresolved,
        away("a1", "line-manager", "2023-05-09", "2023-05-31"),
        away("a2", "deputy-manager", "2023-05-09", "2023-05-10"),
    )
    before = evaluate(POLICY, case, at("2023-05-09T12:00:00+01:00"))
    assert "head-of-service" in {a.role for a in before.action("stage:step-1").who}
    # The deputy is back on Thu 11 May (before anything falls late at that midnight).
    assert before.next_change_at == at("2023-05-11T00:00:00+01:00")
    back = evaluate(POLICY, case, before.next_change_at)
    assert "deputy-manager" in {a.role for a in back.action("stage:step-1").who}
