"""``challenge-rules evaluate``, ``test`` and ``diagram``: output, errors and exit statuses."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from challenge_rules.cli import main

if TYPE_CHECKING:
    from collections.abc import Callable

CASE = "examples/cases/pan-cheshire-step1-overdue.json"
AS_OF = "2026-06-22T09:00:00+01:00"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def test_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "evaluate", CASE, "--policy", "pan-cheshire", "--as-of", AS_OF)
    assert status == 0
    assert "What is due next" in out
    assert "What is late" in out


def test_the_policy_named_in_the_history_is_used(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "evaluate", CASE, "--as-of", AS_OF)
    assert status == 0
    assert "under policy pan-cheshire" in out


def test_json_for_one_case_is_one_object_and_for_several_a_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = _run(capsys, "evaluate", CASE, "--as-of", AS_OF, "--format", "json")
    assert status == 0
    assert json.loads(out)["reference"] == "PC-2026-0142"
    other = "examples/cases/pan-cheshire-manager-away.json"
    status, out, _ = _run(capsys, "evaluate", CASE, other, "--as-of", AS_OF, "--format", "json")
    assert status == 0
    assert [e["reference"] for e in json.loads(out)] == ["PC-2026-0142", "PC-2026-0203"]


def test_several_text_reports_are_headed_by_their_file(capsys: pytest.CaptureFixture[str]) -> None:
    other = "examples/cases/pan-cheshire-manager-away.json"
    status, out, _ = _run(capsys, "evaluate", CASE, other, "--as-of", AS_OF)
    assert status == 0
    assert f"== {CASE}" in out
    assert f"== {other}" in out


def test_a_broken_case_is_reported_and_the_others_still_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"reference": "X", "events": [{"kind": "concern_raised"}]}', "utf-8")
    status, out, err = _run(capsys, "evaluate", str(broken), CASE, "--as-of", AS_OF)
    assert status == 1
    assert "PC-2026-0142" in out
    assert f"invalid case history in {broken}" in err
    assert '/events/0: missing property "id"' in err


def test_a_broken_case_in_json_output_is_an_error_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{", "utf-8")
    status, out, _ = _run(
        capsys, "evaluate", str(broken), CASE, "--as-of", AS_OF, "--format", "json"
    )
    assert status == 1
    error, evaluation = json.loads(out)
    assert error["error"]["source"] == str(broken)
    assert "JSON syntax error" in error["error"]["problems"][0]["message"]
    assert evaluation["reference"] == "PC-2026-0142"


def test_a_history_naming_no_policy_needs_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(Path(CASE).read_text("utf-8"))
    del data["policy"]
    case = tmp_path / "case.json"
    case.write_text(json.dumps(data), "utf-8")
    status, _, err = _run(capsys, "evaluate", str(case), "--as-of", AS_OF)
    assert status == 1
    assert "no policy to evaluate against" in err
    assert "--policy" in err


def test_an_unknown_policy_is_one_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "evaluate", CASE, "--policy", "pan-chesire", "--as-of", AS_OF)
    assert status == 1
    assert "no shipped policy has the id 'pan-chesire'" in err


@pytest.mark.parametrize("as_of", ["2026-06-22T09:00:00", "yesterday"])
def test_as_of_must_be_a_timestamp_with_an_offset(
    capsys: pytest.CaptureFixture[str], as_of: str
) -> None:
    status, _, err = _run(capsys, "evaluate", CASE, "--as-of", as_of)
    assert status == 2
    assert "expected e.g. 2026-06-22T09:00:00+01:00" in err


def test_no_case_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "evaluate", "--as-of", AS_OF)
    assert status == 2
    assert "give at least one CASE file" in err


def test_as_of_before_the_concern_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "evaluate", CASE, "--as-of", "2026-01-01T09:00:00+00:00")
    assert status == 1
    assert "after as_of" in err


def test_json_lines_report_each_bad_line_and_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps(json.loads(Path(CASE).read_text("utf-8")))
    lines = tmp_path / "cases.jsonl"
    lines.write_text(f"{good}\nnot json\n\n[1, 2]\n{good}\n", "utf-8")
    status, out, _ = _run(capsys, "evaluate", "--jsonl", str(lines), "--as-of", AS_OF)
    assert status == 1
    results = [json.loads(x) for x in out.splitlines()]
    # Output line N is the result of input line N: the blank line gets a record too.
    assert [next(iter(r)) for r in results] == [
        "reference",
        "error",
        "skipped",
        "error",
        "reference",
    ]
    assert results[1]["error"]["source"] == f"{lines}:2"
    assert results[2] == {"skipped": {"source": f"{lines}:3", "reason": "blank line"}}
    assert results[3]["error"]["source"] == f"{lines}:4"
    assert "not a JSON object" in results[3]["error"]["problems"][0]["message"]


def test_json_lines_from_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps(json.loads(Path(CASE).read_text("utf-8")))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(f"{good}\n".encode())))
    status, out, _ = _run(capsys, "evaluate", "--jsonl", "-", "--as-of", AS_OF)
    assert status == 0
    assert json.loads(out)["status"] == "open"


def test_a_line_of_standard_input_that_is_not_utf8_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps(json.loads(Path(CASE).read_text("utf-8"))).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"\xff\n" + good + b"\n")))
    status, out, _ = _run(capsys, "evaluate", "--jsonl", "-", "--as-of", AS_OF)
    assert status == 1
    bad, evaluated = (json.loads(x) for x in out.splitlines())
    assert bad["error"]["source"] == "<stdin>:1"
    assert "not UTF-8" in bad["error"]["problems"][0]["message"]
    assert evaluated["status"] == "open"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing.jsonl", "file not found"),
        (lambda tmp: tmp, "this is a folder, not a file"),
    ],
)
def test_a_json_lines_file_that_cannot_be_opened_is_a_located_problem(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    message: str,
) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(json.loads(Path(CASE).read_text("utf-8"))) + "\n", "utf-8")
    target = make(tmp_path)
    status, out, err = _run(capsys, "evaluate", "--jsonl", str(target), str(good), "--as-of", AS_OF)
    assert status == 1
    assert f"challenge-rules: {target}: " in err
    assert message in err
    assert json.loads(out)["status"] == "open"  # the next file is still evaluated


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", "{missing}", "--as-of", AS_OF],
        ["evaluate", CASE, "--policy", "{missing}", "--as-of", AS_OF],
        ["evaluate", "{missing}", "--jsonl", "--as-of", AS_OF],
        ["test", "{missing}"],
        ["validate", "{missing}"],
        ["validate", "--kind", "history", "{missing}"],
        ["diagram", "{missing}"],
    ],
)
def test_every_file_the_command_opens_reports_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    missing = str(tmp_path / "missing.json")
    status, out, err = _run(capsys, *(a.replace("{missing}", missing) for a in argv))
    assert status == 1
    assert missing in out + err
    assert "not found" in out + err


def _command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "challenge_rules", *argv]


def test_a_closed_pipe_stops_quietly_without_exit_1() -> None:
    # As `challenge-rules validate hips | head -1` once the reader has gone.
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(  # noqa: S603 - our own command
            _command("validate", "hips", "dudley"),
            stdout=writer,
            stderr=subprocess.PIPE,
            check=False,
            timeout=120,
        )
    finally:
        os.close(writer)
    assert done.returncode == 141  # 128 + SIGPIPE, as a shell reports it
    assert done.stderr == b""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_an_output_that_cannot_be_written_is_a_problem_not_a_bug() -> None:
    with Path("/dev/full").open("wb") as full:
        done = subprocess.run(  # noqa: S603 - our own command
            _command("validate", "hips"),
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
            timeout=120,
        )
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "challenge-rules: <stdout>: cannot write: No space left on device\n"
    )


def test_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "diagram", "hips")
    assert status == 0
    assert out.startswith("flowchart TD")


def test_test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    path = "src/challenge_rules/policies/scenarios/dudley.json"
    status, out, _ = _run(capsys, "test", path, "--format", "json", "--coverage")
    assert status == 0
    report = json.loads(out)
    assert report["failed"] == 0
    assert report["files"][0]["uncovered_clauses"] == []


def test_test_reports_an_invalid_scenario_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "scenarios.json"
    bad.write_text('{"policy": "hips", "scenarios": []}', "utf-8")
    status, out, _ = _run(capsys, "test", str(bad))
    assert status == 1
    assert "/scenarios" in out


@pytest.mark.parametrize("block", [1, 2, 3, 256])
def test_json_lines_in_blocks_are_each_line_s_result_in_order(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    block: int,
) -> None:
    # Lines are evaluated a block at a time (evaluate_many, one call per policy):
    # the output is still line N's result on line N, whatever the block size.
    monkeypatch.setattr("challenge_rules.cli.JSONL_BLOCK", block)
    cases = [
        "examples/cases/pan-cheshire-step1-overdue.json",
        "examples/cases/pan-cheshire-manager-away.json",
        *sorted(str(p) for p in Path("examples/cases").glob("hips*.json"))[:2],
    ]
    documents = [json.loads(Path(case).read_text("utf-8")) for case in cases]
    early = copy.deepcopy(documents[0])
    early["events"] = [dict(e, at="2027-07-01T09:00:00+01:00") for e in early["events"]]
    texts = [json.dumps(d) for d in documents]
    lines = [texts[0], texts[2], "", json.dumps(early), "{x", texts[1], texts[3], texts[0]]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    as_of = "2027-03-01T09:00:00+00:00"  # after every example case's concern but early's
    status, out, _ = _run(capsys, "evaluate", "--jsonl", str(path), "--as-of", as_of)
    assert status == 1
    results = [json.loads(x) for x in out.splitlines()]
    assert [next(iter(r)) for r in results] == [
        *("reference", "reference", "skipped", "error", "error"),
        *("reference", "reference", "reference"),
    ]
    assert "after as_of" in results[3]["error"]["problems"][0]["message"]  # evaluate's refusal
    for number, (line, result) in enumerate(zip(lines, results, strict=True), 1):
        alone = tmp_path / "alone.jsonl"
        alone.write_text(line + "\n", "utf-8")
        _, out, _ = _run(capsys, "evaluate", "--jsonl", str(alone), "--as-of", as_of)
        expected = out.replace(f"{alone}:1", f"{path}:{number}")
        assert json.dumps(result) == json.dumps(json.loads(expected)), number


def test_one_out_of_range_line_in_a_batch_is_an_error_line_for_that_case_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As ../shared/repro/d1_overflow_mixed.jsonl: good, year 9999, broken JSON, good.
    good = json.loads(Path(CASE).read_text("utf-8"))
    far = copy.deepcopy(good)
    far["events"][-1]["at"] = "9999-12-31T23:59:59-14:00"
    lines = tmp_path / "cases.jsonl"
    lines.write_text("\n".join([json.dumps(good), json.dumps(far), "{x", json.dumps(good)]))
    status, out, _ = _run(capsys, "evaluate", "--jsonl", str(lines), "--as-of", AS_OF)
    assert status == 1
    results = [json.loads(x) for x in out.splitlines()]
    assert [next(iter(r)) for r in results] == ["reference", "error", "error", "reference"]
    (problem,) = results[1]["error"]["problems"]
    assert problem["pointer"] == f"/events/{len(far['events']) - 1}/at"
    assert problem["message"] == 'timestamp "9999-12-31T23:59:59-14:00" is out of range'


def test_an_out_of_range_as_of_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "evaluate", CASE, "--as-of", "0001-01-01T00:00:00+14:00")
    assert status == 2
    assert "is out of range" in err
