"""Structural shapes of issue 15: each construct through the schema, the checks and the engine.

The scenario file ``tests/policies/structure.scenarios.json`` is the worked
example (a duty that lapses with its stage, duties addressed to whoever takes
part in the stage); the tests here add what a scenario file cannot say: the
messages for a policy that gets them wrong.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from challenge_rules import evaluate
from challenge_rules._history_checks import check_history
from challenge_rules._plan import plan_for
from challenge_rules._replay import assessed_during, replay
from challenge_rules._semantic import check_policy_semantics
from challenge_rules.diagram import mermaid
from challenge_rules.errors import InvalidHistory, InvalidPolicy
from challenge_rules.evaluation import Status
from challenge_rules.history import Outcome
from challenge_rules.loading import load_history, load_policy, policy_problems
from challenge_rules.policy import (
    Actor,
    Addressed,
    Anchor,
    Lapse,
    RiskLevel,
    Trigger,
    TriggerKind,
)
from challenge_rules.render import render
from challenge_rules.report import render_text, to_json
from challenge_rules.scenarios import run_file

POLICIES = Path(__file__).parent / "policies"
STRUCTURE = load_policy(POLICIES / "structure.json")
AS_OF = datetime(2026, 6, 3, 9, tzinfo=UTC)


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((POLICIES / "structure.json").read_text("utf-8"))
    return loaded


def problems_of(changed: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(p.pointer, p.message, p.hint) for p in policy_problems(changed)]


def test_the_structure_scenarios_pass_and_cover_every_rule_clause() -> None:
    result = run_file(POLICIES / "structure.scenarios.json")
    assert [d for outcome in result.outcomes for d in outcome.differences] == []
    assert result.uncovered == ()


def test_the_structure_policy_has_no_problems() -> None:
    assert policy_problems(document()) == ()


def test_the_model_reads_lapses_and_addressed_to() -> None:
    meeting = STRUCTURE.duties[0]
    assert meeting.lapses is Lapse.STAGE_CONCLUDED
    assert meeting.addressed_to is Addressed.STAGE_PARTICIPANTS
    assert meeting.who is None
    assert meeting.belongs_to_stage


# --- whom a duty falls on ----------------------------------------------------------------


def test_a_duty_with_both_who_and_addressed_to_is_located() -> None:
    changed = document()
    changed["duties"][0]["who"] = {"role": "manager", "side": "raising"}
    (problem,) = policy_problems(changed)
    assert problem.pointer == "/duties/0/who"
    assert problem.expected == "one of: null when addressed_to is stage_participants"


def test_a_duty_with_neither_who_nor_addressed_to_is_located() -> None:
    changed = document()
    del changed["duties"][0]["addressed_to"]
    ((pointer, message, _),) = problems_of(changed)
    assert pointer == "/duties/0"
    assert '"who"' in message


@pytest.mark.parametrize("both", [True, False])
def test_the_model_refuses_a_duty_without_exactly_one_addressee(both: bool) -> None:
    meeting = STRUCTURE.duties[0]
    with pytest.raises(InvalidPolicy, match='exactly one of "who" and "addressed_to"'):
        attrs.evolve(
            meeting,
            who=Actor("manager") if both else None,
            addressed_to=meeting.addressed_to if both else None,
        )


# --- duties that lapse -------------------------------------------------------------------


@pytest.mark.parametrize("on", ["stage_concluded", "stage_resolved", "stage_unresolved"])
def test_a_duty_cannot_lapse_with_the_stage_whose_conclusion_triggers_it(on: str) -> None:
    changed = document()
    changed["duties"][0]["trigger"]["on"] = on
    ((pointer, message, hint),) = problems_of(changed)
    assert pointer == "/duties/0/lapses"
    assert "only becomes due then" in message
    assert hint == 'remove "lapses", or trigger the duty "on": "stage_entered"'


def test_a_duty_open_with_its_stage_may_lapse() -> None:
    meeting = attrs.evolve(STRUCTURE.duties[0], trigger=Trigger(TriggerKind.STAGE_ENTERED))
    policy = attrs.evolve(STRUCTURE, duties=(meeting,))
    assert [p for p in check_policy_semantics(policy) if p.severity == "error"] == []


def test_an_unknown_lapse_is_located_with_the_allowed_value() -> None:
    changed = document()
    changed["duties"][0]["lapses"] = "stage-concluded"
    ((pointer, _, hint),) = problems_of(changed)
    assert pointer == "/duties/0/lapses"
    assert hint == 'did you mean "stage_concluded"?'


# --- timed steps inside a stage ----------------------------------------------------------


def _steps(changed: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = changed["stages"][2]["steps"]
    return steps


def test_the_model_reads_the_steps_of_a_stage() -> None:
    stage = STRUCTURE.stage("step-3")
    assert [s.id for s in stage.steps] == ["discuss", "meeting"]
    assert stage.steps[1].done_by is not None
    assert stage.steps[1].done_by.kind == "meeting_held"


def test_a_step_following_an_unknown_step_is_located_with_a_suggestion() -> None:
    changed = document()
    _steps(changed)[1]["after"] = "discus"
    assert problems_of(changed) == [
        (
            "/stages/2/steps/1/after",
            'step "meeting" follows "discus", no step of stage "step-3"',
            'did you mean "discuss"?',
        )
    ]


def test_a_step_cannot_follow_a_later_step() -> None:
    changed = document()
    _steps(changed)[0]["after"] = "meeting"
    ((pointer, message, hint),) = problems_of(changed)
    assert pointer == "/stages/2/steps/0/after"
    assert message == 'step "discuss" follows "meeting", a later step of stage "step-3"'
    assert hint == 'remove "after"'


def test_two_steps_of_a_stage_need_their_own_ids() -> None:
    changed = document()
    _steps(changed)[1]["id"] = "discuss"
    ((pointer, message, _),) = problems_of(changed)
    assert pointer == "/stages/2/steps/1/id"
    assert message == 'duplicate step id "discuss"'


def test_a_step_done_by_an_impossible_event_is_located() -> None:
    changed = document()
    _steps(changed)[1]["done_by"] = {"kind": "meeting_held", "where": {"meeting": "lunch"}}
    ((pointer, _, _),) = problems_of(changed)
    assert pointer == "/stages/2/steps/1/done_by/where/meeting"


def test_a_step_timescale_is_bounded() -> None:
    changed = document()
    _steps(changed)[0]["timescale"] = {"unit": "months", "amount": 1201}
    ((pointer, _, _),) = problems_of(changed)
    assert pointer == "/stages/2/steps/0/timescale/amount"


def _history(*events: dict[str, Any]) -> dict[str, Any]:
    concern = {
        "kind": "concern_raised",
        "id": "e1",
        "at": "2026-06-01T10:00:00+01:00",
        "raising": {"role": "practitioner", "agency": "School"},
        "receiving": {"role": "practitioner", "agency": "Social care"},
    }
    return {"policy": "structure", "reference": "case-1", "events": [concern, *events]}


@pytest.mark.parametrize(
    ("stage", "step", "message"),
    [
        ("step-3", "discus", "unknown step of 'step-3' 'discus'"),
        ("step-2", "discuss", "stage 'step-2' has no steps"),
    ],
)
def test_a_history_naming_a_step_the_stage_does_not_have_is_located(
    stage: str, step: str, message: str
) -> None:
    event = {"kind": "step_done", "id": "e2", "at": "2026-06-02T10:00:00+01:00"}
    history = load_history(_history({**event, "stage": stage, "step": step}))
    with pytest.raises(InvalidHistory) as raised:
        check_history(STRUCTURE, history)
    (problem,) = raised.value.problems
    assert problem.pointer == "/events/1/step"
    assert problem.message == message


def test_the_sign_off_document_and_the_diagram_state_the_steps_and_duties_of_a_stage() -> None:
    text = render(STRUCTURE, "md")
    assert (
        "In steps: first (discuss), within 5 working days from the start of the stage: "
        "Discuss the matter with the other head of service; then (meeting), within 5 working "
        "days of step discuss being done: Convene a meeting to resolve the matter." in text
    )
    assert "whoever takes part in the stage must" in text
    assert "It is no longer required once the stage concludes." in text
    drawn = mermaid(STRUCTURE)
    assert "Steps: discuss (5 working days), then meeting (5 working days)" in drawn


# --- routes chosen by urgency or case facts ----------------------------------------------


def _routes(changed: dict[str, Any]) -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = changed["stages"][1]["routes"]
    return routes


def test_routes_without_a_default_are_located_with_a_hint() -> None:
    changed = document()
    del _routes(changed)[1]
    assert problems_of(changed) == [
        (
            "/stages/1/routes",
            'stage "step-2" has routes but no default route',
            'add {"id": "otherwise", "clause": ...} as the last route',
        )
    ]


def test_a_default_route_before_others_is_located() -> None:
    changed = document()
    _routes(changed).reverse()
    ((pointer, message, _),) = problems_of(changed)
    assert pointer == "/stages/1/routes/0/when"
    assert message == (
        'route "otherwise" is the default, so the routes after it never apply: urgent'
    )


def test_a_route_naming_an_unknown_risk_level_is_located() -> None:
    changed = document()
    _routes(changed)[0]["when"] = {"risks": ["significant_harm"]}
    ((pointer, _, hint),) = problems_of(changed)
    assert pointer == "/stages/1/routes/0/when/risks/0"
    assert hint == 'did you mean "significant-harm"?'


def test_a_route_condition_names_at_least_one_fact() -> None:
    changed = document()
    _routes(changed)[0]["when"] = {}
    ((pointer, _, _),) = problems_of(changed)
    assert pointer == "/stages/1/routes/0/when"


def test_a_route_by_nature_is_taken_for_concerns_of_that_nature() -> None:
    urgent, otherwise = STRUCTURE.stage("step-2").routes
    by_nature = attrs.evolve(
        urgent, when=attrs.evolve(urgent.when, risks=(), natures=("iro_dispute",))
    )
    stages = list(STRUCTURE.stages)
    stages[1] = attrs.evolve(stages[1], routes=(by_nature, otherwise))
    policy = attrs.evolve(STRUCTURE, stages=tuple(stages))
    events = [
        {"kind": "discussion_held", "id": "e2", "at": "2026-06-02T10:00:00+01:00",
         "stage": "step-1", "outcome": "unresolved"},
    ]  # fmt: skip
    for nature, due in (("iro_dispute", "2026-06-03"), (None, "2026-06-16")):
        document = _history(*events)
        if nature is not None:
            document["events"][0]["nature"] = nature
        result = evaluate(policy, load_history(document), as_of=AS_OF)
        (stage,) = [a for a in result.actions if a.id == "stage:step-2"]
        assert stage.due is not None
        assert stage.due.day is not None
        assert stage.due.day.isoformat() == due


@given(
    levels=st.lists(st.sampled_from(["low", "high", None]), min_size=0, max_size=6),
    start=st.integers(0, 7),
    length=st.one_of(st.none(), st.integers(1, 7)),
)
def test_a_risk_route_holds_exactly_when_the_level_was_in_force_in_the_span(
    levels: list[str | None], start: int, length: int | None
) -> None:
    # Risk assessed at hour 1, 2, ... (None: no assessment that hour); a brute-force check.
    hour = timedelta(hours=1)
    base = datetime(2026, 6, 1, 9, tzinfo=UTC)
    events = [
        {"kind": "risk_assessed", "id": f"r{n}", "at": (base + (n + 1) * hour).isoformat(),
         "level": level}
        for n, level in enumerate(levels)
        if level is not None
    ]  # fmt: skip
    policy = attrs.evolve(
        STRUCTURE, risk_levels=(RiskLevel("low", "Low"), RiskLevel("high", "High"))
    )
    history = load_history({**_history(*events), "events": [_concern_at(base), *events]})
    case = replay(plan_for(policy), history, history.events[0], base + 24 * hour)  # type: ignore[arg-type]
    since = base + start * hour
    until = None if length is None else since + length * hour
    expected = any(
        _level_at(levels, moment) == "high"
        for moment in range(start, 24 if length is None else start + length)
    )
    assert assessed_during(case, ("high",), since, until) is expected


def _concern_at(at: datetime) -> dict[str, Any]:
    concern = dict(_history()["events"][0])
    concern["at"] = at.isoformat()
    return concern


def _level_at(levels: list[str | None], hour: int) -> str | None:
    """The level in force at ``hour`` (the last assessed at or before it)."""
    found = None
    for n, level in enumerate(levels):
        if n + 1 <= hour and level is not None:
            found = level
    return found


# --- closing without agreement (a discretionary top stage) -------------------------------

_UNRESOLVED_AT_STEP_1 = {
    "kind": "discussion_held",
    "id": "e2",
    "at": "2026-06-02T10:00:00+01:00",
    "stage": "step-1",
    "outcome": "unresolved",
}


def _closed_without_agreement(stage: str) -> dict[str, Any]:
    return {
        "kind": "discussion_held",
        "id": "e3",
        "at": "2026-06-05T10:00:00+01:00",
        "stage": stage,
        "outcome": "closed_without_agreement",
    }


def test_a_case_closed_without_agreement_says_so_in_the_status_timeline_and_report() -> None:
    history = load_history(_history(_UNRESOLVED_AT_STEP_1, _closed_without_agreement("step-2")))
    result = evaluate(STRUCTURE, history, as_of=datetime(2026, 6, 8, 9, tzinfo=UTC))
    assert result.status is Status.CLOSED_WITHOUT_AGREEMENT
    assert [(t.stage, t.outcome) for t in result.timeline][-1] == (
        "step-2",
        Outcome.CLOSED_WITHOUT_AGREEMENT,
    )
    assert not any(a.id.startswith("escalate:step-2") for a in result.actions)
    assert "closed without agreement" in render_text(result)
    assert to_json(result)["status"] == "closed_without_agreement"


def test_closing_without_agreement_where_the_policy_does_not_allow_it_is_located() -> None:
    history = load_history(_history(_UNRESOLVED_AT_STEP_1, _closed_without_agreement("step-3")))
    with pytest.raises(InvalidHistory) as raised:
        check_history(STRUCTURE, history)
    (problem,) = raised.value.problems
    assert problem.pointer == "/events/2/outcome"
    assert "does not let the parties close stage 'step-3' without agreement" in problem.message
    assert problem.expected == (
        "resolved, unresolved or withdrawn (closed_without_agreement only at step-2)"
    )


# --- an action plan agreed at resolution -------------------------------------------------

_RESOLVED_AT_STEP_1 = {**_UNRESOLVED_AT_STEP_1, "outcome": "resolved"}


def _plan_agreed(follow_up: str) -> dict[str, Any]:
    return {
        "kind": "action_plan_agreed",
        "id": "e3",
        "at": "2026-06-02T10:30:00+01:00",
        "follow_up": follow_up,
        "items": ["plan-1"],
    }


def test_a_follow_up_before_the_plan_was_agreed_is_located() -> None:
    history = load_history(_history(_RESOLVED_AT_STEP_1, _plan_agreed("2026-06-01T10:00:00+01:00")))
    with pytest.raises(InvalidHistory) as raised:
        check_history(STRUCTURE, history)
    (problem,) = raised.value.problems
    assert problem.pointer == "/events/2/follow_up"
    assert problem.message == "the follow-up is not after the plan was agreed"


def test_a_policy_asking_no_review_makes_no_review_due() -> None:
    history = load_history(_history(_RESOLVED_AT_STEP_1, _plan_agreed("2026-07-01T17:00:00+01:00")))
    as_of = datetime(2026, 6, 10, 9, tzinfo=UTC)
    asked = evaluate(STRUCTURE, history, as_of=as_of)
    assert [a.id for a in asked.actions if a.kind == "review"] == ["review:action-plan@step-1"]
    not_asked = evaluate(attrs.evolve(STRUCTURE, action_plan=None), history, as_of=as_of)
    assert [a for a in not_asked.actions if a.kind == "review"] == []
    assert not_asked.status is asked.status is Status.RESOLVED
    # Not silently: the plan the history records is said to be followed up by no one.
    assert [(w.code, w.event) for w in not_asked.warnings] == [("action_plan_not_tracked", "e3")]
    assert all(w.code != "action_plan_not_tracked" for w in asked.warnings)


def test_a_plan_agreed_twice_gets_two_numbered_reviews() -> None:
    again = {
        **_plan_agreed("2026-07-15T17:00:00+01:00"),
        "id": "e4",
        "at": "2026-06-03T10:00:00+01:00",
    }
    history = load_history(
        _history(_RESOLVED_AT_STEP_1, _plan_agreed("2026-07-01T17:00:00+01:00"), again)
    )
    result = evaluate(STRUCTURE, history, as_of=datetime(2026, 6, 10, 9, tzinfo=UTC))
    assert [
        (a.id, a.due.at.date().isoformat()) for a in result.actions if a.due and a.kind == "review"
    ] == [
        ("review:action-plan@step-1", "2026-07-01"),
        ("review:action-plan@step-1#2", "2026-07-15"),
    ]


@pytest.mark.parametrize(("counts_from", "due"), [(None, "2026-06-10"), ("concern", "2026-06-08")])
def test_the_first_step_counts_from_where_the_stage_clock_starts(
    counts_from: str | None, due: str
) -> None:
    stages = list(STRUCTURE.stages)
    if counts_from is not None:
        stages[2] = attrs.evolve(stages[2], counts_from=Anchor(counts_from))
    policy = attrs.evolve(STRUCTURE, stages=tuple(stages))
    unresolved_2 = {**_UNRESOLVED_AT_STEP_1, "id": "e3", "at": "2026-06-03T10:00:00+01:00"}
    history = load_history(_history(_UNRESOLVED_AT_STEP_1, {**unresolved_2, "stage": "step-2"}))
    result = evaluate(policy, history, as_of=datetime(2026, 6, 4, 9, tzinfo=UTC))
    (step,) = [a for a in result.actions if a.id == "step:step-3:discuss"]
    assert step.due is not None
    assert step.due.day is not None
    assert step.due.day.isoformat() == due


def test_steps_lapsed_duties_and_reviews_name_the_events_that_bound_them() -> None:
    # Step 3 entered by e3 (Step 2 unresolved), its discussion done late by e4 on Fri 12
    # June; the meeting duty of Step 2 lapsed when e3 concluded Step 2.
    unresolved_2 = {**_UNRESOLVED_AT_STEP_1, "id": "e3", "at": "2026-06-12T10:00:00+01:00"}
    step_done = {"kind": "step_done", "id": "e4", "at": "2026-06-22T10:00:00+01:00"}
    history = load_history(
        _history(
            _UNRESOLVED_AT_STEP_1,
            {**unresolved_2, "stage": "step-2"},
            {**step_done, "stage": "step-3", "step": "discuss"},
        )
    )
    result = evaluate(STRUCTURE, history, as_of=datetime(2026, 6, 23, 9, tzinfo=UTC))
    breaches = {b.id: b for b in result.breaches}
    meeting = breaches["duty:convene-meeting@step-2"]
    assert (meeting.started_by, meeting.ended_by) == ("e2", "e3")
    discuss = breaches["step:step-3:discuss"]
    assert (discuss.started_by, discuss.ended_by) == ("e3", "e4")
    (meeting_step,) = [a for a in result.actions if a.id == "step:step-3:meeting"]
    assert meeting_step.started_by == "e4"


@pytest.mark.parametrize(
    ("meeting_at", "done_at", "ended_by", "late"),
    [
        # Held while Step 2 was open (late): it did the duty.
        ("2026-06-11T10:00:00+01:00", "2026-06-11T10:00:00+01:00", "e5", 2),
        # Held at the very instant Step 2 concluded: still in time to do it.
        ("2026-06-12T10:00:00+01:00", "2026-06-12T10:00:00+01:00", "e5", 3),
        # Held after Step 2 concluded: the duty had lapsed first (ended by e4).
        ("2026-06-15T10:00:00+01:00", "2026-06-12T10:00:00+01:00", "e4", 3),
    ],
)
def test_a_lapsing_duty_done_after_its_stage_concluded_lapsed_first(
    meeting_at: str, done_at: str, ended_by: str, late: int
) -> None:
    # Step 2 entered Tue 2 June (meeting due by Tue 9 June), concluded unresolved by e4
    # on Fri 12 June; a meeting naming no stage held by e5.
    unresolved_2 = {**_UNRESOLVED_AT_STEP_1, "id": "e4", "at": "2026-06-12T10:00:00+01:00"}
    meeting = {"kind": "meeting_held", "id": "e5", "at": meeting_at, "meeting": "resolution"}
    history = load_history(
        _history(_UNRESOLVED_AT_STEP_1, {**unresolved_2, "stage": "step-2"}, meeting)
    )
    result = evaluate(STRUCTURE, history, as_of=datetime(2026, 6, 16, 9, tzinfo=UTC))
    (breach,) = [b for b in result.breaches if b.id == "duty:convene-meeting@step-2"]
    assert breach.done_at is not None
    assert (breach.done_at.isoformat(), breach.ended_by) == (done_at, ended_by)
    assert breach.late.working_days == late


def _urgent_route_to_heads_of_service() -> dict[str, Any]:
    """The structure policy, Step 2's urgent route taken by the heads of service, with a
    step of its own (addressed to no one in particular: the stage's participants)."""
    changed = document()
    _routes(changed)[0]["participants"] = [{"role": "head-of-service", "side": "each"}]
    changed["stages"][1]["steps"] = [
        {
            "id": "talk",
            "action": "Talk it through.",
            "timescale": {"unit": "working_days", "amount": 1},
        }
    ]
    return changed


@pytest.mark.parametrize(
    ("assessed", "who"),
    [
        (True, ["head-of-service@raising", "head-of-service@receiving"]),
        (False, ["manager@raising", "manager@receiving"]),
    ],
)
def test_whoever_takes_part_in_a_stage_is_who_takes_part_on_the_route_it_took(
    assessed: bool, who: list[str]
) -> None:
    changed = _urgent_route_to_heads_of_service()
    assert policy_problems(changed) == ()
    policy = load_policy(changed)
    risk = {"kind": "risk_assessed", "id": "e3", "at": "2026-06-02T11:00:00+01:00"}
    plan = {**_plan_agreed("2026-06-20T10:00:00+01:00"), "id": "e4", "stage": "step-2"}
    plan["at"] = "2026-06-02T11:30:00+01:00"
    events = [_UNRESOLVED_AT_STEP_1, *([{**risk, "level": "significant-harm"}] if assessed else [])]
    history = load_history(_history(*events, plan))
    result = evaluate(policy, history, as_of=datetime(2026, 6, 2, 11, 45, tzinfo=UTC))
    found = {a.id: [f"{w.role}@{w.side}" for w in a.who] for a in result.actions}
    for action in (
        "stage:step-2",
        "step:step-2:talk",
        "duty:convene-meeting@step-2",
        "duty:record@step-2",
        "review:action-plan@step-2",
    ):
        assert found[action] == who, action
    assert found["duty:record@step-1"] == ["practitioner@raising", "practitioner@receiving"]


@pytest.mark.parametrize(
    "meeting",
    [
        {"kind": "meeting_held", "meeting": "resolution"},  # the step's done_by
        {"kind": "step_done", "step": "meeting"},
    ],
)
def test_a_step_recorded_done_before_the_step_it_follows_is_done(meeting: dict[str, Any]) -> None:
    # Step 3 entered Wed 3 June; its meeting recorded on Fri 5 June, the discussion it
    # follows only on Mon 8 June: the meeting step is done, neither required nor late.
    unresolved_2 = {**_UNRESOLVED_AT_STEP_1, "id": "e3", "at": "2026-06-03T10:00:00+01:00"}
    held = {**meeting, "id": "e4", "at": "2026-06-05T10:00:00+01:00", "stage": "step-3"}
    discussed = {"kind": "step_done", "id": "e5", "at": "2026-06-08T10:00:00+01:00"}
    history = load_history(
        _history(
            _UNRESOLVED_AT_STEP_1,
            {**unresolved_2, "stage": "step-2"},
            held,
            {**discussed, "stage": "step-3", "step": "discuss"},
        )
    )
    result = evaluate(STRUCTURE, history, as_of=datetime(2026, 6, 17, 9, tzinfo=UTC))
    assert [a.id for a in result.actions if a.kind == "step"] == []
    assert [b.id for b in result.breaches] == []
