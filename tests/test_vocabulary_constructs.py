"""The vocabulary of issue 15: whom a concern is about, the events the sources require,
natures routed elsewhere, and forms whose fields the source does not list.

Driven by a test policy (``tests/policies/vocabulary/joint.json``, a fictional joint
children's and adults' protocol) and its scenario file, plus what scenarios cannot
check: contacts, wording, rendering and the validation of policies and histories.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from challenge_rules import evaluate
from challenge_rules._semantic import check_policy_semantics
from challenge_rules._wording import duty as duty_words
from challenge_rules.cli import main
from challenge_rules.converter import default_converter
from challenge_rules.errors import InvalidHistory
from challenge_rules.history import (
    EVENT_TYPES,
    Acknowledged,
    CaseHistory,
    EscalationIntended,
    Nature,
    PartnershipNotified,
)
from challenge_rules.loading import load_policy, policy_problems, shipped_policy
from challenge_rules.policy import Form, Subject
from challenge_rules.policydiff import diff
from challenge_rules.render import render
from challenge_rules.scenarios import run_file

FOLDER = Path(__file__).parent / "policies" / "vocabulary"
JOINT = load_policy(FOLDER / "joint.json")
SCENARIOS = FOLDER / "joint.scenarios.json"


def history(*events: dict[str, Any]) -> CaseHistory:
    return default_converter().structure({"reference": "c1", "events": list(events)}, CaseHistory)


def concern(subject: str | None = None, nature: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "kind": "concern_raised",
        "id": "e1",
        "at": "2026-06-01T10:00:00+01:00",
        "raising": {"role": "practitioner", "agency": "GP practice"},
        "receiving": {"role": "practitioner", "agency": "Adult social care"},
    }
    if subject is not None:
        event["subject"] = subject
    if nature is not None:
        event["nature"] = nature
    return event


AT_RISK = {"kind": "risk_assessed", "id": "e2", "at": "2026-06-01T11:00:00+01:00"}
AT_RISK["level"] = "significant_harm"
MOMENT = datetime.fromisoformat("2026-06-01T12:00:00+01:00")


def test_the_scenarios_pass(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_file(SCENARIOS)
    assert outcome.outcomes
    assert all(o.passed for o in outcome.outcomes), [o for o in outcome.outcomes if not o.passed]
    assert main(["test", str(SCENARIOS)]) == 0
    assert "0 failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("subject", "shown"),
    [
        ("child", {"Example children's front door"}),
        ("adult_at_risk", {"Example adult social care front door"}),
        (None, {"Example children's front door", "Example adult social care front door"}),
    ],
)
def test_contacts_depend_on_whom_the_concern_is_about(subject: str | None, shown: set[str]) -> None:
    result = evaluate(JOINT, history(concern(subject), AT_RISK), MOMENT)
    (urgent,) = (a for a in result.actions if a.kind == "urgent")
    assert {c.name for c in urgent.contacts} == shown


@pytest.mark.parametrize(
    ("subject", "name"), [("child", "Example LADO"), ("adult", "Example PiPoT lead")]
)
def test_a_route_elsewhere_shows_its_contacts_for_the_subject(subject: str, name: str) -> None:
    result = evaluate(JOINT, history(concern(subject, "allegation_against_professional")), MOMENT)
    assert result.status == "not_applicable"
    (redirect,) = result.actions
    assert [c.name for c in redirect.contacts] == [name]


def test_the_new_natures_are_natures() -> None:
    assert {"single_agency", "allegation_against_professional", "iro_dispute"} <= set(Nature)


def test_the_new_events_are_kinds_of_event_after_the_older_ones() -> None:
    kinds = list(EVENT_TYPES)
    start = kinds.index("acknowledged")
    assert kinds[start : start + 3] == [
        "acknowledged",
        "escalation_intended",
        "partnership_notified",
    ]
    assert start == kinds.index("redirected") + 1
    assert EVENT_TYPES["acknowledged"] is Acknowledged
    assert EVENT_TYPES["escalation_intended"] is EscalationIntended
    assert EVENT_TYPES["partnership_notified"] is PartnershipNotified


def test_a_history_naming_an_unknown_stage_or_purpose_in_a_new_event_is_refused() -> None:
    events = (
        concern("child"),
        {"kind": "escalation_intended", "id": "e2", "at": "2026-06-01T11:00:00+01:00"},
        {"kind": "partnership_notified", "id": "e3", "at": "2026-06-01T11:00:00+01:00"},
    )
    evaluate(JOINT, history(*events), MOMENT)  # every field left out: fine
    events[1]["to_stage"] = "step-9"
    events[2]["purpose"] = "board-chair"
    with pytest.raises(InvalidHistory) as raised:
        evaluate(JOINT, history(*events), MOMENT)
    assert [p.pointer for p in raised.value.problems] == [
        "/events/1/to_stage",
        "/events/2/purpose",
    ]


def test_a_concern_about_someone_the_policy_does_not_protect_is_refused() -> None:
    policy = shipped_policy("hips")  # children only
    raising = {"role": policy.roles[0].id, "agency": "GP practice"}
    event = concern("adult") | {"raising": raising, "receiving": raising}
    with pytest.raises(InvalidHistory) as raised:
        evaluate(policy, history(event), MOMENT)
    (problem,) = raised.value.problems
    assert problem.pointer == "/events/0/subject"
    assert "does not protect" in problem.message


def test_an_older_history_without_a_subject_still_evaluates() -> None:
    older = concern()
    assert evaluate(JOINT, history(older), MOMENT).status == "open"


def test_a_subject_the_policy_does_not_protect_is_a_policy_error() -> None:
    children_only = attrs.evolve(JOINT, protects=("children",))
    found = [p for p in check_policy_semantics(children_only) if p.severity == "error"]
    pointers = {p.pointer for p in found}
    assert "/duties/1/subjects/0" in pointers  # record-adult: adult
    assert "/contacts/1/subjects/1" in pointers  # the adults' front door: adult_at_risk
    assert all("not someone this policy protects" in p.message for p in found)


def test_a_form_without_fields_must_say_the_source_does_not_list_them() -> None:
    form = JOINT.forms[0]
    assert form.fields == ()
    assert not form.fields_known
    listed = attrs.evolve(JOINT, forms=(attrs.evolve(form, fields_known=True),))
    (problem,) = (p for p in check_policy_semantics(listed) if p.severity == "error")
    assert problem.pointer == "/forms/0/fields"
    assert "fields_known" in (problem.hint or "")
    assert Form(id="f", title="F", clause="tool").fields_known


def test_the_joint_policy_is_valid_with_its_one_gap() -> None:
    problems = policy_problems(FOLDER / "joint.json")
    assert [p.severity for p in problems] == ["warning"]


def test_a_duty_for_some_subjects_says_so() -> None:
    text = duty_words(JOINT, JOINT.duties[1])
    assert text.endswith("Only for a concern about an adult or an adult at risk.")
    assert Subject.ADULT_AT_RISK in JOINT.duties[1].subjects


def test_the_rendered_policy_shows_subjects_and_unlisted_fields() -> None:
    text = render(JOINT, "md")
    assert "Example LADO (for child)" in text
    assert "Recording tool** (`recording-tool`): other fields not listed in the source." in text


def test_an_exclusion_names_contacts_the_policy_has() -> None:
    conduct = JOINT.scope.exclusions[1]
    wrong = attrs.evolve(conduct, contacts=("ladoo",))
    policy = attrs.evolve(JOINT, scope=attrs.evolve(JOINT.scope, exclusions=(wrong,)))
    (problem,) = (p for p in check_policy_semantics(policy) if p.severity == "error")
    assert problem.pointer == "/scope/exclusions/0/contacts/0"
    assert problem.hint == 'did you mean "lado"?'


def test_a_change_of_subjects_is_said_in_words() -> None:
    contact = JOINT.contacts[0]
    wider = attrs.evolve(contact, subjects=(Subject.CHILD, Subject.ADULT))
    changes = diff(JOINT, attrs.evolve(JOINT, contacts=(wider, *JOINT.contacts[1:])))
    (change,) = changes.changes
    assert change.path == ("contacts", "childrens-front-door", "subjects")
    assert "added adult" in change.what
