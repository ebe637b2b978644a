"""Evaluations as CSV rows, and ``challenge-rules csv`` over ``evaluate --jsonl`` output."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

from hypothesis import given

from challenge_rules import evaluate, load_history, shipped_policy
from challenge_rules.cli import EXIT_INVALID, EXIT_OK, main
from challenge_rules.report import to_json
from challenge_rules.table import COLUMNS, result_rows, rows, write_csv
from challenge_rules.testing import Case, cases

ROOT = Path(__file__).parent.parent
CASE = ROOT / "examples/cases/pan-cheshire-step1-overdue.json"


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
    assert list(csv.DictReader(io.StringIO(out.getvalue(), newline=""))) == table


def test_an_error_line_becomes_an_error_row() -> None:
    line = {"error": {"source": "cases.jsonl:7", "problems": [{"message": "bad"}]}}
    (row,) = result_rows(line, "results.jsonl:7")
    assert (row["row"], row["reference"], row["error"]) == (
        "error",
        "cases.jsonl:7",
        "1 problem, first: bad",
    )


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
