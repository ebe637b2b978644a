"""Structural shapes of issue 15: each construct through the schema, the checks and the engine.

The scenario file ``tests/policies/structure.scenarios.json`` is the worked
example (a duty that lapses with its stage, duties addressed to whoever takes
part in the stage); the tests here add what a scenario file cannot say: the
messages for a policy that gets them wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from challenge_rules._history_checks import check_history
from challenge_rules._semantic import check_policy_semantics
from challenge_rules.diagram import mermaid
from challenge_rules.errors import InvalidHistory, InvalidPolicy
from challenge_rules.loading import load_history, load_policy, policy_problems
from challenge_rules.policy import Actor, Addressed, Lapse, Trigger, TriggerKind
from challenge_rules.render import render
from challenge_rules.scenarios import run_file

POLICIES = Path(__file__).parent / "policies"
STRUCTURE = load_policy(POLICIES / "structure.json")


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
