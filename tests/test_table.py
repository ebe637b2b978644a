"""Evaluations as CSV rows, and ``challenge-rules csv`` over ``evaluate --jsonl`` output."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given

from challenge_rules import InvalidInput, evaluate, load_history, shipped_policy
from challenge_rules._csv import safe_cell
from challenge_rules.cli import EXIT_INVALID, EXIT_OK, main
from challenge_rules.report import from_json, to_json
from challenge_rules.table import COLUMNS, result_rows, rows, write_csv
from challenge_rules.testing import Case, cases

ROOT = Path(__file__).parent.parent
CASE = ROOT / "examples/cases/pan-cheshire-step1-overdue.json"
AS_OF = datetime.fromisoformat("2026-06-30T09:00:00+01:00")
EVALUATION = to_json(evaluate(shipped_policy("pan-cheshire"), load_history(CASE), AS_OF))


@given(cases())
def test_one_row_per_action_and_breach_and_a_case_row_only_when_there_are_neither(
    case: Case,
) -> None:
    evaluation = evaluate(*case)
    table = list(rows(evaluation))
    assert all(tuple(row) == COLUMNS for row in table)
    assert all(row["reference"] == evaluation.reference for row in table)
    ids = [(row["row"], row["id"]) for row in table]
    expected = [("action", a.id) for a in evaluation.actions]
    expected += [("breach", b.id) for b in evaluation.breaches]
    assert ids == (expected or [("case", "")])


@given(cases())
def test_csv_reads_back_as_the_rows_it_was_written_from(case: Case) -> None:
    table = list(rows(evaluate(*case)))
    out = io.StringIO(newline="")
    assert write_csv(table, out) == len(table)
    written = [{name: safe_cell(value) for name, value in row.items()} for row in table]
    assert list(csv.DictReader(io.StringIO(out.getvalue(), newline=""))) == written


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Children's Social Care", "Children's Social Care"),
        ("2026-06-10", "2026-06-10"),
        ("", ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(cell: str, written: str) -> None:
    row = dict.fromkeys(COLUMNS, "") | {"reference": cell}
    out = io.StringIO(newline="")
    write_csv([row], out)
    (read,) = csv.DictReader(io.StringIO(out.getvalue(), newline=""))
    assert read["reference"] == written


def test_an_error_line_becomes_an_error_row() -> None:
    line = {"error": {"source": "cases.jsonl:7", "problems": [{"message": "bad"}]}}
    (row,) = result_rows(line, "results.jsonl:7")
    assert (row["row"], row["reference"], row["error"]) == (
        "error",
        "cases.jsonl:7",
        "1 problem, first: bad",
    )


@pytest.mark.parametrize(
    ("line", "pointer"),
    [
        ({"reference": 1}, "/reference"),  # refused by the schema
        ({**EVALUATION, "as_of": "2026-02-30T09:00:00+01:00"}, "/as_of"),  # by the converter
    ],
)
def test_a_line_that_is_no_evaluation_is_refused_where_it_is(
    line: dict[str, object], pointer: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        result_rows(line, "results.jsonl:3")
    assert raised.value.source == "results.jsonl:3"
    assert pointer in [p.pointer for p in raised.value.problems]
    assert "results.jsonl:3: " + pointer in str(raised.value)


def test_csv_command_turns_evaluate_jsonl_output_into_csv(tmp_path: Path, capsys) -> None:
    history = load_history(CASE)
    evaluation = evaluate(
        shipped_policy("pan-cheshire"), history, datetime.fromisoformat("2026-06-30T09:00:00+01:00")
    )
    results = tmp_path / "results.jsonl"
    lines = [json.dumps(to_json(evaluation)), '{"error": {"source": "x:2", "problems": []}}']
    results.write_text("\n".join([*lines, "", "not json", '{"reference": 1}']) + "\n", "utf-8")
    assert main(["csv", str(results)]) == EXIT_INVALID  # two lines could not be read
    captured = capsys.readouterr()
    table = list(csv.DictReader(io.StringIO(captured.out)))
    assert [row["row"] for row in table] == ["action"] * 4 + ["breach", "error"]
    assert f"{results}:4" in captured.err
    assert f"{results}:5" in captured.err
    results.write_text(lines[0] + "\n", "utf-8")
    assert main(["csv", str(results)]) == EXIT_OK


def test_csv_command_locates_unreadable_files_and_lines(tmp_path: Path, capsys) -> None:
    good = tmp_path / "results.jsonl"
    good.write_text(json.dumps(EVALUATION) + "\n", "utf-8")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\n" + json.dumps(EVALUATION).encode() + b"\n")
    names = [str(binary), str(tmp_path), str(tmp_path / "missing.jsonl"), str(good)]
    assert main(["csv", *names]) == EXIT_INVALID
    captured = capsys.readouterr()
    assert f"{binary}:1: " in captured.err  # that line only: the next is read
    assert f"{tmp_path}: " in captured.err
    assert "this is a folder, not a file" in captured.err
    assert "file not found" in captured.err
    assert "Traceback" not in captured.err
    assert "internal error" not in captured.err
    evaluated = [row for row in csv.DictReader(io.StringIO(captured.out)) if row["row"] != "error"]
    assert len(evaluated) == 2 * len(list(rows(from_json(EVALUATION))))


def test_a_skipped_blank_line_gives_no_row() -> None:
    # evaluate --jsonl writes one of these for each blank input line.
    line = {"skipped": {"source": "cases.jsonl:2", "reason": "blank line"}}
    assert result_rows(line, "results.jsonl:2") == []
