"""`render_text` for people; `to_json` / `from_json` for machines, against the schema."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator

from challenge_rules import evaluate
from challenge_rules._resources import schema_files
from challenge_rules.calendar import Lateness
from challenge_rules.converter import make_converter
from challenge_rules.errors import InvalidEvaluation, InvalidInput
from challenge_rules.history import CaseHistory
from challenge_rules.loading import load_history, shipped_policy
from challenge_rules.policy import Policy
from challenge_rules.report import SCHEMA_ID, from_json, render_text, to_json

if TYPE_CHECKING:
    from challenge_rules.evaluation import Evaluation

LONDON = ZoneInfo("Europe/London")
ROOT = Path(__file__).resolve().parent.parent
CONVERTER = make_converter()
POLICY: Policy = CONVERTER.structure(
    json.loads((ROOT / "tests" / "policies" / "ladder.json").read_text(encoding="utf-8")), Policy
)
SCHEMA = json.loads((ROOT / "schemas" / "evaluation.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def at(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).isoformat()


def ev(kind: str, eid: str, when: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "id": eid, "at": at(when), **fields}


def concern(when: str = "2023-05-04 10:00", **fields: Any) -> dict[str, Any]:
    return ev(
        "concern_raised",
        "c1",
        when,
        raising={"role": "practitioner", "agency": "Northgate Primary", "sector": "school"},
        receiving={"role": "practitioner", "agency": "North CSC", "sector": "social-care"},
        area="north",
        **fields,
    )


def run(events: list[dict[str, Any]], as_of: str) -> Evaluation:
    h = CONVERTER.structure({"reference": "CASE-0001", "events": events}, CaseHistory)
    return evaluate(POLICY, h, datetime.fromisoformat(as_of).replace(tzinfo=LONDON))


# Urgent, late, with a fallback, a warning, a contact and a form.
URGENT = [
    concern(),
    ev("discussion_held", "d1", "2023-05-09 10:00", stage="practitioners", outcome="unresolved"),
    ev(
        "role_holder_absent",
        "a1",
        "2023-05-09 11:00",
        side="receiving",
        role="line-manager",
        start="2023-05-10",
        end="2023-05-20",
    ),
    ev("risk_assessed", "k1", "2023-05-16 10:00", level="significant-harm"),
    ev("discussion_held", "d0", "2023-05-03 10:00", stage="practitioners", outcome="resolved"),
    ev("escalated", "x2", "2023-05-16 11:00", to_stage="step-3"),
    ev("record_made", "r1", "2023-05-17 10:00", record="childs_record", side="each"),
]

CASES = {
    "first-stage": ([concern()], "2023-05-04 12:00"),
    "urgent": (URGENT, "2023-05-17 12:00"),
    "resolved": (
        [
            concern(),
            ev(
                "discussion_held",
                "d1",
                "2023-05-05 10:00",
                stage="practitioners",
                outcome="resolved",
            ),
        ],
        "2023-05-05 12:00",
    ),
    "not-applicable": ([concern(nature="systemic")], "2023-05-04 12:00"),
    "redirected": (
        [concern(nature="complaint"), ev("redirected", "rd", "2023-05-05 10:00", to="complaints")],
        "2023-05-05 12:00",
    ),
    "winter-agreed": (
        [
            concern("2025-12-23 10:00"),
            ev(
                "discussion_held",
                "d1",
                "2025-12-23 15:00",
                stage="practitioners",
                outcome="unresolved",
            ),
            ev(
                "timescale_agreed",
                "t1",
                "2025-12-23 16:00",
                stage="step-1",
                due=at("2025-12-24 12:00"),
            ),
            ev(
                "roles_combined",
                "rc",
                "2025-12-23 16:00",
                side="raising",
                roles=["line-manager", "dsl"],
            ),
        ],
        "2025-12-24 13:30",
    ),
}


@pytest.fixture(params=sorted(CASES))
def evaluation(request: pytest.FixtureRequest) -> Evaluation:
    events, as_of = CASES[request.param]
    return run(events, as_of)


# -- text -------------------------------------------------------------------


def test_text_of_an_urgent_late_case() -> None:
    text = render_text(run(URGENT, "2023-05-17 12:00"))
    lines = text.splitlines()
    assert lines[0] == "Case CASE-0001 under policy test-ladder (version 1.0-test)"
    assert re.fullmatch(r"Rules: sha256:[0-9a-f]{64}", lines[1])
    assert lines[2:5] == [
        "As of Wed 17 May 2023 12:00 (+01:00)",
        "Status: open; current stage: Step 3: delegated safeguarding partners",
        "URGENT: an urgency rule is in force (risk assessed: significant-harm)",
    ]
    assert text.endswith("\n")
    due_next = text.split("What is due next\n")[1].split("\n\n")[0]
    assert due_next.splitlines()[:4] == [
        "  1. [URGENT] Contact the children's social care front door",
        "     who: Practitioner (Northgate Primary)",
        "     due: no timescale in the procedure",
        (
            "     why: Pan-Cheshire Multi-Agency Professional Challenge & Escalation Policy, "
            "Principles to support resolution [pc-urgency]"
        ),
    ]
    assert (
        "     contact: North integrated contact and referral team "
        "(0300 000 0001, Mon-Thu 08:30-17:00, Fri 08:30-16:30)"
    ) in due_next
    # Step 3 is due the same day it was entered (urgent), so it is late by a day.
    step_3 = "  2. [URGENT] Refer to the delegated safeguarding partners with the Appendix A form"
    assert step_3 in due_next
    assert "     due: end of Tue 16 May 2023" in due_next
    assert "     contact: North SCP business unit (scp@north.example)" in due_next
    assert "     form: appendix-a" in due_next
    late = text.split("What is late\n")[1].split("\n\n")[0]
    assert (
        "     was due: Sat 6 May 2023 10:00 (+01:00); 1 working day late, "
        "done Tue 9 May 2023 10:00 (+01:00)"
    ) in late
    assert "     was due: end of Tue 16 May 2023; 1 working day late, still outstanding" in late
    recorded_late = "     was due: end of Fri 5 May 2023; 7 working days late, done Wed 17 May"
    assert recorded_late in late
    assert "Deputy manager (North CSC), standing in for the Line manager" in text
    stages = text.split("Stages\n")[1].split("\n\n")[0].splitlines()
    assert stages == [
        (
            "  Practitioners: entered Thu 4 May 2023 10:00 (+01:00); "
            "due Sat 6 May 2023 10:00 (+01:00); "
            "concluded Tue 9 May 2023 10:00 (+01:00) (unresolved)"
        ),
        (
            "  Step 1: line managers: entered Tue 9 May 2023 10:00 (+01:00); "
            "due end of Tue 16 May 2023; concluded Tue 16 May 2023 11:00 (+01:00) (unresolved)"
        ),
        (
            "  Step 3: delegated safeguarding partners: entered Tue 16 May 2023 11:00 (+01:00); "
            "due end of Tue 16 May 2023; open"
        ),
    ]
    warnings = text.split("Warnings\n")[1].splitlines()
    assert warnings == [
        "  - event 'd0': discussion_held is dated before the concern: ignored",
    ]


def test_text_of_a_new_case() -> None:
    text = render_text(run([concern()], "2023-05-04 12:00"))
    assert "Status: open; current stage: Practitioners" in text
    assert "URGENT" not in text
    assert "     due: Sat 6 May 2023 10:00 (+01:00)" in text
    assert "What is late\n  nothing\n" in text
    assert "Warnings" not in text


def test_text_of_a_resolved_case() -> None:
    text = render_text(run(*CASES["resolved"]))
    assert "Status: resolved; current stage: Practitioners\n" in text
    assert "What is due next\n  1. Record the concern on the child's record" in text
    assert "(resolved)" in text


def test_text_of_an_out_of_scope_matter() -> None:
    text = render_text(run(*CASES["not-applicable"]))
    assert "Status: not applicable: this procedure is not for this kind of matter\n" in text
    assert "  1. Raise systemic issues with the partnership business unit" in text
    assert "Stages" not in text
    redirected = render_text(run(*CASES["redirected"]))
    assert "Status: redirected to another procedure\n" in redirected
    assert "What is due next\n  nothing\n" in redirected


def test_text_of_a_same_day_lateness_in_winter() -> None:
    text = render_text(run(*CASES["winter-agreed"]))
    assert "As of Wed 24 Dec 2025 13:30 (UTC)" in text
    assert (
        "     was due: Wed 24 Dec 2025 12:00 (UTC); late by 1 hour (the same working day)" in text
    )
    assert "Seek support from the Safeguarding Children in Education team" in text


def test_text_marks_someone_absent_with_no_one_to_stand_in() -> None:
    events = [
        concern(),
        ev(
            "role_holder_absent",
            "a1",
            "2023-05-04 11:00",
            side="raising",
            role="practitioner",
            start="2023-05-04",
            end="2023-05-04",
        ),
    ]
    text = render_text(run(events, "2023-05-04 12:00"))
    assert "Practitioner (Northgate Primary) [absent: no one else is named]" in text
    assert "  - the Practitioner (raising side) is absent on 2023-05-04" in text


# -- JSON -------------------------------------------------------------------


def test_json_round_trips(evaluation: Evaluation) -> None:
    data = to_json(evaluation)
    assert from_json(json.loads(json.dumps(data))) == evaluation


def test_json_is_plain_json_data(evaluation: Evaluation) -> None:
    # What json.loads would give back: lists (not tuples), plain str (not enum members).
    data = to_json(evaluation)
    assert data == json.loads(json.dumps(data))
    pending: list[object] = [data]
    while pending:
        value = pending.pop()
        assert type(value) in {dict, list, str, int, float, bool, type(None)}, repr(value)
        pending.extend(value.values() if isinstance(value, dict) else [])
        pending.extend(value if isinstance(value, list) else [])
    assert from_json(data) == evaluation


def test_json_is_valid_against_the_schema(evaluation: Evaluation) -> None:
    data = json.loads(json.dumps(to_json(evaluation)))
    errors = sorted(VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_json_content() -> None:
    data = to_json(run(URGENT, "2023-05-17 12:00"))
    assert data["status"] == "open"
    assert data["stage"] == "step-3"
    assert data["urgent"] is True
    assert data["risk"] == "significant-harm"
    assert data["as_of"] == "2023-05-17T12:00:00+01:00"
    first = data["actions"][0]
    assert first["id"] == "urgent:significant-harm:front-door"
    assert first["kind"] == "urgent"
    assert first["due"] is None
    step_3 = next(a for a in data["actions"] if a["id"] == "stage:step-3")
    assert step_3["due"] == {"at": "2023-05-17T00:00:00+01:00", "day": "2023-05-16"}
    assert step_3["forms"] == ["appendix-a"]
    late = {b["id"]: b for b in data["breaches"]}
    assert late["stage:step-3"]["late"] == {"working_days": 1, "elapsed": "P0DT12H00M00S"}
    assert late["stage:step-3"]["done_at"] is None
    assert data["warnings"] == [
        {
            "code": "before_concern",
            "message": "discussion_held is dated before the concern: ignored",
            "event": "d0",
        }
    ]


def test_the_schema_is_the_shipped_one() -> None:
    assert SCHEMA["$id"] == SCHEMA_ID
    shipped = schema_files()["evaluation"]
    assert json.loads(shipped.read_text(encoding="utf-8")) == SCHEMA


def test_the_schema_rejects_what_is_not_an_evaluation() -> None:
    data = json.loads(json.dumps(to_json(run([concern()], "2023-05-04 12:00"))))
    broken = data | {"status": "pending"}
    assert not VALIDATOR.is_valid(broken)
    broken = {k: v for k, v in data.items() if k != "actions"}
    assert not VALIDATOR.is_valid(broken)
    broken = data | {"extra": 1}
    assert not VALIDATOR.is_valid(broken)


def test_the_schema_checks_timestamps() -> None:
    # The test extra installs rfc3339-validator, without which jsonschema skips date-time.
    assert "date-time" in VALIDATOR.format_checker.checkers
    data = json.loads(json.dumps(to_json(run([concern()], "2023-05-04 12:00"))))
    assert not VALIDATOR.is_valid(data | {"as_of": "yesterday"})


@pytest.mark.parametrize(
    "elapsed",
    [
        timedelta(0),
        timedelta(hours=12),
        timedelta(microseconds=1),
        # Past about 136 years float seconds lose the microsecond.
        timedelta(days=50_000, microseconds=1),
        timedelta(days=3, hours=4, minutes=5, seconds=6, microseconds=7),
    ],
)
def test_elapsed_time_is_written_exactly(evaluation: Evaluation, elapsed: timedelta) -> None:
    late = Lateness(working_days=1, elapsed=elapsed)
    data = CONVERTER.unstructure(late)
    assert data["elapsed"].startswith("P")
    assert CONVERTER.structure(json.loads(json.dumps(data)), Lateness) == late
    # And the schema takes the spelling.
    document = to_json(evaluation)
    if document["breaches"]:
        document["breaches"][0]["late"] = data
        assert not list(VALIDATOR.iter_errors(document))
        assert from_json(document).breaches[0].late == late


@pytest.mark.parametrize(
    "document",
    [None, 5, "x", [], {}, {"reference": 1}],
)
def test_from_json_refuses_what_is_not_an_evaluation(document: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        from_json(document)
    assert raised.value.kind == "evaluation"
    assert raised.value.problems


def test_from_json_refuses_what_the_evaluation_schema_refuses(evaluation: Evaluation) -> None:
    for damage in (
        lambda d: d.update(status="sleeping"),
        lambda d: d.update(extra=1),
        lambda d: d.update(as_of="2026-06-08T09:00:00"),
        lambda d: d["warnings"].append({"code": 5}),
        lambda d: d.update(urgent="yes"),
    ):
        document = to_json(evaluation)
        damage(document)
        assert list(VALIDATOR.iter_errors(document))
        with pytest.raises(InvalidInput):
            from_json(document)


def test_every_due_date_in_the_report_is_written_in_one_style() -> None:
    # An hour deadline (an instant) and a working-day deadline (a day) side by side.
    case = ROOT / "examples" / "cases" / "pan-cheshire-step1-overdue.json"
    history = load_history(case)
    as_of = datetime.fromisoformat("2026-06-22T09:00:00+01:00")
    text = render_text(evaluate(shipped_policy("pan-cheshire"), history, as_of))
    dues = re.findall(r"\bdue:? ([^;\n]+)", text.replace("What is due next", ""))
    assert "Wed 10 Jun 2026 10:00 (+01:00)" in dues
    assert "end of Wed 17 Jun 2026" in dues
    day_first = re.compile(r"(end of )?(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}")
    assert all(d == "no timescale in the procedure" or day_first.match(d) for d in dues), dues


def test_a_bad_value_inside_a_list_is_located_at_its_index() -> None:
    # Found by the robustness suite on a random run: the pointer lost the action's index.
    history = load_history("examples/cases/pan-cheshire-step1-overdue.json")
    moment = datetime.fromisoformat("2026-06-22T09:00:00+01:00")
    document = to_json(evaluate(shipped_policy("pan-cheshire"), history, moment))
    document["actions"][0]["due"] = {"at": "9999-12-31T23:59:59-14:00", "day": "2026-06-10"}
    with pytest.raises(InvalidEvaluation) as caught:
        from_json(document)
    assert [p.pointer for p in caught.value.problems] == ["/actions/0/due/at"]
