"""The evaluation's values: the concern's summary every evaluation carries."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given

from challenge_rules import evaluate
from challenge_rules.converter import make_converter
from challenge_rules.evaluation import ConcernSummary, Evaluation
from challenge_rules.history import CaseHistory, ConcernRaised, Nature
from challenge_rules.policy import Policy, Subject
from challenge_rules.report import from_json, to_json
from challenge_rules.table import rows
from challenge_rules.testing import Case, cases

CONVERTER = make_converter()
ROOT = Path(__file__).parent.parent
POLICY_PATH = Path(__file__).parent / "policies" / "ladder.json"
POLICY: Policy = CONVERTER.structure(json.loads(POLICY_PATH.read_text(encoding="utf-8")), Policy)
AS_OF = datetime.fromisoformat("2023-05-20T09:00:00+01:00")


def _history(**concern: Any) -> CaseHistory:
    event = {
        "kind": "concern_raised",
        "id": "c1",
        "at": "2023-05-04T10:00:00+01:00",
        "raising": {"role": "practitioner", "agency": "Northgate Primary", "sector": "school"},
        "receiving": {"role": "practitioner", "agency": "North CSC"},
        "area": "north",
        **concern,
    }
    return CONVERTER.structure({"reference": "CASE-1", "events": [event]}, CaseHistory)


def test_every_evaluation_summarises_its_concern() -> None:
    history = _history(topics=["thresholds", "drift"], subject="child")
    evaluation = evaluate(POLICY, history, AS_OF)
    assert evaluation.concern == ConcernSummary(
        raising_agency="Northgate Primary",
        receiving_agency="North CSC",
        raised_at=datetime.fromisoformat("2023-05-04T10:00:00+01:00"),
        raising_sector="school",
        receiving_sector=None,
        area="north",
        topics=("thresholds", "drift"),
        nature=Nature.CASE,
        subject=Subject.CHILD,
    )


def test_the_summary_of_a_matter_out_of_scope_says_its_nature() -> None:
    evaluation = evaluate(POLICY, _history(nature="systemic"), AS_OF)
    assert evaluation.concern is not None
    assert evaluation.concern.nature is Nature.SYSTEMIC
    assert evaluation.concern.subject is None


def test_the_summary_goes_to_json_and_back_and_into_every_csv_row() -> None:
    evaluation = evaluate(POLICY, _history(topics=["drift"], subject="child"), AS_OF)
    data = to_json(evaluation)
    assert data["concern"]["subject"] == "child"
    assert data["concern"]["topics"] == ["drift"]
    assert from_json(json.loads(json.dumps(data))) == evaluation
    table = list(rows(evaluation))
    assert table
    for row in table:
        assert row["raising_agency"] == "Northgate Primary"
        assert row["raising_sector"] == "school"
        assert row["receiving_sector"] == ""
        assert (row["area"], row["topics"], row["nature"]) == ("north", "drift", "case")
        assert row["subject"] == "child"


def test_an_evaluation_written_before_the_summary_still_reads() -> None:
    evaluation = evaluate(POLICY, _history(), AS_OF)
    data = to_json(evaluation)
    del data["concern"]
    read = from_json(data)
    assert read.concern is None
    assert all(row["nature"] == "" for row in rows(read))


def test_the_schema_lists_the_model_natures_and_subjects() -> None:
    schema = json.loads((ROOT / "schemas" / "evaluation.schema.json").read_text(encoding="utf-8"))
    properties = schema["$defs"]["concern_summary"]["properties"]
    assert properties["nature"]["enum"] == [n.value for n in Nature]
    assert properties["subject"]["enum"] == [*(s.value for s in Subject), None]


@given(cases(max_events=8))
def test_the_summary_is_the_concern_raised_event(case: Case) -> None:
    concern = next(e for e in case.history.events if isinstance(e, ConcernRaised))
    evaluation: Evaluation = evaluate(*case)
    assert evaluation.concern == ConcernSummary.of(concern)
    assert evaluation.concern.raised_at == concern.at
