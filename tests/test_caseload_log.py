"""Escalation logs (CSV) read as case histories: every row used or refused, and why."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from challenge_rules import CaseHistory, InvalidInput, evaluate, shipped_policy
from challenge_rules.caseload import (
    Refused,
    build_report,
    default_mapping,
    load_mapping,
    mapping_from,
    read_cases,
)
from challenge_rules.history import ConcernRaised, DiscussionHeld, Escalated
from challenge_rules.policy import Subject

if TYPE_CHECKING:
    from pathlib import Path

from caseload_cases import AS_OF

POLICY = shipped_policy("pan-cheshire")
HEADER = (
    "Reference,Date raised,Raising agency,Raising sector,Receiving agency,Receiving sector,"
    "Area,Topic,Nature,Stage reached,Date reached step-1,Date reached step-2,"
    "Date reached step-3,Outcome,Outcome date,Child's name,Notes"
)
GOOD = [
    (
        "L-1,01/06/2026,Primary school,school,Children's social care,,Halton,thresholds,,"
        "practitioners,,,,Resolved,02/06/2026,Jane Canary,sensitive canary note"
    ),
    (
        "L-2,2026-06-08,GP practice,General practice,Police,,warrington,,,"
        "step-1,2026-06-09,,,,,Jane Canary,sensitive canary note"
    ),
    (
        "L-3,2026-06-15,Police,,Primary school,school,warrington,lack-of-action;thresholds,,"
        "Step 3: Delegated Safeguarding Partners (Day 14-19),2026-06-16,2026-06-22,2026-07-10,"
        "withdrawn,2026-07-14,Jane Canary,sensitive canary note"
    ),
]


def _log(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def _read(path: Path, **kwargs: object) -> list[CaseHistory | Refused]:
    return list(read_cases(path, POLICY, **kwargs))  # type: ignore[arg-type]


def test_good_rows_become_the_histories_the_log_implies(tmp_path: Path) -> None:
    first, second, third = _read(_log(tmp_path, *GOOD))
    assert isinstance(first, CaseHistory)
    assert isinstance(second, CaseHistory)
    assert isinstance(third, CaseHistory)
    concern = first.events[0]
    assert isinstance(concern, ConcernRaised)
    assert (concern.area, concern.topics, concern.raising.sector) == (
        "halton",
        ("thresholds",),
        "school",
    )
    assert concern.at.isoformat() == "2026-06-01T09:00:00+01:00"
    assert [e.kind for e in second.events] == ["concern_raised", "discussion_held", "escalated"]
    assert evaluate(POLICY, second, AS_OF).stage == "step-1"
    kinds = [
        (e.kind, getattr(e, "stage", None) or getattr(e, "to_stage", None)) for e in third.events
    ]
    assert kinds == [
        ("concern_raised", None),
        ("discussion_held", "practitioners"),
        ("escalated", "step-1"),
        ("discussion_held", "step-1"),
        ("escalated", "step-2"),
        ("discussion_held", "step-2"),
        ("escalated", "step-3"),
        ("discussion_held", "step-3"),
    ]
    last = third.events[-1]
    assert isinstance(last, DiscussionHeld)
    assert last.outcome.value == "withdrawn"
    assert str(evaluate(POLICY, third, AS_OF).status) == "withdrawn"
    assert isinstance(third.events[2], Escalated)


def test_a_subject_column_says_whom_each_concern_is_about(tmp_path: Path) -> None:
    header = "Reference,Date raised,Raising agency,Receiving agency,Subject"
    rows = ("S-1,2026-06-01,School,Police,Child", "S-2,2026-06-01,School,Police,")
    first, second, third = _read(_log(tmp_path, *rows, "S-3,2026-06-01,A,B,pet", header=header))
    assert isinstance(first, CaseHistory)
    assert isinstance(second, CaseHistory)
    concerns = [h.events[0] for h in (first, second)]
    assert [c.subject for c in concerns if isinstance(c, ConcernRaised)] == [Subject.CHILD, None]
    assert isinstance(third, Refused)
    assert isinstance(third.error, InvalidInput)
    ((problem,),) = [third.error.problems]
    assert (problem.pointer, problem.message) == ("/Subject", "not a subject of the policy's")
    assert problem.expected == "child, adult, adult_at_risk or blank"


# (the row's cells to change, the column each problem names, a word of each message)
BAD_ROWS = [
    ({"Reference": ""}, [("Reference", "empty")]),
    ({"Date raised": "31/02/2026"}, [("Date raised", "not a date")]),
    ({"Date raised": ""}, [("Date raised", "empty")]),
    ({"Raising agency": ""}, [("Raising agency", "empty")]),
    ({"Raising sector": "bakery"}, [("Raising sector", "not a sector")]),
    ({"Area": "Runcorn"}, [("Area", "not an area")]),
    ({"Topic": "thresholds;weather"}, [("Topic", "not a topic")]),
    ({"Nature": "gossip"}, [("Nature", "not a nature")]),
    ({"Stage reached": "step-9"}, [("Stage reached", "not a stage")]),
    ({"Stage reached": "step-1"}, [("Date reached step-1", "empty, but the stage reached")]),
    (
        {"Stage reached": "step-1", "Date reached step-1": "2026-05-01"},
        [("Date reached step-1", "before the date")],
    ),
    ({"Outcome": "sorted"}, [("Outcome", "not an outcome")]),
    ({"Outcome": "resolved"}, [("Outcome date", "empty, but the outcome is resolved")]),
    ({"Outcome": "resolved", "Outcome date": "soon"}, [("Outcome date", "not a date")]),
    (
        {"Outcome": "resolved", "Outcome date": "2026-05-01"},
        [("Outcome date", "before the date")],
    ),
    (
        {"Reference": "", "Date raised": "yesterday", "Area": "Runcorn"},
        [("Reference", "empty"), ("Date raised", "not a date"), ("Area", "not an area")],
    ),
]
BASE = dict(
    zip(
        HEADER.split(","),
        [
            "L-9",
            "2026-06-01",
            "School",
            "",
            "Police",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "Jane Canary",
            "canary",
        ],
        strict=True,
    )
)


@pytest.mark.parametrize(("changes", "problems"), BAD_ROWS)
def test_every_bad_row_is_refused_naming_its_row_and_every_bad_column(
    tmp_path: Path, changes: dict[str, str], problems: list[tuple[str, str]]
) -> None:
    cells = {**BASE, **changes}
    bad = ",".join(cells[c] for c in HEADER.split(","))
    results = _read(_log(tmp_path, GOOD[0], bad, GOOD[1]))
    assert [type(r).__name__ for r in results] == ["CaseHistory", "Refused", "CaseHistory"]
    refused = results[1]
    assert isinstance(refused, Refused)
    assert refused.source.endswith("log.csv row 3")  # the header is row 1
    error = refused.error
    assert isinstance(error, InvalidInput)
    found = [(p.pointer, p.message) for p in error.problems]
    assert [pointer for pointer, _ in found] == ["/" + column for column, _ in problems]
    for (_, message), (_, word) in zip(found, problems, strict=True):
        assert message.startswith(word)
    text = str(refused)
    assert "row 3" in text
    assert "canary" not in text.lower()  # a log's other columns are never echoed
    for value in changes.values():
        if value and value not in {"resolved", "step-1"}:
            assert value not in text  # nor are the bad values themselves


def test_a_row_with_too_many_cells_is_refused_not_cut(tmp_path: Path) -> None:
    results = _read(_log(tmp_path, GOOD[0] + ",one too many"))
    assert isinstance(results[0], Refused)
    assert "the row has 18 cells, the header 17" in str(results[0])


def test_the_report_says_how_many_rows_were_read_and_refused(tmp_path: Path) -> None:
    log = _log(tmp_path, GOOD[0], "L-8,never,X,,Y,,,,,,,,,,,,", GOOD[1], "", GOOD[2])
    report = build_report(POLICY, read_cases(log, POLICY), AS_OF, duties_recorded=False)
    assert (report.read, report.refused, report.counted) == (4, 1, 3)  # a blank line is no row


def test_semicolons_and_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    # Excel in much of Europe saves CSV with semicolons, and UTF-8 with a BOM.
    header = HEADER.replace(",", ";")
    row = GOOD[1].replace(",", ";").replace("lack-of-action;thresholds", "thresholds")
    path = tmp_path / "log.csv"
    path.write_text("\ufeff" + header + "\n" + row + "\n", encoding="utf-8")
    (history,) = _read(path)
    assert isinstance(history, CaseHistory)
    assert history.reference == "L-2"


def test_a_log_without_a_required_column_is_refused_whole(tmp_path: Path) -> None:
    header = HEADER.replace("Date raised", "Raised on")
    with pytest.raises(InvalidInput) as caught:
        _read(_log(tmp_path, GOOD[0], header=header))
    assert "no column 'Date raised'" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\xff\xfe\x00bad", "not UTF-8"), (None, "cannot be read")],
)
def test_an_unreadable_log_is_one_clear_error(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "log.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        _read(path)


def test_a_mapping_renames_columns_and_spells_values(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {
                    "reference": "Ref",
                    "raised": "Opened",
                    "raising_agency": "From",
                    "receiving_agency": "To",
                    "stage_reached": "Level",
                },
                "stage_dates": {"step-1": "Level 1 on"},
                "date_formats": ["%d.%m.%Y"],
                "values": {"stage": {"Level 1": "step-1"}},
            }
        ),
        encoding="utf-8",
    )
    log = _log(
        tmp_path,
        "R-1,08.06.2026,School,Police,Level 1,09.06.2026",
        header="Ref,Opened,From,To,Level,Level 1 on",
    )
    (history,) = _read(log, mapping=load_mapping(mapping))
    assert isinstance(history, CaseHistory)
    assert evaluate(POLICY, history, AS_OF).stage == "step-1"


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        ({"columns": {"reference": "R"}}, "/columns"),  # the other required fields
        ({"columns": default_mapping().columns, "colour": "red"}, "/colour"),
        ({"columns": {**default_mapping().columns, "child": "Name"}}, "/columns/child"),
        ({"columns": default_mapping().columns, "stage_date": "Step date"}, "/stage_date"),
        ({"columns": default_mapping().columns, "date_formats": []}, "/date_formats"),
        ({"columns": default_mapping().columns, "values": {"mood": {}}}, "/values/mood"),
    ],
)
def test_a_bad_mapping_is_refused_with_every_problem_located(
    document: dict[str, object], pointer: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        mapping_from(document, source="mapping.json")
    assert pointer in [p.pointer for p in caught.value.problems]


def test_a_mapping_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text("{columns:", encoding="utf-8")
    with pytest.raises(InvalidInput, match="column mapping"):
        load_mapping(path)
    with pytest.raises(InvalidInput, match="cannot be read"):
        load_mapping(tmp_path / "missing.json")


def test_the_default_mapping_is_the_documented_one(repo_root: Path) -> None:
    docs = (repo_root / "docs" / "caseload.md").read_text(encoding="utf-8")
    for field, heading in default_mapping().columns.items():
        assert f"| `{field}` | {heading} |" in docs
