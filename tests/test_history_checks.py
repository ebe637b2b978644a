"""Case histories are checked against themselves and the policy before evaluation.

Every problem is reported at once, in one `InvalidHistory`, each with a JSON
pointer to the event (by its position in the file) and the event's id.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from cattrs.errors import ClassValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from challenge_rules import evaluate
from challenge_rules._convert import NaiveTimestampError
from challenge_rules._history_checks import (
    check_history,
    check_thoroughly,
    clean_concern,
    findings,
)
from challenge_rules.converter import make_converter
from challenge_rules.errors import InvalidHistory, Problem
from challenge_rules.history import (
    EVENT_TYPES,
    CaseHistory,
    ConcernRaised,
    Event,
    Party,
    RecordMade,
    TimescaleAgreed,
)
from challenge_rules.loading import load_history
from challenge_rules.policy import Policy
from challenge_rules.testing import histories, policies

LONDON = ZoneInfo("Europe/London")
CONVERTER = make_converter()
POLICY: Policy = CONVERTER.structure(
    json.loads((Path(__file__).parent / "policies" / "ladder.json").read_text(encoding="utf-8")),
    Policy,
)
AS_OF = datetime(2023, 5, 31, 12, tzinfo=LONDON)


def at(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).isoformat()


def concern(eid: str = "c1", **fields: Any) -> dict[str, Any]:
    doc = {
        "kind": "concern_raised",
        "id": eid,
        "at": at("2023-05-04 10:00"),
        "raising": {"role": "practitioner", "agency": "Northgate Primary", "sector": "school"},
        "receiving": {"role": "practitioner", "agency": "North CSC", "sector": "social-care"},
        "area": "north",
    }
    return doc | fields


def ev(kind: str, eid: str, when: str = "2023-05-05 10:00", **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "id": eid, "at": at(when), **fields}


def history(events: list[dict[str, Any]]) -> CaseHistory:
    return CONVERTER.structure({"reference": "CASE-0001", "events": events}, CaseHistory)


def problems(events: list[dict[str, Any]], policy: Policy = POLICY) -> list[Problem]:
    with pytest.raises(InvalidHistory) as raised:
        evaluate(policy, history(events), AS_OF)
    assert raised.value.kind == "case history"
    return list(raised.value.problems)


def located(found: list[Problem]) -> list[tuple[str, str | None]]:
    return [(p.pointer, p.event) for p in found]


def test_a_valid_history_passes() -> None:
    events = [
        concern(topics=["thresholds", "drift"]),
        ev("concern_structured", "s1", template="structuring-concerns", answered=["1", "2"]),
        ev("discussion_held", "d1", stage="practitioners", outcome="unresolved"),
        ev("escalated", "x1", to_stage="step-1", by_role="practitioner", to_role="line-manager"),
        ev(
            "role_holder_absent",
            "a1",
            side="receiving",
            role="line-manager",
            start="2023-05-05",
            end="2023-05-05",
        ),
        ev("roles_combined", "rc", side="raising", roles=["line-manager", "dsl"]),
        ev("risk_assessed", "k1", level="low"),
        ev("contact_made", "k2", purpose="front-door"),
        ev("record_made", "r1", record="childs_record", stage="step-1"),
        ev("form_submitted", "f1", form="appendix-a"),
        ev("timescale_agreed", "t1", stage="step-1", due=at("2023-05-12 17:00")),
        ev("meeting_held", "m1", meeting="resolution", stage="step-1"),
        ev("learning_disseminated", "l1", stage="step-1"),
        ev("outcome_confirmed", "o1", stage="step-1"),
        ev("outcome_communicated", "oc", to="workers", stage="step-1"),
        ev(
            "case_closed",
            "z",
            "2023-05-06 10:00",
            reason="resolved",
            recorded_at=at("2023-05-08 09:00"),
        ),
    ]
    assert check_history(POLICY, history(events)).id == "c1"
    evaluate(POLICY, history(events), AS_OF)


@pytest.mark.parametrize(
    ("event", "pointer", "message", "expected"),
    [
        pytest.param(
            ev("discussion_held", "d9", stage="step-9", outcome="resolved"),
            "/events/1/stage",
            "no stage 'step-9' in the policy",
            "one of: practitioners, step-1, step-2, step-3",
            id="unknown-stage",
        ),
        pytest.param(
            ev("escalated", "x9", to_stage="cpc-review"),
            "/events/1/to_stage",
            "no stage 'cpc-review' on the ladder for this concern",
            "one of: practitioners, step-1, step-2, step-3",
            id="stage-of-another-ladder",
        ),
        pytest.param(
            ev("record_made", "r9", record="agency_record", stage="step-4"),
            "/events/1/stage",
            "no stage 'step-4' in the policy",
            None,
            id="unknown-stage-of-a-record",
        ),
        pytest.param(
            ev("timescale_agreed", "t9", stage="stage-1", due=at("2023-05-12 17:00")),
            "/events/1/stage",
            "no stage 'stage-1' in the policy",
            None,
            id="unknown-stage-of-an-agreement",
        ),
        pytest.param(
            ev(
                "role_holder_absent",
                "a9",
                side="raising",
                role="manager",
                start="2023-05-05",
                end="2023-05-06",
            ),
            "/events/1/role",
            "unknown role 'manager'",
            None,
            id="unknown-absent-role",
        ),
        pytest.param(
            ev("roles_combined", "rc", side="raising", roles=["line-manager", "senco"]),
            "/events/1/roles/1",
            "unknown role 'senco'",
            None,
            id="unknown-combined-role",
        ),
        pytest.param(
            ev("escalated", "x9", to_stage="step-1", to_role="director"),
            "/events/1/to_role",
            "unknown role 'director'",
            None,
            id="unknown-escalation-role",
        ),
        pytest.param(
            ev("escalated", "x9", to_stage="step-1", by_role="director"),
            "/events/1/by_role",
            "unknown role 'director'",
            None,
            id="unknown-escalating-role",
        ),
        pytest.param(
            ev("risk_assessed", "k9", level="high"),
            "/events/1/level",
            "unknown risk level 'high'",
            "one of: low, significant-harm",
            id="unknown-risk-level",
        ),
        pytest.param(
            ev("form_submitted", "f9", form="appendix-z"),
            "/events/1/form",
            "unknown form 'appendix-z'",
            "one of: appendix-a",
            id="unknown-form",
        ),
        pytest.param(
            ev("contact_made", "k9", purpose="police"),
            "/events/1/purpose",
            "unknown contact purpose 'police'",
            "one of: front-door, step-3-referral",
            id="unknown-contact-purpose",
        ),
        pytest.param(
            ev("concern_structured", "s9", template="prompts"),
            "/events/1/template",
            "unknown template 'prompts'",
            "one of: structuring-concerns",
            id="unknown-template",
        ),
        pytest.param(
            ev(
                "role_holder_absent",
                "a9",
                side="raising",
                role="dsl",
                start="2023-05-06",
                end="2023-05-05",
            ),
            "/events/1/end",
            "the absence ends before it starts",
            "end on or after start",
            id="absence-ends-before-it-starts",
        ),
        pytest.param(
            ev("record_made", "r9", record="childs_record", recorded_at=at("2023-05-05 09:59")),
            "/events/1/recorded_at",
            "the event is recorded before it happened",
            "recorded_at at or after at",
            id="recorded-before-it-happened",
        ),
        pytest.param(
            ev("timescale_agreed", "t9", stage="step-1", due=at("2023-05-05 10:00")),
            "/events/1/due",
            "the agreed due time is not after the agreement",
            "a later time",
            id="agreed-due-not-after-the-agreement",
        ),
        pytest.param(
            ev(
                "concern_raised",
                "c2",
                raising={"role": "practitioner", "agency": "A"},
                receiving={"role": "practitioner", "agency": "B"},
            ),
            "/events/1/kind",
            "a second concern_raised event; one history is one disagreement",
            None,
            id="second-concern",
        ),
        pytest.param(
            ev("record_made", "c1", record="childs_record"),
            "/events/1/id",
            "event id 'c1' is used again (first at /events/0)",
            "a unique id for every event",
            id="duplicate-id",
        ),
    ],
)
def test_each_problem_is_located(
    event: dict[str, Any], pointer: str, message: str, expected: str | None
) -> None:
    (problem,) = problems([concern(), event])
    assert problem.pointer == pointer
    assert problem.event == event["id"]
    assert problem.message == message
    if expected is not None:
        assert problem.expected == expected
    assert problem.severity == "error"
    assert str(problem).startswith(f"{pointer}: event {event['id']!r}: {message}")


@pytest.mark.parametrize(
    ("fields", "pointer", "message"),
    [
        pytest.param(
            {"raising": {"role": "teacher", "agency": "A", "sector": "school"}},
            "/events/0/raising/role",
            "unknown role 'teacher'",
            id="raising-role",
        ),
        pytest.param(
            {"receiving": {"role": "social-worker", "agency": "B"}},
            "/events/0/receiving/role",
            "unknown role 'social-worker'",
            id="receiving-role",
        ),
        pytest.param(
            {"receiving": {"role": "practitioner", "agency": "B", "sector": "police"}},
            "/events/0/receiving/sector",
            "unknown sector 'police'",
            id="sector",
        ),
        pytest.param(
            {"topics": ["thresholds", "housing"]},
            "/events/0/topics/1",
            "unknown topic 'housing'",
            id="topic",
        ),
        pytest.param({"area": "east"}, "/events/0/area", "unknown area 'east'", id="area"),
    ],
)
def test_concern_problems_are_located(fields: dict[str, Any], pointer: str, message: str) -> None:
    (problem,) = problems([concern(**fields)])
    assert (problem.pointer, problem.event, problem.message) == (pointer, "c1", message)


def test_sectors_are_free_when_the_policy_lists_none() -> None:
    events = [concern(receiving={"role": "practitioner", "agency": "B", "sector": "police"})]
    assert check_history(attrs.evolve(POLICY, sectors=()), history(events)).id == "c1"


def test_a_party_need_not_name_its_sector() -> None:
    events = [concern(receiving={"role": "practitioner", "agency": "B"})]
    assert check_history(POLICY, history(events)).receiving.sector is None


def test_track_stages_belong_to_the_track() -> None:
    events = [
        concern(nature="child_protection_conference"),
        ev("discussion_held", "d1", stage="cpc-chair", outcome="unresolved"),
        ev("discussion_held", "d2", stage="step-1", outcome="unresolved"),
    ]
    (problem,) = problems(events)
    assert located([problem]) == [("/events/2/stage", "d2")]
    assert problem.message == "no stage 'step-1' on the ladder for this concern"
    assert problem.expected == "one of: cpc-chair, cpc-review"


def test_immediate_action_purposes_are_known_contact_purposes() -> None:
    policy = attrs.evolve(POLICY, contacts=())
    events = [concern(area=None), ev("contact_made", "k1", purpose="front-door")]
    assert check_history(policy, history(events)).id == "c1"


def test_no_concern() -> None:
    (problem,) = problems([ev("record_made", "r1", record="childs_record")])
    assert (problem.pointer, problem.event) == ("/events", None)
    assert problem.message == "the history has no concern_raised event"
    assert problem.expected == "exactly one event of kind concern_raised"


def test_empty_history() -> None:
    assert located(problems([])) == [("/events", None)]


def test_every_problem_is_reported_at_once() -> None:
    events = [
        ev("discussion_held", "d1", stage="step-9", outcome="resolved"),
        concern(area="east", topics=["housing"]),
        ev("risk_assessed", "k1", level="high"),
        ev("risk_assessed", "k1", level="low"),
        ev(
            "role_holder_absent",
            "a1",
            side="raising",
            role="boss",
            start="2023-05-09",
            end="2023-05-08",
        ),
        concern("c2"),
        ev("timescale_agreed", "t1", stage="step-1", due=at("2023-05-05 09:00")),
        ev("form_submitted", "f1", form="appendix-z", recorded_at=at("2023-05-05 09:00")),
    ]
    found = problems(events)
    assert located(found) == [
        ("/events/5/kind", "c2"),
        ("/events/0/stage", "d1"),
        ("/events/1/topics/0", "c1"),
        ("/events/1/area", "c1"),
        ("/events/2/level", "k1"),
        ("/events/3/id", "k1"),
        ("/events/4/role", "a1"),
        ("/events/4/end", "a1"),
        ("/events/6/due", "t1"),
        ("/events/7/recorded_at", "f1"),
        ("/events/7/form", "f1"),
    ]
    with pytest.raises(InvalidHistory) as raised:
        evaluate(POLICY, history(events), AS_OF)
    text = str(raised.value)
    assert text.startswith("invalid case history: 11 problems\n")
    assert "  /events/3/id: event 'k1': event id 'k1' is used again (first at /events/2)" in text


def test_problems_take_the_source_file_name() -> None:
    with pytest.raises(InvalidHistory) as raised:
        evaluate(POLICY, history([]), AS_OF)
    error = attrs.evolve(raised.value, source="case-0001.json")
    assert "invalid case history in case-0001.json: 1 problem" in str(error)
    assert "case-0001.json: /events: the history has no concern_raised event" in str(error)


# -- naive timestamps ---------------------------------------------------------
# The converter refuses them (below); a history built in Python can still hold them.

AWARE = datetime(2023, 5, 4, 10, tzinfo=LONDON)
NAIVE = datetime(2023, 5, 5, 10)  # noqa: DTZ001 - the point of the test


def _concern(moment: datetime = AWARE) -> ConcernRaised:
    return ConcernRaised(
        id="c1",
        at=moment,
        raising=Party(role="practitioner", agency="A"),
        receiving=Party(role="practitioner", agency="B"),
    )


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param(
            (_concern(), RecordMade(id="r1", at=NAIVE, record="childs_record")),
            [("/events/1/at", "r1")],
            id="at",
        ),
        pytest.param(
            (_concern(), RecordMade(id="r1", at=AWARE, recorded_at=NAIVE, record="childs_record")),
            [("/events/1/recorded_at", "r1")],
            id="recorded_at",
        ),
        pytest.param(
            (_concern(NAIVE.replace(day=4)),),
            [("/events/0/at", "c1")],
            id="concern",
        ),
    ],
)
def test_naive_timestamps_are_problems(
    events: tuple[Any, ...], expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(InvalidHistory) as raised:
        evaluate(POLICY, CaseHistory("CASE-0001", events), AS_OF)
    assert located(list(raised.value.problems)) == expected
    assert raised.value.problems[0].message == "timestamp has no UTC offset"


@pytest.mark.parametrize(
    ("agreement", "pointer"),
    [
        pytest.param(
            TimescaleAgreed(id="t1", at=AWARE, stage="step-1", due=NAIVE),
            "/events/1/due",
            id="naive-due",
        ),
        pytest.param(
            TimescaleAgreed(
                id="t1", at=NAIVE, stage="step-1", due=datetime(2023, 5, 9, tzinfo=LONDON)
            ),
            "/events/1/at",
            id="naive-at",
        ),
    ],
)
def test_naive_agreement_timestamps_are_problems(agreement: TimescaleAgreed, pointer: str) -> None:
    with pytest.raises(InvalidHistory) as raised:
        evaluate(POLICY, CaseHistory("CASE-0001", (_concern(), agreement)), AS_OF)
    assert located(list(raised.value.problems)) == [(pointer, "t1")]


def test_the_converter_refuses_naive_timestamps() -> None:
    doc = {"reference": "CASE-0001", "events": [concern() | {"at": "2023-05-04T10:00:00"}]}
    with pytest.raises(ClassValidationError) as raised:
        CONVERTER.structure(doc, CaseHistory)
    leaves: list[BaseException] = []
    pending: list[BaseException] = [raised.value]
    while pending:
        error = pending.pop()
        if isinstance(error, BaseExceptionGroup):
            pending.extend(error.exceptions)
        else:
            leaves.append(error)
    assert any(isinstance(e, NaiveTimestampError) for e in leaves)


def test_the_converter_reads_dates_and_offsets() -> None:
    h = history(
        [
            concern(),
            ev(
                "role_holder_absent",
                "a1",
                side="each",
                role="dsl",
                start="2023-05-05",
                end="2023-05-09",
            ),
        ]
    )
    absence = h.events[1]
    assert (absence.start, absence.end) == (date(2023, 5, 5), date(2023, 5, 9))
    assert h.events[0].at.utcoffset() is not None


# -- docs/history.md ------------------------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "history.md"


def _doc_sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `([a-z_]+)`$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_event_kind_and_field_is_documented() -> None:
    sections = _doc_sections()
    assert sorted(sections) == sorted(EVENT_TYPES)
    common = {f.name for f in attrs.fields(Event)}
    for kind, cls in EVENT_TYPES.items():
        for name in {f.name for f in attrs.fields(cls)} - common:
            assert f"`{name}`" in sections[kind], (kind, name)


def test_the_documented_example_is_valid_and_on_time() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = json.loads(re.findall(r"```json\n(.*?)\n```", text, flags=re.DOTALL)[-1])
    kinds = {e["kind"] for e in example["events"]}
    assert len(kinds) >= 12
    ids = [e["id"] for e in example["events"]]
    assert ids != sorted(ids, key=lambda i: int(i[1:]))  # shows that order does not matter
    history_ = CONVERTER.structure(example, CaseHistory)
    evaluation = evaluate(POLICY, history_, datetime(2026, 4, 8, 9, tzinfo=LONDON))
    assert evaluation.status == "resolved"
    assert evaluation.actions == ()
    assert evaluation.breaches == ()
    assert evaluation.warnings == ()


# -- the shortcut for clean histories ------------------------------------------------

_NAMED_FIELDS = ("stage", "to_stage", "role", "by_role", "to_role", "level", "purpose", "form")
_NAMED_FIELDS += ("template", "area", "topics", "roles", "end", "due", "recorded_at")


@st.composite
def _corrupted(draw: st.DrawFn, policy: Policy) -> CaseHistory:
    """A generated history, with perhaps one field changed to a name that may not exist."""
    history = draw(histories(policy, irregular=draw(st.booleans())))
    events = list(history.events)
    if not events or draw(st.booleans()):
        return history
    position = draw(st.integers(0, len(events) - 1))
    event = events[position]
    names = sorted(
        {s.id for s in policy.all_stages()} | {r.id for r in policy.roles} | {"unknown-name", "x"}
    )
    changeable = [f.name for f in attrs.fields(type(event)) if f.name in _NAMED_FIELDS]
    if not changeable:
        return history
    name = draw(st.sampled_from(changeable))
    value: object
    if name in {"topics", "roles"}:
        value = tuple(draw(st.lists(st.sampled_from(names), min_size=2, max_size=3, unique=True)))
    elif name == "end":
        value = event.start - timedelta(days=draw(st.integers(0, 2)))  # type: ignore[attr-defined]
    elif name in {"due", "recorded_at"}:
        value = event.at + timedelta(minutes=draw(st.integers(-90, 90)))
    else:
        value = draw(st.sampled_from(names))
    try:
        events[position] = attrs.evolve(event, **{name: value})
    except (TypeError, ValueError):
        return history
    return attrs.evolve(history, events=events)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_first_finding_is_the_first_of_all_findings(data: st.DataObject) -> None:
    # One table of rules in two modes: stopping at the first finding (check_history's
    # shortcut) finds what collecting them all finds first, so it passes nothing more.
    policy = data.draw(policies())
    history = data.draw(_corrupted(policy))
    first = findings(policy, history, first=True)
    every = findings(policy, history)
    assert first == every[: len(first)]
    assert bool(first) == bool(every)
    try:
        check_thoroughly(policy, history)
    except InvalidHistory as error:
        assert first
        assert error.problems[0] == every[0].problem()  # noqa: PT017


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_shortcut_takes_every_clean_loaded_history(data: st.DataObject) -> None:
    # Not needed for correctness (a refusal only costs time), but the shortcut is
    # the point: a history loaded from JSON that is clean takes it.
    policy = data.draw(policies())
    history = data.draw(histories(policy))
    loaded = load_history(CONVERTER.unstructure(history))
    try:
        check_thoroughly(policy, loaded)
    except InvalidHistory:
        return
    assert findings(policy, loaded, first=True) == []


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_compiled_screen_agrees_with_the_rules(data: st.DataObject) -> None:
    # check_history's one-pass screen takes a history exactly when the rules find nothing in
    # it, over valid, irregular and corrupted histories (unknown names, ids used again,
    # absences backwards, agreements before themselves, late or early records).
    policy = data.draw(policies())
    history = data.draw(_corrupted(policy))
    if data.draw(st.booleans()) and len(history.events) > 1:
        events = list(history.events)
        repeated = data.draw(st.sampled_from(events))
        where = data.draw(st.integers(0, len(events) - 1))
        events[where] = attrs.evolve(events[where], id=repeated.id)
        history = attrs.evolve(history, events=events)
    concern = clean_concern(policy, history.events)
    every = findings(policy, history)
    assert (concern is None) == bool(every)
    if concern is not None:
        assert concern is check_thoroughly(policy, history)
