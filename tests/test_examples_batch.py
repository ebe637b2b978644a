"""The batch recipe in examples/batch (docs/integration.md), run as a scheduler would run it."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from challenge_rules.schemas import validate_document

ROOT = Path(__file__).parent.parent
RECIPE = ROOT / "examples" / "batch" / "run.sh"


def run_recipe(out: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    shell = shutil.which("sh")
    if shell is None:
        pytest.skip("the recipe is a POSIX shell script and this machine has no sh")
    # The recipe calls `python` and `challenge-rules`: this interpreter's, as a venv would.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(  # noqa: S603 - our own script
        [shell, str(RECIPE), str(out), *arguments],
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_recipe_turns_the_extract_into_results_as_json_lines_and_csv(tmp_path: Path) -> None:
    done = run_recipe(tmp_path)
    assert done.returncode == 0, done.stderr
    cases = [json.loads(line) for line in (tmp_path / "cases.jsonl").read_text().splitlines()]
    originals = sorted((ROOT / "examples" / "cases").glob("*.json"))
    assert len(cases) == len(originals)
    for case in cases:
        assert validate_document(case, "history") == ()
    results = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [r["reference"] for r in results] == [c["reference"] for c in cases]
    for result in results:
        assert validate_document(result, "evaluation") == ()
    with (tmp_path / "results.csv").open(newline="", encoding="utf-8") as stream:
        table = list(csv.DictReader(stream))
    expected = sum(max(1, len(r["actions"]) + len(r["breaches"])) for r in results)
    assert len(table) == expected
    assert {row["reference"] for row in table} == {r["reference"] for r in results}


def test_a_case_that_cannot_be_evaluated_is_an_error_line_and_an_error_row(tmp_path: Path) -> None:
    done = run_recipe(tmp_path, "2026-07-01T09:00:00+01:00")  # before some concerns were raised
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    errors = [json.loads(line) for line in lines if '"error"' in line[:10]]
    assert errors
    with (tmp_path / "results.csv").open(newline="", encoding="utf-8") as stream:
        rows = [row for row in csv.DictReader(stream) if row["row"] == "error"]
    assert len(rows) == len(errors)
    assert all("after as_of" in row["error"] for row in rows)


def _extract(*arguments: str) -> subprocess.CompletedProcess[str]:
    script = ROOT / "examples" / "batch" / "extract.py"
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(script), *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_extract_refuses_a_missing_database_without_creating_one(tmp_path: Path) -> None:
    missing = tmp_path / "reporting.db"
    done = _extract("--database", str(missing), "--out", str(tmp_path / "cases.jsonl"))
    assert done.returncode == 1
    assert done.stderr.startswith(f"extract.py: {missing}: cannot read the reporting database")
    assert "Traceback" not in done.stderr
    assert not missing.exists()


def test_the_extract_names_the_case_and_event_of_a_bad_row(tmp_path: Path) -> None:
    import sqlite3  # noqa: PLC0415 - only this test builds a database by hand

    database = tmp_path / "reporting.db"
    with sqlite3.connect(database) as connection:
        connection.executescript(
            "CREATE TABLE disagreement (reference TEXT, policy TEXT);"
            "CREATE TABLE disagreement_event (reference TEXT, position INTEGER, event_id TEXT,"
            " kind TEXT, at TEXT, details TEXT);"
            "INSERT INTO disagreement VALUES ('R-1', 'hips');"
            "INSERT INTO disagreement_event VALUES ('R-1', 1, 'e1', 'concern_raised',"
            " '2026-06-01T09:00:00+01:00', '{not json');"
        )
    connection.close()
    done = _extract("--database", str(database), "--out", str(tmp_path / "cases.jsonl"))
    assert done.returncode == 1
    assert "case R-1, event e1: details are not JSON" in done.stderr
    assert "Traceback" not in done.stderr
