"""The evaluator's semantics, rule by rule, on ``tests/policies/ladder.json``.

Every due date here was worked out by hand on the England and Wales calendar:

* May 2023: Mon 1 May and Mon 8 May (the Coronation) are bank holidays, so
  the working days after Thu 4 May are Fri 5, Tue 9, Wed 10, Thu 11, Fri 12,
  Mon 15, Tue 16, ...
* Christmas 2025: Thu 25 and Fri 26 Dec and Thu 1 Jan 2026 are bank holidays,
  so the working days after Tue 23 Dec are Wed 24, Mon 29, Tue 30, Wed 31,
  Fri 2 Jan, Mon 5 Jan, ...
* Easter 2026: Good Friday 3 April and Easter Monday 6 April, so the working
  days after Thu 2 April are Tue 7, Wed 8, Thu 9, Fri 10, Mon 13, ...

Times are London local time (``+01:00`` in summer, ``+00:00`` in winter).
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from challenge_rules import evaluate
from challenge_rules._history_checks import event_order
from challenge_rules.calendar import Deadline, Lateness, Timescale
from challenge_rules.converter import make_converter
from challenge_rules.errors import CalendarError, InvalidHistory
from challenge_rules.evaluation import (
    Addressee,
    Citation,
    ContactDetails,
    Evaluation,
    StageRecord,
    Status,
)
from challenge_rules.history import CaseHistory, Outcome
from challenge_rules.policy import AgreedTimescales, Policy, Side

LONDON = ZoneInfo("Europe/London")
CONVERTER = make_converter()
POLICY_PATH = Path(__file__).parent / "policies" / "ladder.json"
POLICY: Policy = CONVERTER.structure(json.loads(POLICY_PATH.read_text(encoding="utf-8")), Policy)

RAISING = {"role": "practitioner", "agency": "Northgate Primary", "sector": "school"}
RECEIVING = {"role": "practitioner", "agency": "North CSC", "sector": "social-care"}
SCHOOL = "Northgate Primary"
CSC = "North CSC"
NORTH = "North Safeguarding Children Partnership"


# -- building histories -----------------------------------------------------


def moment(text: str) -> datetime:
    """A London wall-clock time, e.g. ``2023-05-09 10:00``, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def at(text: str) -> str:
    """The same, as the ISO string a case system sends (with its offset)."""
    return moment(text).isoformat()


def end_of(day: str) -> Deadline:
    """A day-granular deadline: on time until the end of ``day`` (London)."""
    last = date.fromisoformat(day)
    return Deadline(at=datetime.combine(last + timedelta(days=1), time(), tzinfo=LONDON), day=last)


def exactly(text: str) -> Deadline:
    """An instant deadline (hours, agreed timescales)."""
    return Deadline(at=moment(text), day=None)


def concern(when: str, *, eid: str = "c1", **fields: Any) -> dict[str, Any]:
    doc = {
        "kind": "concern_raised",
        "id": eid,
        "at": at(when),
        "raising": RAISING,
        "receiving": RECEIVING,
        "area": "north",
    }
    return doc | fields


def ev(kind: str, eid: str, when: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "id": eid, "at": at(when), **fields}


def held(eid: str, when: str, stage: str, outcome: str) -> dict[str, Any]:
    return ev("discussion_held", eid, when, stage=stage, outcome=outcome)


def escalated(eid: str, when: str, to_stage: str, **fields: Any) -> dict[str, Any]:
    return ev("escalated", eid, when, to_stage=to_stage, **fields)


def recorded(eid: str, when: str, record: str, **fields: Any) -> dict[str, Any]:
    return ev("record_made", eid, when, record=record, **fields)


def risk(eid: str, when: str, level: str) -> dict[str, Any]:
    return ev("risk_assessed", eid, when, level=level)


def absent(eid: str, side: str, role: str, start: str, end: str) -> dict[str, Any]:
    return ev(
        "role_holder_absent", eid, "2023-05-04 11:00", side=side, role=role, start=start, end=end
    )


def history(events: list[dict[str, Any]], **fields: Any) -> CaseHistory:
    return CONVERTER.structure({"reference": "CASE-0001", "events": events, **fields}, CaseHistory)


def run(events: list[dict[str, Any]], as_of: str, policy: Policy = POLICY) -> Evaluation:
    return evaluate(policy, history(events), moment(as_of))


def ids(evaluation: Evaluation) -> list[str]:
    return [a.id for a in evaluation.actions]


def breaches(evaluation: Evaluation) -> dict[str, tuple[Deadline, int, datetime | None]]:
    return {b.id: (b.due, b.late.working_days, b.done_at) for b in evaluation.breaches}


def warnings(evaluation: Evaluation) -> list[tuple[str, str | None]]:
    return [(w.code, w.event) for w in evaluation.warnings]


def person(role: str, name: str, side: Side, agency: str | None, **fields: Any) -> Addressee:
    return Addressee(role=role, role_name=name, side=side, agency=agency, **fields)


def with_policy(**changes: Any) -> Policy:
    return attrs.evolve(POLICY, **changes)


# The May 2023 case: concern on Thu 4 May, practitioners unresolved on Tue 9
# (after the Coronation bank holiday), escalated to Step 1 on Wed 10.
MAY = [
    concern("2023-05-04 10:00"),
    recorded("r1", "2023-05-05 09:00", "childs_record", side="raising"),
    held("d1", "2023-05-09 10:00", "practitioners", "unresolved"),
    escalated("x1", "2023-05-10 09:00", "step-1"),
]

# The Christmas 2025 case: every stage of the main ladder, Step 3 unresolved.
FULL = [
    concern("2025-12-01 09:00"),
    recorded("r1", "2025-12-01 12:00", "childs_record", side="each"),
    held("d1", "2025-12-02 10:00", "practitioners", "unresolved"),
    escalated("x1", "2025-12-02 11:00", "step-1"),
    recorded("r2", "2025-12-03 09:00", "agency_record", stage="step-1"),
    held("d2", "2025-12-08 14:00", "step-1", "unresolved"),
    escalated("x2", "2025-12-08 15:00", "step-2"),
    recorded("r3", "2025-12-09 09:00", "agency_record"),
    held("d3", "2025-12-11 11:00", "step-2", "unresolved"),
    escalated("x3", "2025-12-12 09:00", "step-3", by_role="dsl", to_role="dsp"),
    ev("form_submitted", "f1", "2025-12-12 09:30", form="appendix-a", stage="step-3"),
    ev("meeting_held", "m1", "2025-12-16 10:00", meeting="resolution", stage="step-3"),
    held("d4", "2025-12-18 15:00", "step-3", "unresolved"),
]


# -- the test policy itself -------------------------------------------------


def test_test_policy_has_what_the_tests_need() -> None:
    assert [s.id for s in POLICY.ladder()] == ["practitioners", "step-1", "step-2", "step-3"]
    assert [s.id for s in POLICY.ladder("child_protection_conference")] == [
        "cpc-chair",
        "cpc-review",
    ]
    assert POLICY.stage("step-2").optional
    assert POLICY.stage("step-1").counts_from == "previous_stage_concluded"
    assert POLICY.stage("practitioners").timescale == Timescale("hours", 48)
    assert {d.trigger.on for d in POLICY.duties} == {
        "concern_raised",
        "stage_entered",
        "stage_resolved",
        "stage_concluded",
        "stage_unresolved",
        "event",
    }
    assert POLICY.urgency[0].timescale == Timescale("same_day")


def test_test_policy_passes_the_policy_checks() -> None:
    from challenge_rules.loading import load_policy, policy_problems  # noqa: PLC0415

    assert load_policy(POLICY_PATH) == POLICY
    document = json.loads(POLICY_PATH.read_text(encoding="utf-8"))
    assert [str(p) for p in policy_problems(document) if p.severity == "error"] == []


# -- order, as_of and the history's own problems ----------------------------


def test_first_stage_entered_at_the_concern() -> None:
    evaluation = run([concern("2023-05-04 10:00")], "2023-05-04 12:00")
    assert evaluation.status is Status.OPEN
    assert evaluation.stage == "practitioners"
    assert evaluation.timeline == (
        StageRecord(
            stage="practitioners",
            name="Practitioners",
            entered_at=moment("2023-05-04 10:00"),
            due=exactly("2023-05-06 10:00"),
            started_by="c1",
        ),
    )
    # Due soonest first: the records (end of Fri 5 May) before the stage (Sat 6, 10:00).
    assert ids(evaluation) == [
        "duty:record-concern@case:raising",
        "duty:record-concern@case:receiving",
        "stage:practitioners",
    ]
    stage = evaluation.action("stage:practitioners")
    assert stage.kind == "stage"
    assert stage.what == "Discuss the disagreement with the other practitioner"
    assert stage.due == exactly("2023-05-06 10:00")
    assert stage.stage == "practitioners"
    assert not stage.urgent
    assert stage.who == (
        person("practitioner", "Practitioner", Side.RAISING, SCHOOL),
        person("practitioner", "Practitioner", Side.RECEIVING, CSC),
    )
    assert stage.why == Citation(
        clause="pc-day-1-2",
        source="Pan-Cheshire Multi-Agency Professional Challenge & Escalation Policy",
        section="Professionals resolving disagreements (Day 1-2)",
        quote="The discussion should take place as soon as possible, "
        "and within 48 hours of the concern arising.",
        document="002_898df5a600ae9220.txt",
    )
    assert evaluation.action("duty:record-concern@case:raising").due == end_of("2023-05-05")
    assert evaluation.breaches == ()
    assert evaluation.warnings == ()
    assert (evaluation.reference, evaluation.policy, evaluation.policy_version) == (
        "CASE-0001",
        "test-ladder",
        "1.0-test",
    )
    assert evaluation.risk is None
    assert not evaluation.urgent


def test_may_case_after_the_coronation_bank_holiday() -> None:
    evaluation = run(MAY, "2023-05-11 12:00")
    assert evaluation.stage == "step-1"
    assert [(r.stage, r.due, r.concluded_at, r.outcome) for r in evaluation.timeline] == [
        ("practitioners", exactly("2023-05-06 10:00"), moment("2023-05-09 10:00"), "unresolved"),
        # 5 working days from Tue 9 May: Wed 10, Thu 11, Fri 12, Mon 15, Tue 16.
        ("step-1", end_of("2023-05-16"), None, None),
    ]
    assert ids(evaluation) == [
        "duty:record-concern@case:receiving",
        "duty:record-escalation@step-1",
        "stage:step-1",
    ]
    # 2 working days from Tue 9 May.
    assert evaluation.action("duty:record-escalation@step-1").due == end_of("2023-05-11")
    assert evaluation.action("duty:record-escalation@step-1").who == (
        person("line-manager", "Line manager", Side.RAISING, SCHOOL),
    )
    assert breaches(evaluation) == {
        # Due end of Fri 5; late Tue 9, Wed 10, Thu 11 (Mon 8 was a bank holiday).
        "duty:record-concern@case:receiving": (end_of("2023-05-05"), 3, None),
        # Due Sat 6 10:00; done Tue 9: one working day (Tue 9) after Sat 6.
        "stage:practitioners": (exactly("2023-05-06 10:00"), 1, moment("2023-05-09 10:00")),
    }
    # Breaches come in due order: end of Fri 5 (midnight) before Sat 6 10:00.
    assert [b.id for b in evaluation.breaches] == [
        "duty:record-concern@case:receiving",
        "stage:practitioners",
    ]
    assert evaluation.warnings == ()


def test_escalation_due_one_working_day_after_the_unresolved_outcome() -> None:
    without_escalation = [e for e in MAY if e["id"] != "x1"]
    evaluation = run(without_escalation, "2023-05-09 12:00")
    escalation = evaluation.action("escalate:practitioners")
    assert escalation.kind == "escalation"
    assert escalation.what == "Notify your line manager"
    assert escalation.due == end_of("2023-05-10")
    assert escalation.stage == "step-1"
    assert escalation.who == (person("practitioner", "Practitioner", Side.RAISING, SCHOOL),)
    late = run(without_escalation, "2023-05-12 09:00")
    assert breaches(late)["escalate:practitioners"] == (end_of("2023-05-10"), 2, None)


@pytest.mark.parametrize("seed", range(5))
def test_file_order_never_matters(seed: int) -> None:
    events = [*FULL, ev("contact_made", "k9", "2025-12-18 15:00", purpose="front-door")]
    expected = run(events, "2026-01-02 12:00")
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 - a fixed shuffle, not a secret
    assert shuffled != events
    assert run(shuffled, "2026-01-02 12:00") == expected


def test_reversed_file_order_gives_the_same_evaluation() -> None:
    assert run(list(reversed(MAY)), "2023-05-11 12:00") == run(MAY, "2023-05-11 12:00")


def test_event_order_concern_first_closure_last_then_id() -> None:
    h = history(
        [
            ev("case_closed", "a", "2023-05-04 10:00", reason="other"),
            held("b", "2023-05-04 10:00", "practitioners", "unresolved"),
            escalated("c", "2023-05-04 10:00", "step-1"),
            recorded("e", "2023-05-04 10:00", "childs_record"),
            recorded("d", "2023-05-04 10:00", "childs_record"),
            risk("f", "2023-05-04 10:00", "low"),
            concern("2023-05-04 10:00", eid="z"),
        ]
    )
    assert [e.id for e in sorted(h.events, key=event_order)] == ["z", "f", "b", "c", "d", "e", "a"]


def test_same_instant_discussion_applies_before_closure() -> None:
    events = [
        ev("case_closed", "a0", "2023-05-09 10:00", reason="other"),
        held("z9", "2023-05-09 10:00", "practitioners", "unresolved"),
        concern("2023-05-04 10:00"),
    ]
    evaluation = run(events, "2023-05-10 10:00")
    assert evaluation.status is Status.CLOSED
    assert evaluation.stage == "step-1"
    assert warnings(evaluation) == []


def test_concern_first_at_one_instant() -> None:
    events = [
        held("a", "2023-05-04 10:00", "practitioners", "resolved"),
        concern("2023-05-04 10:00"),
    ]
    evaluation = run(events, "2023-05-04 12:00")
    assert evaluation.status is Status.RESOLVED
    assert warnings(evaluation) == []


def test_events_after_as_of_are_ignored_with_a_warning() -> None:
    evaluation = run(MAY, "2023-05-09 09:00")
    assert evaluation.stage == "practitioners"
    assert warnings(evaluation) == [("after_as_of", "d1"), ("after_as_of", "x1")]
    assert "later than as_of" in str(evaluation.warnings[0])


def test_as_of_before_the_concern_is_an_invalid_history() -> None:
    with pytest.raises(InvalidHistory) as raised:
        run(MAY, "2023-05-04 09:59")
    (problem,) = raised.value.problems
    assert problem.event == "c1"
    assert problem.pointer == "/events/0/at"  # the concern's time, not the whole document
    assert "after as_of" in problem.message


def test_as_of_at_the_concern_is_fine() -> None:
    assert run(MAY, "2023-05-04 10:00").stage == "practitioners"


def test_naive_as_of_is_a_calendar_error() -> None:
    with pytest.raises(CalendarError, match="as_of has no UTC offset"):
        evaluate(POLICY, history(MAY), datetime(2023, 5, 11, 12, 0))  # noqa: DTZ001


@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_as_of_near_year_1_or_9999_is_a_calendar_error(as_of: str) -> None:
    with pytest.raises(CalendarError, match="as_of is out of range") as raised:
        evaluate(POLICY, history(MAY), datetime.fromisoformat(as_of))
    assert "from 1901-01-01 to 2099-12-31" in raised.value.expected


def test_as_of_in_another_offset_is_the_same_moment() -> None:
    utc = datetime.fromisoformat("2023-05-11T11:00:00+00:00")
    assert evaluate(POLICY, history(MAY), utc).breaches == run(MAY, "2023-05-11 12:00").breaches


def test_history_naming_another_policy_is_warned() -> None:
    evaluation = evaluate(POLICY, history(MAY, policy="pan-cheshire"), moment("2023-05-11 12:00"))
    assert warnings(evaluation) == [("policy_mismatch", None)]


def test_invalid_history_is_rejected_before_evaluating() -> None:
    with pytest.raises(InvalidHistory):
        run([*MAY, held("d9", "2023-05-09 11:00", "step-9", "resolved")], "2023-05-11 12:00")


# -- scope and tracks -------------------------------------------------------


@pytest.mark.parametrize("nature", ["systemic", "complaint"])
def test_out_of_scope_matter_gets_one_redirect_action(nature: str) -> None:
    events = [concern("2023-05-04 10:00", nature=nature)]
    for as_of in ("2023-05-04 12:00", "2024-05-04 12:00"):
        evaluation = run(events, as_of)
        assert evaluation.status is Status.NOT_APPLICABLE
        assert evaluation.stage is None
        assert evaluation.timeline == ()
        assert ids(evaluation) == ["redirect:systemic"]
        (action,) = evaluation.actions
        assert action.kind == "redirect"
        assert action.what == POLICY.scope.exclusions[0].instead
        assert action.who == (person("practitioner", "Practitioner", Side.RAISING, SCHOOL),)
        assert action.due is None
        assert action.why.clause == "hips-scope"
        assert evaluation.breaches == ()


def test_redirected_matter_has_no_action() -> None:
    events = [
        concern("2023-05-04 10:00", nature="systemic"),
        ev("redirected", "rd", "2023-05-05 10:00", to="complaints"),
    ]
    evaluation = run(events, "2023-05-09 12:00")
    assert evaluation.status is Status.REDIRECTED
    assert evaluation.actions == ()
    assert evaluation.breaches == ()


def test_ladder_events_on_an_out_of_scope_matter_are_after_closure() -> None:
    events = [
        concern("2023-05-04 10:00", nature="systemic"),
        held("d1", "2023-05-05 10:00", "practitioners", "unresolved"),
    ]
    evaluation = run(events, "2023-05-09 12:00")
    assert evaluation.status is Status.NOT_APPLICABLE
    assert warnings(evaluation) == [("after_closure", "d1")]


def test_track_covers_child_protection_conference_dissent() -> None:
    events = [
        concern("2023-05-04 10:00", nature="child_protection_conference"),
        held("d1", "2023-05-09 10:00", "cpc-chair", "unresolved"),
    ]
    first = run(events[:1], "2023-05-04 12:00")
    assert first.status is Status.OPEN
    assert first.stage == "cpc-chair"
    chair = first.action("stage:cpc-chair")
    # 2 working days from Thu 4 May: Fri 5, Tue 9.
    assert chair.due == end_of("2023-05-09")
    assert chair.who == (
        person("practitioner", "Practitioner", Side.RAISING, SCHOOL),
        person("conference-chair", "Conference chair", Side.RECEIVING, CSC),
    )
    later = run(events, "2023-05-10 12:00")
    assert later.stage == "cpc-review"
    assert "escalate:cpc-chair" in ids(later)
    # The track's escalation has no timescale: due None, never a breach.
    assert later.action("escalate:cpc-chair").due is None
    # 5 working days from Tue 9 May.
    assert later.action("stage:cpc-review").due == end_of("2023-05-16")
    ended = run(
        [*events, held("d2", "2023-05-12 10:00", "cpc-review", "unresolved")], "2023-05-12 12:00"
    )
    assert warnings(ended) == [("ladder_ended", "d2")]
    assert ended.status is Status.OPEN


def test_exclusion_applies_when_no_track_covers_the_nature() -> None:
    evaluation = run(
        [concern("2023-05-04 10:00", nature="child_protection_conference")],
        "2023-05-04 12:00",
        with_policy(tracks=()),
    )
    assert evaluation.status is Status.NOT_APPLICABLE
    assert ids(evaluation) == ["redirect:cp-conference"]
    assert evaluation.actions[0].what == "Use the child protection conference dissent procedure"


# -- discussion outcomes ----------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("resolved", Status.RESOLVED), ("withdrawn", Status.WITHDRAWN)],
)
def test_resolved_or_withdrawn_closes_the_case(outcome: str, status: Status) -> None:
    events = [
        concern("2023-05-04 10:00"),
        recorded("r1", "2023-05-04 11:00", "childs_record", side="each"),
        held("d1", "2023-05-05 10:00", "practitioners", outcome),
    ]
    evaluation = run(events, "2023-05-31 12:00")
    assert evaluation.status is status
    assert evaluation.stage == "practitioners"
    assert evaluation.timeline[0].outcome == outcome
    assert evaluation.timeline[0].concluded_at == moment("2023-05-05 10:00")
    assert evaluation.actions == ()
    assert evaluation.breaches == ()
    assert evaluation.warnings == ()


def test_unresolved_outcome_enters_the_next_stage_at_that_moment() -> None:
    evaluation = run(MAY[:3], "2023-05-09 12:00")
    assert evaluation.status is Status.OPEN
    assert [(r.stage, r.entered_at) for r in evaluation.timeline] == [
        ("practitioners", moment("2023-05-04 10:00")),
        ("step-1", moment("2023-05-09 10:00")),
    ]
    assert "stage:practitioners" not in ids(evaluation)


def test_last_stage_unresolved_ends_the_ladder_but_the_case_stays_open() -> None:
    evaluation = run(FULL, "2026-01-02 12:00")
    assert evaluation.status is Status.OPEN
    assert evaluation.stage == "step-3"
    assert warnings(evaluation) == [("ladder_ended", "d4")]
    assert (
        "the delegated safeguarding partners' decision is final" in evaluation.warnings[0].message
    )


def test_full_ladder_over_christmas() -> None:
    evaluation = run(FULL, "2026-01-02 12:00")
    assert [(r.stage, r.entered_at, r.due, r.concluded_at) for r in evaluation.timeline] == [
        # 48 hours from Mon 1 Dec 09:00.
        (
            "practitioners",
            moment("2025-12-01 09:00"),
            exactly("2025-12-03 09:00"),
            moment("2025-12-02 10:00"),
        ),
        # counts from the previous stage's conclusion: 5 working days from Tue 2 Dec.
        ("step-1", moment("2025-12-02 10:00"), end_of("2025-12-09"), moment("2025-12-08 14:00")),
        # counts from entry: 5 working days from Mon 8 Dec.
        ("step-2", moment("2025-12-08 14:00"), end_of("2025-12-15"), moment("2025-12-11 11:00")),
        # counts from the concern: 19 working days from Mon 1 Dec, over Christmas.
        ("step-3", moment("2025-12-11 11:00"), end_of("2025-12-30"), moment("2025-12-18 15:00")),
    ]
    assert ids(evaluation) == [
        "duty:log-unresolved@step-3",
        "duty:share-learning@step-3",
        "duty:tell-workers@step-1:raising",
        "duty:tell-workers@step-1:receiving",
    ]
    # 7 calendar days from Thu 18 Dec is Christmas Day: rolled to Mon 29 Dec.
    # One month from Tue 16 Dec is Fri 16 Jan.
    assert evaluation.action("duty:log-unresolved@step-3").due == end_of("2025-12-29")
    assert evaluation.action("duty:log-unresolved@step-3").who == (
        person("business-unit", "Partnership business unit", Side.PARTNERSHIP, NORTH),
    )
    assert evaluation.action("duty:share-learning@step-3").due == end_of("2026-01-16")
    assert evaluation.action("duty:tell-workers@step-1:raising").due is None
    # Late Tue 30, Wed 31 and Fri 2 Jan (1 Jan is a bank holiday).
    assert breaches(evaluation) == {"duty:log-unresolved@step-3": (end_of("2025-12-29"), 3, None)}


def test_step_3_action_has_its_contacts_and_form() -> None:
    events = FULL[:10]
    evaluation = run(events, "2025-12-12 10:00")
    stage = evaluation.action("stage:step-3")
    assert stage.due == end_of("2025-12-30")
    assert stage.who == (
        person("dsp", "Delegated safeguarding partner", Side.PARTNERSHIP, NORTH),
        person("dsl", "Designated safeguarding lead", Side.RAISING, SCHOOL),
    )
    assert stage.contacts == (
        ContactDetails(
            id="north-step-3",
            name="North SCP business unit",
            purpose="step-3-referral",
            area="north",
            email="scp@north.example",
        ),
    )
    assert stage.forms == ("appendix-a",)


@pytest.mark.parametrize(
    ("events", "stage", "timeline", "expected_warnings"),
    [
        pytest.param(
            [held("d1", "2023-05-05 10:00", "step-1", "resolved")],
            "step-1",
            [("practitioners", "unresolved"), ("step-1", "resolved")],
            [],
            id="next-stage",
        ),
        pytest.param(
            [held("d1", "2023-05-05 10:00", "step-2", "resolved")],
            "step-2",
            [("practitioners", "unresolved"), ("step-2", "resolved")],
            [("stage_skipped", "d1")],
            id="skipping-step-1",
        ),
        pytest.param(
            [
                held("d1", "2023-05-05 10:00", "practitioners", "unresolved"),
                escalated("x1", "2023-05-05 11:00", "step-1"),
                held("d2", "2023-05-09 10:00", "step-3", "resolved"),
            ],
            "step-3",
            [("practitioners", "unresolved"), ("step-1", "unresolved"), ("step-3", "resolved")],
            [],
            id="optional-step-2-passed-over",
        ),
        pytest.param(
            # Issue 16 (5): Step 1 was only entered (the practitioners' stage ended
            # unresolved), with no discussion or escalation of its own: skipped.
            [
                held("d1", "2023-05-05 10:00", "practitioners", "unresolved"),
                held("d2", "2023-05-09 10:00", "step-3", "resolved"),
            ],
            "step-3",
            [("practitioners", "unresolved"), ("step-1", "unresolved"), ("step-3", "resolved")],
            [("stage_skipped", "d2")],
            id="only-entered-step-1-skipped",
        ),
        pytest.param(
            [held("d1", "2023-05-05 10:00", "step-3", "unresolved")],
            "step-3",
            [("practitioners", "unresolved"), ("step-3", "unresolved")],
            [("stage_skipped", "d1"), ("ladder_ended", "d1")],
            id="skipping-to-the-last",
        ),
    ],
)
def test_outcome_for_a_later_stage_moves_there(
    events: list[dict[str, Any]],
    stage: str,
    timeline: list[tuple[str, str]],
    expected_warnings: list[tuple[str, str]],
) -> None:
    evaluation = run([concern("2023-05-04 10:00"), *events], "2023-05-09 12:00")
    assert evaluation.stage == stage
    assert [(r.stage, r.outcome) for r in evaluation.timeline] == timeline
    assert warnings(evaluation) == expected_warnings


def test_stage_skipped_names_the_skipped_stage() -> None:
    evaluation = run(
        [concern("2023-05-04 10:00"), held("d1", "2023-05-05 10:00", "step-2", "resolved")],
        "2023-05-09 12:00",
    )
    assert evaluation.warnings[0].message == (
        "went to Step 2: designated safeguarding leads, skipping Step 1: line managers"
    )


def test_outcome_for_an_earlier_stage_is_out_of_order() -> None:
    events = [*MAY, held("d2", "2023-05-10 10:00", "practitioners", "resolved")]
    evaluation = run(events, "2023-05-11 12:00")
    assert evaluation.status is Status.OPEN
    assert evaluation.stage == "step-1"
    assert warnings(evaluation) == [("out_of_order", "d2")]


def test_second_outcome_for_a_concluded_stage_is_a_duplicate() -> None:
    events = [*FULL, held("d5", "2025-12-19 10:00", "step-3", "resolved")]
    evaluation = run(events, "2026-01-02 12:00")
    assert evaluation.status is Status.OPEN
    assert evaluation.timeline[-1].outcome == "unresolved"
    assert warnings(evaluation) == [("ladder_ended", "d4"), ("duplicate_outcome", "d5")]


def test_ladder_events_before_the_concern_are_ignored() -> None:
    events = [
        concern("2023-05-04 10:00"),
        held("d0", "2023-05-03 10:00", "practitioners", "resolved"),
        escalated("x0", "2023-05-04 09:00", "step-1"),
    ]
    evaluation = run(events, "2023-05-04 12:00")
    assert evaluation.status is Status.OPEN
    assert evaluation.stage == "practitioners"
    assert warnings(evaluation) == [("before_concern", "d0"), ("before_concern", "x0")]


def test_ladder_events_after_closure_are_ignored_other_events_still_count() -> None:
    events = [
        concern("2023-05-04 10:00"),
        held("d1", "2023-05-09 10:00", "practitioners", "unresolved"),
        held("d2", "2023-05-15 14:00", "step-1", "resolved"),
        held("d3", "2023-05-16 10:00", "step-2", "unresolved"),
        escalated("x3", "2023-05-16 11:00", "step-3"),
        # Recording after the resolution still discharges the duties.
        ev("outcome_confirmed", "o1", "2023-05-18 10:00", stage="step-1"),
        recorded("r1", "2023-05-18 11:00", "childs_record", side="each"),
    ]
    evaluation = run(events, "2023-05-19 12:00")
    assert evaluation.status is Status.RESOLVED
    assert evaluation.stage == "step-1"
    assert warnings(evaluation) == [("after_closure", "d3"), ("after_closure", "x3")]
    assert "comes after the case was closed (resolved)" in evaluation.warnings[0].message
    assert ids(evaluation) == [
        "duty:record-escalation@step-1",
        "duty:tell-workers@step-1:raising",
        "duty:tell-workers@step-1:receiving",
    ]
    assert breaches(evaluation) == {
        "stage:practitioners": (exactly("2023-05-06 10:00"), 1, moment("2023-05-09 10:00")),
        # 1 working day from Thu 4 May; done Thu 18 May: 8 working days after Fri 5.
        "duty:record-concern@case:raising": (end_of("2023-05-05"), 8, moment("2023-05-18 11:00")),
        "duty:record-concern@case:receiving": (end_of("2023-05-05"), 8, moment("2023-05-18 11:00")),
        # Notify the line manager by Wed 10; done when Step 1 met on Mon 15.
        "escalate:practitioners": (end_of("2023-05-10"), 3, moment("2023-05-15 14:00")),
        # 2 working days from Tue 9 May; still not done on Fri 19.
        "duty:record-escalation@step-1": (end_of("2023-05-11"), 6, None),
        # 1 working day from Mon 15: Tue 16; done Thu 18.
        "duty:confirm-outcome@step-1": (end_of("2023-05-16"), 2, moment("2023-05-18 10:00")),
    }


def test_case_closed_for_another_reason() -> None:
    events = [*MAY, ev("case_closed", "z", "2023-05-10 12:00", reason="other")]
    evaluation = run(events, "2023-05-11 12:00")
    assert evaluation.status is Status.CLOSED
    assert "stage:step-1" not in ids(evaluation)
    # Duties are still owed after closure.
    assert "duty:record-escalation@step-1" in ids(evaluation)


# -- escalations ------------------------------------------------------------


def test_escalation_while_open_concludes_the_stage_and_enters_the_next() -> None:
    events = [concern("2023-05-04 10:00"), escalated("x1", "2023-05-05 10:00", "step-1")]
    evaluation = run(events, "2023-05-05 12:00")
    assert [(r.stage, r.entered_at, r.concluded_at, r.outcome) for r in evaluation.timeline] == [
        ("practitioners", moment("2023-05-04 10:00"), moment("2023-05-05 10:00"), "unresolved"),
        ("step-1", moment("2023-05-05 10:00"), None, None),
    ]
    # The explicit escalation is the escalation: nothing left to escalate.
    assert "escalate:practitioners" not in ids(evaluation)
    assert warnings(evaluation) == []
    # 5 working days from Fri 5 May: Tue 9, Wed 10, Thu 11, Fri 12, Mon 15.
    assert evaluation.action("stage:step-1").due == end_of("2023-05-15")


def test_escalation_to_the_current_stage_discharges_the_escalation_action() -> None:
    before = run(MAY[:3], "2023-05-09 12:00")
    assert "escalate:practitioners" in ids(before)
    after = run(MAY, "2023-05-11 12:00")
    assert "escalate:practitioners" not in ids(after)
    assert "escalate:practitioners" not in breaches(after)
    assert [r.stage for r in after.timeline] == ["practitioners", "step-1"]
    assert after.timeline[1].entered_at == moment("2023-05-09 10:00")


def test_late_escalation_to_the_current_stage_is_a_breach_with_done_at() -> None:
    events = [*MAY[:3], escalated("x1", "2023-05-12 09:00", "step-1")]
    evaluation = run(events, "2023-05-12 12:00")
    assert breaches(evaluation)["escalate:practitioners"] == (
        end_of("2023-05-10"),
        2,
        moment("2023-05-12 09:00"),
    )


def test_escalation_to_an_earlier_stage_is_out_of_order() -> None:
    events = [*MAY, escalated("x2", "2023-05-10 10:00", "practitioners")]
    evaluation = run(events, "2023-05-11 12:00")
    assert evaluation.stage == "step-1"
    assert warnings(evaluation) == [("out_of_order", "x2")]


def test_escalation_past_a_stage_only_entered_is_skipping_it() -> None:
    # Issue 16 (5): the practitioners' stage ends unresolved, so Step 1 is entered
    # at 10:00; half an hour later the case is escalated straight to Step 2.
    events = [
        concern("2023-05-04 10:00"),
        held("d1", "2023-05-05 10:00", "practitioners", "unresolved"),
        escalated("x1", "2023-05-05 10:30", "step-2"),
    ]
    evaluation = run(events, "2023-05-05 12:00")
    assert evaluation.stage == "step-2"
    assert warnings(evaluation) == [("stage_skipped", "x1")]
    assert evaluation.warnings[0].message == (
        "went to Step 2: designated safeguarding leads, skipping Step 1: line managers"
    )


def test_escalation_past_a_required_stage_is_skipping() -> None:
    events = [concern("2023-05-04 10:00"), escalated("x1", "2023-05-05 10:00", "step-2")]
    evaluation = run(events, "2023-05-05 12:00")
    assert evaluation.stage == "step-2"
    assert warnings(evaluation) == [("stage_skipped", "x1")]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param(
            [held("d2", "2023-05-11 10:00", "step-1", "resolved")],
            (end_of("2023-05-10"), 1, moment("2023-05-11 10:00")),
            id="discussion-at-the-next-stage",
        ),
        pytest.param(
            [escalated("x2", "2023-05-12 10:00", "step-2")],
            (end_of("2023-05-10"), 2, moment("2023-05-12 10:00")),
            id="a-later-stage-reached",
        ),
        pytest.param([], (end_of("2023-05-10"), 4, None), id="still-outstanding"),
    ],
)
def test_escalation_action_discharged_by_later_progress(
    events: list[dict[str, Any]], expected: tuple[Deadline, int, datetime | None]
) -> None:
    evaluation = run([*MAY[:3], *events], "2023-05-16 12:00")
    assert breaches(evaluation)["escalate:practitioners"] == expected
    assert ("escalate:practitioners" in ids(evaluation)) is (expected[2] is None)


def test_escalation_with_no_timescale_is_never_a_breach() -> None:
    events = [*MAY, held("d2", "2023-05-11 10:00", "step-1", "unresolved")]
    evaluation = run(events, "2023-12-01 12:00")
    action = evaluation.action("escalate:step-1")
    assert action.due is None
    assert action.what == "Refer to your designated safeguarding lead"
    assert action.who == (person("line-manager", "Line manager", Side.RAISING, SCHOOL),)
    assert "escalate:step-1" not in breaches(evaluation)


def test_escalation_to_the_named_target_with_its_own_timescale() -> None:
    # Step 2 ends unresolved: on_unresolved.to is step-3, within 2 working days.
    events = [e for e in FULL if e["id"] not in {"x3", "f1", "m1", "d4"}]
    evaluation = run(events, "2025-12-12 12:00")
    assert evaluation.stage == "step-3"
    escalation = evaluation.action("escalate:step-2")
    # 2 working days from Thu 11 Dec: Fri 12, Mon 15.
    assert escalation.due == end_of("2025-12-15")
    assert escalation.who == (person("dsl", "Designated safeguarding lead", Side.RAISING, SCHOOL),)
    late = run(
        [*events, held("d4", "2025-12-18 15:00", "step-3", "unresolved")], "2025-12-19 12:00"
    )
    assert breaches(late)["escalate:step-2"] == (
        end_of("2025-12-15"),
        3,
        moment("2025-12-18 15:00"),
    )


# -- duties -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "outstanding"),
    [
        pytest.param([], ["raising", "receiving"], id="none"),
        pytest.param([{"side": "raising"}], ["receiving"], id="raising"),
        pytest.param([{"side": "receiving"}], ["raising"], id="receiving"),
        pytest.param([{}], ["receiving"], id="default-side-is-raising"),
        pytest.param([{"side": "each"}], [], id="each"),
        pytest.param([{"side": "raising"}, {"side": "receiving"}], [], id="both"),
        pytest.param([{"side": "partnership"}], ["raising", "receiving"], id="partnership"),
    ],
)
def test_each_side_duty_is_discharged_per_side(
    records: list[dict[str, str]], outstanding: list[str]
) -> None:
    events = [concern("2023-05-04 10:00")] + [
        recorded(f"r{i}", "2023-05-04 15:00", "childs_record", **fields)
        for i, fields in enumerate(records)
    ]
    evaluation = run(events, "2023-05-05 12:00")
    assert [i for i in ids(evaluation) if i.startswith("duty:")] == [
        f"duty:record-concern@case:{side}" for side in outstanding
    ]


def test_duty_needs_a_matching_event_at_or_after_the_trigger() -> None:
    events = [
        recorded("r0", "2023-05-04 09:00", "childs_record", side="each"),  # before the concern
        recorded("r1", "2023-05-04 10:00", "agency_record", side="each"),  # the wrong record
        concern("2023-05-04 10:00"),
        recorded("r2", "2023-05-04 10:00", "childs_record", side="receiving"),  # at the trigger
    ]
    evaluation = run(events, "2023-05-05 12:00")
    assert [i for i in ids(evaluation) if i.startswith("duty:")] == [
        "duty:record-concern@case:raising"
    ]


@pytest.mark.parametrize(
    ("record", "done"),
    [
        pytest.param({"stage": "step-1"}, True, id="same-stage"),
        pytest.param({}, True, id="no-stage"),
        pytest.param({"stage": "step-2"}, False, id="other-stage"),
        pytest.param({"stage": "practitioners"}, False, id="earlier-stage"),
    ],
)
def test_stage_duty_is_discharged_by_an_event_of_its_stage(
    record: dict[str, str], *, done: bool
) -> None:
    events = [*MAY, recorded("r2", "2023-05-10 10:00", "agency_record", **record)]
    evaluation = run(events, "2023-05-10 12:00")
    assert ("duty:record-escalation@step-1" not in ids(evaluation)) is done


def test_stage_entered_duty_respects_its_stages() -> None:
    evaluation = run(FULL[:10], "2025-12-12 10:00")
    occurrences = {
        a.id for a in evaluation.actions if a.id.startswith("duty:record-escalation")
    } | {b.id for b in evaluation.breaches if b.id.startswith("duty:record-escalation")}
    # Discharged on time by r2 and r3, and never due for step-3 or the first stage.
    assert occurrences == set()
    undischarged = [e for e in FULL[:10] if e["id"] not in {"r2", "r3"}]
    evaluation = run(undischarged, "2025-12-12 10:00")
    assert [i for i in ids(evaluation) if i.startswith("duty:record-escalation")] == [
        "duty:record-escalation@step-1",
        "duty:record-escalation@step-2",
    ]
    # 2 working days from Tue 2 Dec and from Mon 8 Dec.
    assert evaluation.action("duty:record-escalation@step-1").due == end_of("2025-12-04")
    assert evaluation.action("duty:record-escalation@step-2").due == end_of("2025-12-10")


@pytest.mark.parametrize(
    ("stage", "outcome", "expected"),
    [
        pytest.param(
            "step-1",
            "resolved",
            [
                "duty:confirm-outcome@step-1",
                "duty:tell-workers@step-1:raising",
                "duty:tell-workers@step-1:receiving",
            ],
            id="step-1-resolved",
        ),
        pytest.param(
            "step-1",
            "unresolved",
            [
                "duty:record-escalation@step-2",
                "duty:tell-workers@step-1:raising",
                "duty:tell-workers@step-1:receiving",
                "escalate:step-1",
            ],
            id="step-1-unresolved",
        ),
        pytest.param(
            "step-1",
            "withdrawn",
            ["duty:tell-workers@step-1:raising", "duty:tell-workers@step-1:receiving"],
            id="step-1-withdrawn",
        ),
        # Moving on to Step 2 concludes Step 1 (unresolved), so the workers are told.
        pytest.param(
            "step-2",
            "resolved",
            [
                "duty:record-escalation@step-2",
                "duty:tell-workers@step-1:raising",
                "duty:tell-workers@step-1:receiving",
            ],
            id="step-2-resolved",
        ),
    ],
)
def test_stage_conclusion_duties(stage: str, outcome: str, expected: list[str]) -> None:
    events = [
        *MAY,
        recorded("r2", "2023-05-10 10:00", "agency_record"),
        recorded("r3", "2023-05-10 10:00", "childs_record", side="receiving"),
        held("d2", "2023-05-15 14:00", stage, outcome),
    ]
    evaluation = run(events, "2023-05-15 15:00")
    assert sorted(i for i in ids(evaluation) if not i.startswith("stage:")) == expected
    if "duty:confirm-outcome@step-1" in expected:
        confirm = evaluation.action("duty:confirm-outcome@step-1")
        assert confirm.due == end_of("2023-05-16")
        assert confirm.who == (person("line-manager", "Line manager", Side.RECEIVING, CSC),)


def test_duty_without_timescale_is_never_a_breach() -> None:
    events = [*MAY, held("d2", "2023-05-15 14:00", "step-1", "resolved")]
    evaluation = run(events, "2024-05-15 12:00")
    assert evaluation.action("duty:tell-workers@step-1:raising").due is None
    assert "duty:tell-workers@step-1:raising" not in breaches(evaluation)
    assert "duty:confirm-outcome@step-1" in breaches(evaluation)


def test_outcome_communicated_discharges_both_sides_of_tell_workers() -> None:
    events = [
        *MAY,
        held("d2", "2023-05-15 14:00", "step-1", "resolved"),
        ev("outcome_communicated", "oc", "2023-05-16 10:00", to="workers"),
        ev("outcome_confirmed", "o1", "2023-05-16 10:00", in_writing=False),
    ]
    evaluation = run(events, "2023-05-16 12:00")
    assert not any(i.startswith("duty:tell-workers") for i in ids(evaluation))
    # Confirmation not in writing does not discharge a duty to confirm in writing.
    assert "duty:confirm-outcome@step-1" in ids(evaluation)


def test_event_triggered_duty_repeats_with_numbers() -> None:
    events = [
        concern("2023-05-04 10:00"),
        ev("meeting_held", "m1", "2023-05-05 10:00", meeting="resolution"),
        ev("meeting_held", "m2", "2023-05-10 10:00", meeting="professionals"),
        ev("meeting_held", "m3", "2023-05-12 10:00", meeting="resolution"),
        ev("meeting_held", "m4", "2023-05-12 11:00", meeting="resolution", stage="step-3"),
    ]
    evaluation = run(events, "2023-05-12 12:00")
    learning = [a for a in evaluation.actions if a.id.startswith("duty:share-learning")]
    assert [(a.id, a.due) for a in learning] == [
        # One calendar month from Fri 5 May: Mon 5 June.
        ("duty:share-learning@case", end_of("2023-06-05")),
        # From Fri 12 May: Mon 12 June.
        ("duty:share-learning@case#2", end_of("2023-06-12")),
        ("duty:share-learning@step-3", end_of("2023-06-12")),
    ]
    assert learning[0].who == (
        person("business-unit", "Partnership business unit", Side.PARTNERSHIP, NORTH),
    )
    assert learning[0].why.clause == "hips-stage-5"
    # One dissemination after the last meeting discharges all three.
    done = run([*events, ev("learning_disseminated", "l1", "2023-05-20 10:00")], "2023-07-01 12:00")
    assert not any(a.id.startswith("duty:share-learning") for a in done.actions)


def test_monthly_duty_due_on_easter_monday_rolls_to_tuesday() -> None:
    events = [
        concern("2026-03-02 10:00"),
        ev("meeting_held", "m1", "2026-03-06 10:00", meeting="resolution"),
    ]
    evaluation = run(events, "2026-04-08 12:00")
    # One month from Fri 6 March is Mon 6 April (Easter Monday): due end of Tue 7 April.
    assert breaches(evaluation)["duty:share-learning@case"] == (end_of("2026-04-07"), 1, None)


def test_duty_ids_are_unique() -> None:
    events = [
        *FULL,
        ev("meeting_held", "m2", "2025-12-19 10:00", meeting="resolution", stage="step-3"),
    ]
    evaluation = run(events, "2026-01-02 12:00")
    action_ids = ids(evaluation)
    assert len(action_ids) == len(set(action_ids))
    assert "duty:share-learning@step-3#2" in action_ids


# -- lateness ---------------------------------------------------------------


CHRISTMAS = [concern("2025-12-23 10:00")]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2025-12-24 23:59", None, id="last-minute-on-time"),
        pytest.param("2025-12-25 00:00", None, id="the-deadline-instant-on-time"),
        pytest.param("2025-12-25 00:01", 0, id="christmas-day"),
        pytest.param("2025-12-28 12:00", 0, id="sunday"),
        pytest.param("2025-12-29 09:00", 1, id="first-working-day"),
        pytest.param("2026-01-01 09:00", 3, id="new-years-day"),
        pytest.param("2026-01-02 09:00", 4, id="friday-2-january"),
        pytest.param("2026-01-05 09:00", 5, id="monday-5-january"),
    ],
)
def test_lateness_counts_working_days_after_the_last_on_time_day(
    as_of: str, expected: int | None
) -> None:
    evaluation = run(CHRISTMAS, as_of)
    found = {b.id: b for b in evaluation.breaches}.get("duty:record-concern@case:raising")
    if expected is None:
        assert found is None
    else:
        assert found is not None
        # 1 working day from Tue 23 Dec: Wed 24 Dec.
        assert found.due == end_of("2025-12-24")
        assert found.late == Lateness(
            working_days=expected, elapsed=moment(as_of) - moment("2025-12-25 00:00")
        )


def test_lateness_of_an_hours_deadline_counts_from_its_local_date() -> None:
    # 48 hours from Tue 23 Dec 10:00 is Thu 25 Dec 10:00.
    evaluation = run(CHRISTMAS, "2026-01-02 09:00")
    stage = next(b for b in evaluation.breaches if b.id == "stage:practitioners")
    assert stage.due == exactly("2025-12-25 10:00")
    assert stage.late.working_days == 4
    same_day = run(CHRISTMAS, "2025-12-25 11:00")
    assert {b.id: b.late for b in same_day.breaches}["stage:practitioners"] == Lateness(
        0, timedelta(hours=1)
    )


def test_an_hours_deadline_includes_its_last_instant() -> None:
    # "Within 48 hours": done at exactly 48 hours is on time, a minute later is late.
    events = [*CHRISTMAS, held("d1", "2025-12-25 10:00", "practitioners", "resolved")]
    assert "stage:practitioners" not in breaches(run(events, "2025-12-29 12:00"))
    events = [*CHRISTMAS, held("d1", "2025-12-25 10:01", "practitioners", "resolved")]
    assert breaches(run(events, "2025-12-29 12:00"))["stage:practitioners"] == (
        exactly("2025-12-25 10:00"),
        0,
        moment("2025-12-25 10:01"),
    )


def test_done_late_stays_a_breach_but_not_an_action() -> None:
    events = [*CHRISTMAS, recorded("r1", "2025-12-30 10:00", "childs_record", side="each")]
    evaluation = run(events, "2026-01-05 09:00")
    assert "duty:record-concern@case:raising" not in ids(evaluation)
    assert breaches(evaluation)["duty:record-concern@case:raising"] == (
        end_of("2025-12-24"),
        2,
        moment("2025-12-30 10:00"),
    )


# -- urgency ----------------------------------------------------------------


EASTER = [
    concern("2026-04-01 09:00"),
    recorded("r1", "2026-04-01 10:00", "childs_record", side="each"),
    held("d1", "2026-04-02 14:00", "practitioners", "unresolved"),
    escalated("x1", "2026-04-02 15:00", "step-1"),
    recorded("r2", "2026-04-02 16:00", "agency_record"),
    risk("k1", "2026-04-03 11:00", "significant-harm"),  # Good Friday
]


def test_urgency_shortens_the_open_stage_to_the_same_working_day() -> None:
    evaluation = run(EASTER, "2026-04-03 12:00")
    assert evaluation.urgent
    assert evaluation.risk == "significant-harm"
    # Normally 5 working days from Thu 2 April: Mon 13 April.  Assessed on Good
    # Friday, the same working day is the next one: Tue 7 April.
    assert evaluation.timeline[1].due == end_of("2026-04-07")
    stage = evaluation.action("stage:step-1")
    assert stage.due == end_of("2026-04-07")
    assert stage.urgent
    # The immediate action first, then the urgent stage.
    assert ids(evaluation) == ["urgent:significant-harm:front-door", "stage:step-1"]
    late = run(EASTER, "2026-04-08 10:00")
    assert breaches(late) == {"stage:step-1": (end_of("2026-04-07"), 1, None)}


def test_unshortened_when_the_normal_due_is_sooner() -> None:
    events = [concern("2023-05-04 10:00"), risk("k1", "2023-05-04 10:30", "significant-harm")]
    evaluation = run(events, "2023-05-04 12:00")
    # Same day (end of Thu 4 May) is sooner than 48 hours (Sat 6 May 10:00).
    assert evaluation.action("stage:practitioners").due == end_of("2023-05-04")
    assert evaluation.action("stage:practitioners").urgent
    hours_first = with_policy(
        urgency=(attrs.evolve(POLICY.urgency[0], timescale=Timescale("working_days", 5)),)
    )
    evaluation = run(events, "2023-05-04 12:00", hours_first)
    assert evaluation.action("stage:practitioners").due == exactly("2023-05-06 10:00")
    assert evaluation.action("stage:practitioners").urgent


def test_urgency_does_not_shorten_duties() -> None:
    events = [concern("2023-05-04 10:00"), risk("k1", "2023-05-04 10:30", "significant-harm")]
    duty = run(events, "2023-05-04 12:00").action("duty:record-concern@case:raising")
    assert duty.due == end_of("2023-05-05")
    assert not duty.urgent


def test_immediate_action() -> None:
    evaluation = run(EASTER, "2026-04-03 12:00")
    action = evaluation.actions[0]
    assert action.id == "urgent:significant-harm:front-door"
    assert action.kind == "urgent"
    assert action.urgent
    assert action.due is None
    assert action.what == "Contact the children's social care front door"
    assert action.who == (person("practitioner", "Practitioner", Side.RAISING, SCHOOL),)
    assert [c.id for c in action.contacts] == ["north-front-door"]
    assert action.why.clause == "pc-urgency"
    south = [concern("2026-04-01 09:00", area="south"), *EASTER[1:]]
    assert [c.id for c in run(south, "2026-04-03 12:00").actions[0].contacts] == [
        "south-front-door"
    ]
    no_area = [concern("2026-04-01 09:00", area=None), *EASTER[1:]]
    assert [c.id for c in run(no_area, "2026-04-03 12:00").actions[0].contacts] == [
        "north-front-door",
        "south-front-door",
    ]


@pytest.mark.parametrize(
    ("contact", "discharged"),
    [
        pytest.param(ev("contact_made", "k2", "2026-04-03 11:05", purpose="front-door"), True),
        pytest.param(ev("contact_made", "k2", "2026-04-03 10:55", purpose="front-door"), False),
        pytest.param(
            ev("contact_made", "k2", "2026-04-03 11:05", purpose="step-3-referral"), False
        ),
    ],
    ids=["after-activation", "before-activation", "other-purpose"],
)
def test_immediate_action_is_discharged_by_its_event(
    contact: dict[str, Any], *, discharged: bool
) -> None:
    evaluation = run([*EASTER, contact], "2026-04-10 12:00")
    assert ("urgent:significant-harm:front-door" not in ids(evaluation)) is discharged
    assert not any(b.kind == "urgent" for b in evaluation.breaches)


def test_urgency_ends_at_an_assessment_at_another_level() -> None:
    events = [*EASTER, risk("k2", "2026-04-07 09:00", "low")]
    evaluation = run(events, "2026-04-08 10:00")
    assert not evaluation.urgent
    assert evaluation.risk == "low"
    # The stage was open while the rule was in force: it keeps the shorter due.
    assert evaluation.action("stage:step-1").urgent
    assert breaches(evaluation) == {"stage:step-1": (end_of("2026-04-07"), 1, None)}
    # A stage entered after the rule ended is not urgent.
    later = run(
        [*events, held("d2", "2026-04-08 11:00", "step-1", "unresolved")], "2026-04-08 12:00"
    )
    assert later.stage == "step-2"
    assert not later.action("stage:step-2").urgent
    # 5 working days from Wed 8 April.
    assert later.action("stage:step-2").due == end_of("2026-04-15")


def test_reassessment_at_the_same_level_keeps_one_interval() -> None:
    events = [*EASTER, risk("k2", "2026-04-07 09:00", "significant-harm")]
    evaluation = run(events, "2026-04-07 10:00")
    assert ids(evaluation).count("urgent:significant-harm:front-door") == 1
    assert evaluation.action("stage:step-1").due == end_of("2026-04-07")


def test_urgent_escalation_due() -> None:
    events = [
        concern("2023-05-04 10:00"),
        held("d1", "2023-05-05 10:00", "practitioners", "unresolved"),
        risk("k1", "2023-05-05 11:00", "significant-harm"),
    ]
    evaluation = run(events, "2023-05-05 12:00")
    escalation = evaluation.action("escalate:practitioners")
    # Normally 1 working day from Fri 5 May (Tue 9): now the same day.
    assert escalation.due == end_of("2023-05-05")
    assert escalation.urgent


def test_urgency_rule_limited_to_some_stages() -> None:
    policy = with_policy(urgency=(attrs.evolve(POLICY.urgency[0], stages=("step-3",)),))
    events = [concern("2023-05-04 10:00"), risk("k1", "2023-05-04 10:30", "significant-harm")]
    evaluation = run(events, "2023-05-04 12:00", policy)
    # Issue 16 (11): in force, but not for the stage the case is at: not urgent here.
    assert not evaluation.urgent
    assert evaluation.action("urgent:significant-harm:front-door").urgent
    assert evaluation.action("stage:practitioners").due == exactly("2023-05-06 10:00")
    assert not evaluation.action("stage:practitioners").urgent


@pytest.mark.parametrize(
    ("risks", "expected"),
    [
        pytest.param([risk("k1", "2023-05-04 10:30", "significant-harm")], [], id="active"),
        pytest.param([], [("stage_skipped", "x1")], id="no-risk"),
        pytest.param(
            [
                risk("k1", "2023-05-04 10:30", "significant-harm"),
                risk("k2", "2023-05-04 10:45", "low"),
            ],
            [("stage_skipped", "x1")],
            id="ended",
        ),
        pytest.param(
            [risk("k1", "2023-05-04 11:30", "significant-harm")],
            [("stage_skipped", "x1")],
            id="assessed-after-the-skip",
        ),
    ],
)
def test_urgency_allows_skipping_to_its_stage(
    risks: list[dict[str, Any]], expected: list[tuple[str, str]]
) -> None:
    events = [concern("2023-05-04 10:00"), *risks, escalated("x1", "2023-05-04 11:00", "step-3")]
    evaluation = run(events, "2023-05-04 12:00")
    assert evaluation.stage == "step-3"
    assert warnings(evaluation) == expected


def test_urgent_skip_to_step_3_due_the_same_day() -> None:
    events = [
        concern("2023-05-04 10:00"),
        risk("k1", "2023-05-04 10:30", "significant-harm"),
        escalated("x1", "2023-05-04 11:00", "step-3"),
    ]
    evaluation = run(events, "2023-05-04 12:00")
    assert evaluation.action("stage:step-3").due == end_of("2023-05-04")
    assert evaluation.action("stage:step-3").urgent
    assert "escalate:practitioners" not in ids(evaluation)


def test_urgency_over_before_a_stage_is_entered_does_not_shorten_it() -> None:
    events = [
        concern("2023-05-04 10:00"),
        risk("k1", "2023-05-04 10:30", "significant-harm"),
        risk("k2", "2023-05-05 09:00", "low"),
        held("d1", "2023-05-09 10:00", "practitioners", "unresolved"),
        escalated("x2", "2023-05-16 10:00", "step-3"),
    ]
    evaluation = run(events, "2023-05-16 12:00")
    # 19 working days from Thu 4 May: Fri 2 June.  Actual: end of Thu 4 May.
    assert evaluation.action("stage:step-3").due == end_of("2023-06-02")
    assert "stage:step-3" not in breaches(evaluation)


def test_urgency_active_before_a_stage_is_entered_counts_from_entry() -> None:
    events = [
        concern("2023-05-04 10:00"),
        risk("k1", "2023-05-04 10:30", "significant-harm"),
        held("d1", "2023-05-09 10:00", "practitioners", "unresolved"),
        escalated("x2", "2023-05-16 10:00", "step-3"),
    ]
    evaluation = run(events, "2023-05-16 12:00")
    # Entered Tue 16 May under the rule: due the same day.  Actual: end of Thu 4 May.
    assert evaluation.action("stage:step-3").due == end_of("2023-05-16")


def test_reactivated_urgency_has_unique_action_ids() -> None:
    events = [
        concern("2023-05-04 10:00"),
        risk("k1", "2023-05-04 10:30", "significant-harm"),
        risk("k2", "2023-05-05 09:00", "low"),
        risk("k3", "2023-05-09 09:00", "significant-harm"),
    ]
    action_ids = ids(run(events, "2023-05-09 12:00"))
    assert len(action_ids) == len(set(action_ids))
    # The first activation lapsed when the risk was reassessed low (issue 16, 11).
    assert action_ids[0] == "urgent:significant-harm:front-door#2"
    assert "urgent:significant-harm:front-door" not in action_ids
    # A contact after the second activation discharges it.
    contact = ev("contact_made", "k4", "2023-05-09 10:00", purpose="front-door")
    assert not any(a.kind == "urgent" for a in run([*events, contact], "2023-05-09 12:00").actions)


# -- agreed timescales ------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "agreed_at", "agreed_due", "expected"),
    [
        # The policy's due for Step 1 is the end of Tue 16 May.
        pytest.param(
            "shorter",
            "2023-05-09 11:00",
            "2023-05-12 17:00",
            exactly("2023-05-12 17:00"),
            id="shorter-earlier",
        ),
        pytest.param(
            "shorter",
            "2023-05-09 11:00",
            "2023-05-19 17:00",
            end_of("2023-05-16"),
            id="shorter-later",
        ),
        pytest.param(
            "replaces",
            "2023-05-09 11:00",
            "2023-05-19 17:00",
            exactly("2023-05-19 17:00"),
            id="replaces-before-due",
        ),
        pytest.param(
            "replaces",
            "2023-05-09 11:00",
            "2023-05-12 17:00",
            exactly("2023-05-12 17:00"),
            id="replaces-earlier",
        ),
        pytest.param(
            "replaces",
            "2023-05-17 09:00",
            "2023-05-19 17:00",
            end_of("2023-05-16"),
            id="replaces-after-due-passed",
        ),
        pytest.param(
            "ignored",
            "2023-05-09 11:00",
            "2023-05-12 17:00",
            end_of("2023-05-16"),
            id="ignored",
        ),
    ],
)
def test_agreed_timescales(mode: str, agreed_at: str, agreed_due: str, expected: Deadline) -> None:
    policy = with_policy(agreed_timescales=AgreedTimescales(mode))
    events = [*MAY, ev("timescale_agreed", "t1", agreed_at, stage="step-1", due=at(agreed_due))]
    evaluation = run(events, "2023-05-18 12:00", policy)
    assert evaluation.timeline[1].due == expected
    late = expected.at <= moment("2023-05-18 12:00")
    assert ("stage:step-1" in breaches(evaluation)) is late


def test_agreed_due_missed_on_the_same_day() -> None:
    events = [
        *MAY,
        ev(
            "timescale_agreed", "t1", "2023-05-09 11:00", stage="step-1", due=at("2023-05-12 17:00")
        ),
    ]
    evaluation = run(events, "2023-05-12 18:00")
    assert {b.id: b.late for b in evaluation.breaches}["stage:step-1"] == Lateness(
        0, timedelta(hours=1)
    )


@pytest.mark.parametrize("mode", ["shorter", "replaces"])
def test_second_agreement_cannot_remove_a_breach(mode: str) -> None:
    policy = with_policy(agreed_timescales=AgreedTimescales(mode))
    first = ev(
        "timescale_agreed", "t1", "2023-05-09 10:30", stage="step-1", due=at("2023-05-11 12:00")
    )
    # Agreed after the first agreed due had passed.
    second = ev(
        "timescale_agreed", "t2", "2023-05-11 15:00", stage="step-1", due=at("2023-05-15 12:00")
    )
    events = [*MAY, first, second]
    for as_of in ("2023-05-11 14:00", "2023-05-12 10:00"):
        evaluation = run(events, as_of, policy)
        assert breaches(evaluation)["stage:step-1"][0] == exactly("2023-05-11 12:00")


def test_second_agreement_before_the_first_due_replaces_it() -> None:
    policy = with_policy(agreed_timescales=AgreedTimescales.REPLACES)
    events = [
        *MAY,
        ev(
            "timescale_agreed", "t1", "2023-05-09 10:30", stage="step-1", due=at("2023-05-11 12:00")
        ),
        ev(
            "timescale_agreed", "t2", "2023-05-11 10:00", stage="step-1", due=at("2023-05-15 12:00")
        ),
    ]
    evaluation = run(events, "2023-05-12 10:00", policy)
    assert evaluation.timeline[1].due == exactly("2023-05-15 12:00")
    assert "stage:step-1" not in breaches(evaluation)
    # Under "shorter", the sooner agreement stands.
    assert run(events, "2023-05-12 10:00").timeline[1].due == exactly("2023-05-11 12:00")


# -- fallbacks --------------------------------------------------------------


def _receiving_manager(absences: list[dict[str, Any]], as_of: str = "2023-05-11 12:00") -> Any:
    evaluation = run([*MAY, *absences], as_of)
    return evaluation, evaluation.action("stage:step-1").who


@pytest.mark.parametrize(
    ("absences", "expected"),
    [
        pytest.param([], ("line-manager", None, True), id="present"),
        pytest.param(
            [absent("a1", "receiving", "line-manager", "2023-05-10", "2023-05-12")],
            ("deputy-manager", "manager-away", True),
            id="deputy",
        ),
        pytest.param(
            [
                absent("a1", "receiving", "line-manager", "2023-05-10", "2023-05-12"),
                absent("a2", "receiving", "deputy-manager", "2023-05-11", "2023-05-11"),
            ],
            ("head-of-service", "manager-away", True),
            id="head-of-service",
        ),
        pytest.param(
            [
                absent("a1", "receiving", "line-manager", "2023-05-10", "2023-05-12"),
                absent("a2", "receiving", "deputy-manager", "2023-05-11", "2023-05-11"),
                absent("a3", "each", "head-of-service", "2023-05-01", "2023-05-31"),
            ],
            ("line-manager", None, False),
            id="no-one",
        ),
        pytest.param(
            [absent("a1", "receiving", "line-manager", "2023-05-01", "2023-05-10")],
            ("line-manager", None, True),
            id="back-the-day-after",
        ),
        pytest.param(
            [absent("a1", "receiving", "line-manager", "2023-05-12", "2023-05-20")],
            ("line-manager", None, True),
            id="away-from-tomorrow",
        ),
        pytest.param(
            [absent("a1", "receiving", "line-manager", "2023-05-11", "2023-05-11")],
            ("deputy-manager", "manager-away", True),
            id="away-one-day",
        ),
        pytest.param(
            [absent("a1", "raising", "line-manager", "2023-05-10", "2023-05-12")],
            ("line-manager", None, True),
            id="other-side-away",
        ),
        pytest.param(
            [absent("a1", "receiving", "deputy-manager", "2023-05-10", "2023-05-12")],
            ("line-manager", None, True),
            id="substitute-away",
        ),
    ],
)
def test_absence_fallback_chain(
    absences: list[dict[str, Any]], expected: tuple[str, str | None, bool]
) -> None:
    evaluation, who = _receiving_manager(absences)
    receiving = who[1]
    assert receiving.side is Side.RECEIVING
    assert (receiving.role, receiving.fallback, receiving.available) == expected
    if expected[1] is not None:
        assert receiving.instead_of == "Line manager"
        assert "standing in for the Line manager" in str(receiving)
    no_one = [w for w in evaluation.warnings if w.code == "no_one_available"]
    assert bool(no_one) is (not expected[2])
    if no_one:
        assert no_one[0].message == (
            "the Line manager (receiving side) is absent on 2023-05-11 and the policy "
            "names no one available to stand in"
        )
        assert "[absent: no one else is named]" in str(receiving)


def test_absence_on_each_side_substitutes_both() -> None:
    _, who = _receiving_manager([absent("a1", "each", "line-manager", "2023-05-11", "2023-05-11")])
    assert [(a.side, a.role, a.agency) for a in who] == [
        (Side.RAISING, "deputy-manager", SCHOOL),
        (Side.RECEIVING, "deputy-manager", CSC),
    ]


def test_absence_is_judged_on_the_local_day_of_as_of() -> None:
    absence = [absent("a1", "receiving", "line-manager", "2023-05-10", "2023-05-10")]
    events = [*MAY[:3], *absence]
    # 23:30 UTC on Tue 9 May is 00:30 on Wed 10 May in London.
    evaluation = evaluate(
        POLICY, history(events), datetime.fromisoformat("2023-05-09T23:30:00+00:00")
    )
    assert evaluation.action("stage:step-1").who[1].role == "deputy-manager"
    evaluation = evaluate(
        POLICY, history(events), datetime.fromisoformat("2023-05-09T22:30:00+00:00")
    )
    assert evaluation.action("stage:step-1").who[1].role == "line-manager"


def test_fallbacks_apply_to_escalation_and_duty_addressees() -> None:
    events = [*MAY[:3], absent("a1", "raising", "practitioner", "2023-05-09", "2023-05-09")]
    evaluation = run(events, "2023-05-09 12:00")
    # The practitioner fallback is for the receiving side at the first stage only.
    assert evaluation.action("escalate:practitioners").who == (
        person("practitioner", "Practitioner", Side.RAISING, SCHOOL, available=False),
    )
    assert warnings(evaluation) == [("no_one_available", None)]


def test_practitioner_fallback_only_at_its_stage_and_side() -> None:
    events = [
        concern("2023-05-04 10:00"),
        absent("a1", "receiving", "practitioner", "2023-05-04", "2023-05-05"),
    ]
    evaluation = run(events, "2023-05-04 12:00")
    assert evaluation.action("stage:practitioners").who == (
        person("practitioner", "Practitioner", Side.RAISING, SCHOOL),
        person(
            "line-manager",
            "Line manager",
            Side.RECEIVING,
            CSC,
            instead_of="Practitioner",
            fallback="practitioner-away",
        ),
    )
    # The case-level recording duty is not at a stage the fallback covers.
    assert evaluation.action("duty:record-concern@case:receiving").who == (
        person("practitioner", "Practitioner", Side.RECEIVING, CSC, available=False),
    )


@pytest.mark.parametrize(
    ("sector", "stage_events", "expected"),
    [
        pytest.param(
            "school", MAY[2:], ["support:dsl-is-line-manager-school:raising"], id="school"
        ),
        pytest.param(
            "general-practice", MAY[2:], ["support:dsl-is-line-manager-gp:raising"], id="gp"
        ),
        pytest.param("social-care", MAY[2:], [], id="other-sector"),
        pytest.param("school", [], [], id="stage-not-covered"),
        pytest.param(
            "school",
            [*MAY[2:], held("d2", "2023-05-11 10:00", "step-1", "resolved")],
            [],
            id="case-closed",
        ),
    ],
)
def test_roles_combined_support(
    sector: str, stage_events: list[dict[str, Any]], expected: list[str]
) -> None:
    events = [
        concern("2023-05-04 10:00", raising=RAISING | {"sector": sector}),
        ev(
            "roles_combined",
            "rc",
            "2023-05-04 11:00",
            side="raising",
            roles=["line-manager", "dsl"],
        ),
        *stage_events,
    ]
    evaluation = run(events, "2023-05-11 12:00")
    support = [a for a in evaluation.actions if a.kind == "support"]
    assert [a.id for a in support] == expected
    if expected:
        assert support[0].due is None
        assert support[0].who == (
            person("line-manager", "Line manager", Side.RAISING, RAISING["agency"]),
        )
        name = "Safeguarding Children in Education team" if sector == "school" else "Named doctor"
        assert support[0].what == f"Seek support from the {name}"
        assert support[0].why.clause == "pc-dsl-is-lm"


def test_roles_combined_needs_both_roles_on_the_same_side() -> None:
    events = [
        *MAY,
        # A roles_combined event names at least two roles (the schema's minItems).
        ev(
            "roles_combined",
            "rc1",
            "2023-05-04 11:00",
            side="raising",
            roles=["line-manager", "practitioner"],
        ),
        ev(
            "roles_combined",
            "rc2",
            "2023-05-04 11:00",
            side="receiving",
            roles=["dsl", "practitioner"],
        ),
    ]
    assert not any(a.kind == "support" for a in run(events, "2023-05-11 12:00").actions)
    events.append(
        ev(
            "roles_combined",
            "rc3",
            "2023-05-05 11:00",
            side="raising",
            roles=["dsl", "practitioner"],
        )
    )
    assert "support:dsl-is-line-manager-school:raising" in ids(run(events, "2023-05-11 12:00"))


# -- properties over generated histories ------------------------------------

STAGES = ["practitioners", "step-1", "step-2", "step-3"]
START = moment("2023-05-04 10:00")


def _when(hours: int) -> str:
    return (START + timedelta(hours=hours)).isoformat()


@st.composite
def _event(draw: st.DrawFn, number: int) -> dict[str, Any]:
    hours = draw(st.integers(-6, 30 * 24))
    base = {"id": f"e{number}", "at": _when(hours)}
    kind = draw(
        st.sampled_from(
            [
                "discussion_held",
                "discussion_held",
                "escalated",
                "risk_assessed",
                "record_made",
                "role_holder_absent",
                "contact_made",
                "meeting_held",
                "outcome_communicated",
                "case_closed",
            ]
        )
    )
    stage = draw(st.sampled_from(STAGES))
    fields: dict[str, Any] = {
        "discussion_held": {
            "stage": stage,
            "outcome": draw(st.sampled_from(["unresolved", "unresolved", "resolved", "withdrawn"])),
        },
        "escalated": {"to_stage": stage},
        "risk_assessed": {"level": draw(st.sampled_from(["low", "significant-harm"]))},
        "record_made": {
            "record": draw(
                st.sampled_from(["childs_record", "agency_record", "partnership_record"])
            ),
            "side": draw(st.sampled_from(["raising", "receiving", "each"])),
        },
        "contact_made": {"purpose": "front-door"},
        "meeting_held": {"meeting": "resolution"},
        "outcome_communicated": {"to": "workers"},
        "case_closed": {"reason": draw(st.sampled_from(["resolved", "withdrawn", "other"]))},
    }.get(kind, {})
    if draw(st.integers(0, 6)) == 0:  # now and then, a timescale agreed for a stage
        due = START + timedelta(hours=hours + draw(st.integers(1, 200)))
        return {"kind": "timescale_agreed", **base, "stage": stage, "due": due.isoformat()}
    if kind == "role_holder_absent":
        first = (START + timedelta(days=draw(st.integers(0, 30)))).date()
        fields = {
            "side": draw(st.sampled_from(["raising", "receiving", "each"])),
            "role": draw(
                st.sampled_from(["practitioner", "line-manager", "deputy-manager", "dsl"])
            ),
            "start": first.isoformat(),
            "end": (first + timedelta(days=draw(st.integers(0, 5)))).isoformat(),
        }
    return {"kind": kind, **base, **fields}


@st.composite
def _histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(0, 10))
    nature = draw(st.sampled_from(["case", "case", "case", "systemic"]))
    first = concern("2023-05-04 10:00", nature=nature)
    return [first, *(draw(_event(i)) for i in range(count))]


_MODES = st.sampled_from([with_policy(agreed_timescales=mode) for mode in AgreedTimescales])


AS_OF_HOURS = [0, 20, 50, 130, 300, 800]


@given(_histories(), _MODES)
def test_breaches_are_monotone(events: list[dict[str, Any]], policy: Policy) -> None:
    h = history(events)
    previous: dict[str, Deadline] = {}
    for hours in AS_OF_HOURS:
        evaluation = evaluate(policy, h, START + timedelta(hours=hours))
        now = {b.id: b.due for b in evaluation.breaches}
        assert previous.items() <= now.items()
        previous = now


@given(_histories(), st.randoms(use_true_random=False))
def test_generated_histories_do_not_depend_on_file_order(
    events: list[dict[str, Any]], rnd: random.Random
) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    as_of = START + timedelta(hours=300)
    assert evaluate(POLICY, history(shuffled), as_of) == evaluate(POLICY, history(events), as_of)


@given(_histories(), st.sampled_from(AS_OF_HOURS))
def test_generated_evaluations_are_consistent(events: list[dict[str, Any]], hours: int) -> None:
    h = history(events)
    as_of = START + timedelta(hours=hours)
    evaluation = evaluate(POLICY, h, as_of)
    # No action names, as available, someone recorded as away on the day of as_of.
    day = POLICY.working_calendar().local_date(as_of)
    away = [
        e
        for e in h.events
        if e.kind == "role_holder_absent" and e.at <= as_of and e.start <= day <= e.end
    ]
    for action in evaluation.actions:
        for who in action.who:
            if not who.available:
                continue
            assert not any(a.role == who.role and a.side in (who.side, Side.EACH) for a in away), (
                action.id,
                who,
            )
    action_ids = ids(evaluation)
    assert len(action_ids) == len(set(action_ids))
    for action in evaluation.actions:
        if action.kind == "duty":
            assert action.id.startswith("duty:")
        else:
            assert action.id.split(":")[0] == {"stage": "stage", "escalation": "escalate"}.get(
                action.kind, action.kind
            )
    # Every breach was due before as_of, and done late or not at all.
    for breach in evaluation.breaches:
        assert breach.due.at <= evaluation.as_of
        assert breach.done_at is None or breach.done_at >= breach.due.at
    if evaluation.status is Status.OPEN:
        assert evaluation.stage is not None
        assert evaluation.timeline[-1].stage == evaluation.stage
    assert all(r.outcome in (None, *Outcome) for r in evaluation.timeline)


def test_events_built_in_a_named_zone_keep_their_order_in_the_repeated_hour() -> None:
    # 26 October 2025: clocks go back at 02:00 BST, so 01:10 GMT (fold=1) is 40 minutes
    # after 01:30 BST (fold=0), though its wall clock reads earlier. Compared as ZoneInfo
    # datetimes the discussion would come before the concern (PEP 495); the engine
    # restates times with fixed offsets, so it does not.
    loaded = history(
        [concern("2025-10-24 10:00"), held("d1", "2025-10-24 11:00", "step-1", "resolved")]
    )
    raised = datetime(2025, 10, 26, 1, 30, tzinfo=LONDON)
    discussed = datetime(2025, 10, 26, 1, 10, fold=1, tzinfo=LONDON)
    events = (
        attrs.evolve(loaded.events[0], at=raised),
        attrs.evolve(loaded.events[1], at=discussed),
    )
    result = evaluate(POLICY, attrs.evolve(loaded, events=events), moment("2025-10-27 09:00"))
    assert result.warnings == ()
    assert result.status is Status.RESOLVED
    assert result.timeline[-1].concluded_at is not None
    assert result.timeline[-1].concluded_at.timestamp() == discussed.timestamp()


def test_a_later_escalation_record_does_not_undo_an_earlier_discussion() -> None:
    # Issue 16 (7): Step 2 ends unresolved on Wed 10 May, so referring on to Step 3
    # is due by the end of Fri 12; Step 3 meets on Thu 11 (that is the referral),
    # and the escalation is recorded only on Wed 17. The duty was done on the 11th.
    events = [
        concern("2023-05-04 10:00"),
        held("d1", "2023-05-05 10:00", "practitioners", "unresolved"),
        held("d2", "2023-05-09 10:00", "step-1", "unresolved"),
        held("d3", "2023-05-10 10:00", "step-2", "unresolved"),
        held("d4", "2023-05-11 10:00", "step-3", "unresolved"),
        escalated("x1", "2023-05-17 10:00", "step-3"),
    ]
    without = run(events[:-1], "2023-05-18 12:00")
    with_record = run(events, "2023-05-18 12:00")
    assert "escalate:step-2" not in breaches(without)
    assert "escalate:step-2" not in breaches(with_record)
    assert "escalate:step-2" not in ids(with_record)


@pytest.mark.parametrize(
    ("done", "late"),
    [
        pytest.param("2023-05-05 00:00", False, id="at-the-day-deadline-instant"),
        pytest.param("2023-05-05 00:01", True, id="a-minute-after-the-day-deadline"),
    ],
)
def test_the_engine_and_lateness_agree_at_a_day_deadline_instant(done: str, late: bool) -> None:
    # Issue 16 (8): recording the concern is due 1 working day after Wed 3 May:
    # by the end of Thu 4 May, whose instant is the midnight starting Fri 5 May.
    events = [concern("2023-05-03 10:00"), recorded("r1", done, "childs_record", side="each")]
    evaluation = run(events, "2023-05-09 12:00")
    found = breaches(evaluation)
    due = found.get("duty:record-concern@case:raising")
    assert (due is not None) == late


# -- issue 16 (11): what an urgency rule leaves behind -------------------------

HARM = [concern("2023-05-04 10:00"), risk("k1", "2023-05-04 10:30", "significant-harm")]
FRONT_DOOR = "urgent:significant-harm:front-door"


def test_the_front_door_call_is_required_while_the_case_is_open_and_at_risk() -> None:
    evaluation = run(HARM, "2023-05-04 12:00")
    assert evaluation.urgent
    assert FRONT_DOOR in ids(evaluation)


def test_a_front_door_call_made_discharges_the_immediate_action() -> None:
    events = [*HARM, ev("contact_made", "f1", "2023-05-04 10:45", purpose="front-door")]
    assert FRONT_DOOR not in ids(run(events, "2023-05-04 12:00"))


def test_a_resolved_case_no_longer_demands_the_front_door_call() -> None:
    events = [*HARM, held("d1", "2023-05-04 11:00", "practitioners", "resolved")]
    evaluation = run(events, "2023-05-04 12:00")
    assert evaluation.status is Status.RESOLVED
    assert FRONT_DOOR not in ids(evaluation)
    assert FRONT_DOOR not in breaches(evaluation)
    assert not evaluation.urgent


def test_a_lower_risk_reassessed_ends_the_front_door_call() -> None:
    events = [*HARM, risk("k2", "2023-05-04 11:00", "low")]
    evaluation = run(events, "2023-05-04 12:00")
    assert FRONT_DOOR not in ids(evaluation)
    assert not evaluation.urgent
    # Back at significant harm: required again, as a second activation.
    again = run([*events, risk("k3", "2023-05-04 11:30", "significant-harm")], "2023-05-04 12:00")
    assert ids(again).count(f"{FRONT_DOOR}#2") == 1
    assert FRONT_DOOR not in ids(again)


def test_a_matter_out_of_scope_keeps_the_front_door_call() -> None:
    events = [
        concern("2023-05-04 10:00", nature="complaint"),
        risk("k1", "2023-05-04 10:30", "significant-harm"),
    ]
    evaluation = run(events, "2023-05-04 12:00")
    assert evaluation.status is Status.NOT_APPLICABLE
    assert FRONT_DOOR in ids(evaluation)


@pytest.mark.parametrize(
    ("position", "wrong", "named"),
    [
        (0, "hips", "policy must be a Policy"),
        (1, {"reference": "R"}, "history must be a CaseHistory"),
        (2, "2026-06-22T09:00:00+01:00", "as_of must be a datetime"),
    ],
)
def test_an_argument_of_the_wrong_type_is_a_library_error_and_a_type_error(
    position: int, wrong: object, named: str
) -> None:
    from challenge_rules import WrongArgument, load_history, shipped_policy  # noqa: PLC0415

    arguments: list[object] = [
        shipped_policy("pan-cheshire"),
        load_history("examples/cases/pan-cheshire-step1-overdue.json"),
        datetime.fromisoformat("2026-06-22T09:00:00+01:00"),
    ]
    arguments[position] = wrong
    with pytest.raises(WrongArgument, match=named) as caught:
        evaluate(*arguments)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)


def test_a_concern_after_as_of_is_located_at_its_time() -> None:
    from challenge_rules import load_history, shipped_policy  # noqa: PLC0415

    history = load_history("examples/cases/pan-cheshire-step1-overdue.json")
    with pytest.raises(InvalidHistory) as caught:
        evaluate(
            shipped_policy("pan-cheshire"),
            history,
            datetime.fromisoformat("2020-01-01T09:00:00+00:00"),
        )
    (problem,) = caught.value.problems
    assert problem.pointer == "/events/0/at"
    assert problem.event == history.events[0].id
