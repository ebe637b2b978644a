"""load_history's fast path (the strict converter) never accepts what the schema refuses.

`challenge_rules.loading.load_history` structures a mapping with the converter (without
cattrs' detailed validation) first and only runs the JSON Schema when that fails.  That
is sound only if everything the converter and the history model accept, the schema
accepts too: these tests mutate real case histories and check it.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _documents import parent, places
from challenge_rules import InvalidHistory, evaluate, load_history, loading, shipped_policy
from challenge_rules._convert import MOMENT_PATTERN
from challenge_rules.converter import default_converter
from challenge_rules.history import CaseHistory, moment_fields
from challenge_rules.schemas import validate_document

EXAMPLES = sorted((Path(__file__).parents[1] / "examples" / "cases").glob("*.json"))
DOCUMENTS = [json.loads(path.read_text(encoding="utf-8")) for path in EXAMPLES]

OTHER_VALUES = [None, True, False, 0, 7, -1, 1.5, 10**400 // 10**390, "", " ", "x", [], ["x"], {}]
OTHER_STRINGS = [
    *("", " ", "x", "Not An Id", "UPPER", "a" * 101, "2026-13-01", "2026-06-08"),
    *("20260608", "2026-06-08T09:30:00", "2026-06-08T09:30+01:00", "2026-06-08 09:30:00Z"),
    *("2026-06-08T09:30:00+01:00", "raising", "resolved", "stage-1", "step-1", "e1"),
]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        found = [(p, n) for p, n in places(document) if p]
        if not found:  # every key dropped
            break
        operation = draw(st.sampled_from(["drop", "add", "type", "string", "duplicate"]))
        path, node = draw(st.sampled_from(found))
        if operation == "drop":
            del parent(document, path)[path[-1]]
        elif operation == "add" and isinstance(node, dict):
            node[draw(st.sampled_from(["extra", "$schema", "kind", "stage", "note"]))] = draw(
                st.sampled_from(OTHER_VALUES)
            )
        elif operation == "type":
            parent(document, path)[path[-1]] = copy.deepcopy(draw(st.sampled_from(OTHER_VALUES)))
        elif operation == "string" and isinstance(node, str):
            parent(document, path)[path[-1]] = draw(st.sampled_from(OTHER_STRINGS))
        elif (
            operation == "duplicate"
            and isinstance(document.get("events"), list)
            and document["events"]
        ):
            document["events"].append(copy.deepcopy(draw(st.sampled_from(document["events"]))))
    return document


def _converter_accepts(document: object) -> bool:
    try:
        default_converter().structure(document, CaseHistory)
    except Exception:  # noqa: BLE001 - any failure counts as a refusal
        return False
    return True


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_the_converter_never_accepts_what_the_schema_refuses(document: dict[str, Any]) -> None:
    if _converter_accepts(document):
        errors = [p for p in validate_document(document, "history") if p.severity == "error"]
        assert errors == [], [str(p) for p in errors]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_load_history_gives_the_same_answer_either_way(document: dict[str, Any]) -> None:
    errors = [p for p in validate_document(document, "history") if p.severity == "error"]
    if errors:
        with pytest.raises(InvalidHistory) as refused:
            load_history(document)
        assert refused.value.problems, "a refusal always says why"
    else:
        # The schema accepts it: it loads, unless the model refuses it (with reasons).
        try:
            history = load_history(document)
        except InvalidHistory as error:
            assert error.problems  # noqa: PT017 - the refusal is the outcome being checked
        else:
            assert len({e.id for e in history.events}) == len(history.events)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_loads_on_the_fast_path(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert _converter_accepts(document)
    assert load_history(document) == load_history(path)


def _fast(document: dict[str, Any]) -> CaseHistory | None:
    return loading._fast_history(document, None)


def _structured(document: object) -> CaseHistory | None:
    try:
        history = default_converter().structure(document, CaseHistory)
    except Exception:  # noqa: BLE001 - any failure counts as a refusal
        return None
    ids = [event.id for event in history.events]
    return history if len(set(ids)) == len(ids) else None


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_the_fast_path_agrees_with_the_detailed_converter(document: dict[str, Any]) -> None:
    # load_history reads with a converter without detailed validation (no converter given)
    # and with the caller's converter when one is passed: both take the same documents.
    assert _fast(document) == _structured(document)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_the_fast_reader_never_accepts_what_the_schema_refuses(document: dict[str, Any]) -> None:
    if _fast(document) is not None:
        errors = [p for p in validate_document(document, "history") if p.severity == "error"]
        assert errors == [], [str(p) for p in errors]


def test_read_times_share_one_tzinfo_per_offset() -> None:
    history = _fast(DOCUMENTS[0])
    assert history is not None
    zones = {event.at.utcoffset(): event.at.tzinfo for event in history.events}
    for event in history.events:
        assert event.at.tzinfo is zones[event.at.utcoffset()]


def _with_event_at(at: str, field: str = "at") -> dict[str, Any]:
    raised = {
        "kind": "concern_raised",
        "id": "e1",
        "at": "2026-01-01T09:00:00Z",
        "raising": {"role": "practitioner", "agency": "A"},
        "receiving": {"role": "practitioner", "agency": "B"},
    }
    record = {"kind": "record_made", "id": "e2", "at": "2026-01-01T10:00:00Z"}
    record |= {"record": "childs_record", field: at}
    return {"reference": "R", "events": [raised, record]}


@pytest.mark.parametrize(
    "at",
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "2100-01-01T00:00:00Z",
        "1900-12-31T23:59:59Z",
    ],
)
@pytest.mark.parametrize("field", ["at", "recorded_at"])
def test_a_moment_outside_the_years_a_history_may_hold_is_a_located_problem(
    at: str, field: str
) -> None:
    document = _with_event_at(at, field)
    for converter in (None, default_converter()):
        with pytest.raises(InvalidHistory) as raised:
            load_history(document, converter=converter)
        (problem,) = raised.value.problems
        assert problem.pointer == f"/events/1/{field}"
        assert problem.event == "e2"
        assert problem.message == f'timestamp "{at}" is out of range'
        assert problem.expected is not None
        assert "from 1901-01-01 to 2099-12-31" in problem.expected
    assert _fast(document) is None
    assert validate_document(document, "history") != ()


_OTHER_MOMENTS = [
    (0, "decision_at", {}),
    (1, "due", {"kind": "timescale_agreed", "stage": "step-1"}),
    (1, "follow_up", {"kind": "action_plan_agreed"}),
]


def _with_other_moment(index: int, field: str, event: dict[str, Any], at: str) -> dict[str, Any]:
    document = _with_event_at("2026-01-01T10:00:00Z")
    if event:
        document["events"][1] = {"id": "e2", "at": "2026-01-01T10:00:00Z", **event}
    document["events"][index][field] = at
    return document


def test_every_moment_field_of_an_event_is_known() -> None:
    assert moment_fields("record_made") == ("at", "recorded_at")
    assert set(moment_fields("concern_raised")) >= {"decision_at", "identified_at"}
    assert "due" in moment_fields("timescale_agreed")
    assert "follow_up" in moment_fields("action_plan_agreed")


@pytest.mark.parametrize(("index", "field", "event"), _OTHER_MOMENTS)
@pytest.mark.parametrize("at", ["9999-12-31T23:59:59.999999+00:00", "2150-01-01T00:00:00Z"])
def test_any_moment_outside_the_years_is_a_located_problem_not_a_crash(
    index: int, field: str, event: dict[str, Any], at: str
) -> None:
    # Once only at and recorded_at were checked on the fast path: a far follow-up overflowed
    # the calendar when the evaluation worked out its next change.
    document = _with_other_moment(index, field, event, at)
    for converter in (None, default_converter()):
        with pytest.raises(InvalidHistory) as raised:
            load_history(document, converter=converter)
        (problem,) = raised.value.problems
        assert problem.pointer == f"/events/{index}/{field}"
        assert problem.message == f'timestamp "{at}" is out of range'
    assert _fast(document) is None
    # Built in Python, without the loader: evaluate's history rules say the same.
    history = default_converter().structure(document, CaseHistory)
    policy = shipped_policy("pan-cheshire")
    with pytest.raises(InvalidHistory) as raised:
        evaluate(policy, history, datetime(2026, 1, 2, 9, tzinfo=UTC))
    located = [p for p in raised.value.problems if p.pointer == f"/events/{index}/{field}"]
    assert "timestamp is out of range" in [p.message for p in located]


@pytest.mark.parametrize("at", ["1901-01-01T00:00:00+14:00", "2099-12-31T23:59:59-14:00"])
def test_the_first_and_last_moments_of_the_range_load(at: str) -> None:
    assert load_history(_with_event_at(at)).events[1].at.isoformat() == at


def test_the_history_schema_states_the_same_years() -> None:
    timestamp = validate_document.__globals__["_schema"]("history")["$defs"]["timestamp"]
    assert timestamp["pattern"] == MOMENT_PATTERN
