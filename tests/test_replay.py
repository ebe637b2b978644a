"""`challenge_rules.replay` and `challenge-rules replay`: a new version over a caseload."""

from __future__ import annotations

import importlib.resources
import io
import json
from datetime import datetime
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import given

from challenge_rules.calendar import Timescale
from challenge_rules.cli import main
from challenge_rules.errors import InvalidCaseload, InvalidInput
from challenge_rules.loading import shipped_policy
from challenge_rules.replay import CaseFailure, CaseReplay, ReplayCounts, read_cases, replay
from challenge_rules.testing import cases

if TYPE_CHECKING:
    from pathlib import Path

    from challenge_rules.testing import Case

AS_OF = datetime.fromisoformat("2026-06-22T09:00:00+01:00")
CONCERN = {
    "kind": "concern_raised",
    "id": "e1",
    "at": "2026-06-08T10:00:00+01:00",
    "raising": {"role": "practitioner", "agency": "School"},
    "receiving": {"role": "practitioner", "agency": "Health visiting"},
    "area": "halton",
}
AT_STEP_1 = [
    CONCERN,
    {
        "kind": "discussion_held",
        "id": "e2",
        "at": "2026-06-09T10:00:00+01:00",
        "stage": "practitioners",
        "outcome": "unresolved",
    },
]


def _shorter_step_1():
    old = shipped_policy("pan-cheshire")
    stages = list(old.stages)
    stages[1] = attrs.evolve(stages[1], timescale=Timescale("working_days", 3))
    return old, attrs.evolve(old, stages=tuple(stages), version="2024.2")


@given(cases())
def test_replaying_a_policy_against_itself_changes_nothing(case: Case) -> None:
    [result] = replay([("drawn", case.history)], case.policy, case.policy, case.as_of)
    assert isinstance(result, CaseReplay)
    assert result.differences == ()


def _lines(tmp_path: Path, *documents: object) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text(
        "\n".join(d if isinstance(d, str) else json.dumps(d) for d in documents) + "\n",
        encoding="utf-8",
    )
    return path


def test_a_shorter_timescale_moves_a_due_date_and_makes_a_breach(tmp_path: Path) -> None:
    old, new = _shorter_step_1()
    path = _lines(
        tmp_path,
        {"reference": "late-now", "events": AT_STEP_1},
        {"reference": "fresh", "events": [CONCERN | {"at": "2026-06-15T08:00:00+01:00"}]},
    )
    # Step 1 began on Tue 9 June: due by Tue 16 June, or by Fri 12 June under the new version.
    results = list(
        replay(read_cases(path), old, new, datetime.fromisoformat("2026-06-15T09:00+01:00"))
    )
    changed, unchanged = results
    assert isinstance(changed, CaseReplay)
    assert isinstance(unchanged, CaseReplay)
    assert changed.source == f"{path}:1"
    assert {(d.aspect, d.kind, d.id) for d in changed.differences} == {
        ("action", "changed", "stage:step-1"),
        ("breach", "added", "stage:step-1"),
    }
    assert not unchanged.changed
    counts = ReplayCounts()
    for result in results:
        counts = counts.add(result)
    assert (counts.cases, counts.changed, counts.unchanged, counts.failed) == (2, 1, 1, 0)
    assert dict(counts.by_aspect)["breach"] == 1


def test_bad_lines_are_located_and_the_rest_still_run(tmp_path: Path) -> None:
    old, new = _shorter_step_1()
    path = _lines(
        tmp_path,
        "{not json",
        "[1, 2]",
        {"reference": "ok", "events": AT_STEP_1},
        {"reference": "wrong-stage", "events": [CONCERN, AT_STEP_1[1] | {"stage": "nope"}]},
    )
    results = list(replay(read_cases(path), old, new, AS_OF))
    assert [type(r) for r in results] == [CaseFailure, CaseFailure, CaseReplay, CaseFailure]
    assert str(results[0]).startswith(f"{path}:1: could not replay")
    assert f"{path}:2" in str(results[1])
    assert "under pan-cheshire 2024.1" in str(results[3])
    assert "/events/1/stage" in str(results[3])


def test_a_folder_of_history_files(tmp_path: Path) -> None:
    old, new = _shorter_step_1()
    for name in ("b", "a"):
        document = {"reference": name, "events": AT_STEP_1}
        (tmp_path / f"{name}.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "c.json").write_text("{", encoding="utf-8")
    results = list(replay(read_cases(tmp_path), old, new, AS_OF))
    assert [r.source.rsplit("/", 1)[-1] for r in results] == ["a.json", "b.json", "c.json"]
    assert isinstance(results[2], CaseFailure)


def test_a_missing_caseload_is_refused_and_never_counted_as_a_case(tmp_path: Path) -> None:
    with pytest.raises(InvalidCaseload, match=r"none\.jsonl: /: file not found"):
        list(read_cases(tmp_path / "none.jsonl"))


def test_a_folder_without_histories_is_refused_not_silently_empty(tmp_path: Path) -> None:
    with pytest.raises(InvalidCaseload, match="holds no history files"):
        list(read_cases(tmp_path))


def test_a_line_that_is_not_utf8_is_that_lines_problem_only(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    good = json.dumps({"reference": "late-now", "events": AT_STEP_1}).encode()
    path.write_bytes(b'{"reference": "caf\xe9"}\n' + good + b"\n")
    [(first, error), (second, history)] = list(read_cases(path))
    assert first.endswith("cases.jsonl:1")
    assert isinstance(error, InvalidInput)
    assert "UTF-8" in str(error)
    assert second.endswith("cases.jsonl:2")
    assert not isinstance(history, InvalidInput)


def test_the_command_refuses_a_missing_caseload_without_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["replay", str(tmp_path / "none.jsonl"), "--policy", "pan-cheshire"]
    status = main([*args, "--against", "pan-cheshire", "--as-of", AS_OF.isoformat()])
    captured = capsys.readouterr()
    assert status == 1
    assert "none.jsonl: /: file not found" in captured.err
    assert "replayed" not in captured.out


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    newer = tmp_path / "new.json"
    shipped = importlib.resources.files("challenge_rules") / "policies" / "pan-cheshire.json"
    data = json.loads(shipped.read_text(encoding="utf-8"))
    data["stages"][1]["timescale"]["amount"] = 3
    newer.write_text(json.dumps(data), encoding="utf-8")
    path = _lines(tmp_path, {"reference": "late-now", "events": AT_STEP_1}, "oops")
    args = [
        "replay",
        str(path),
        "--policy",
        "pan-cheshire",
        "--against",
        str(newer),
        "--as-of",
        AS_OF.isoformat(),
    ]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "late-now" in captured.out
    assert "2 cases: 1 would change, 0 unchanged, 1 could not be replayed" in captured.out
    assert f"{path}:2" in captured.err
    assert main([*args, "--format", "json"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["changed"] is True
    assert "error" in lines[1]
    assert lines[-1]["summary"]["changed"] == 1


def test_cases_from_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = json.dumps({"reference": "from-stdin", "events": AT_STEP_1}) + "\n\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    args = ["replay", "-", "--policy", "pan-cheshire", "--against", "pan-cheshire"]
    assert main([*args, "--as-of", AS_OF.isoformat(), "--format", "json"]) == 0
    [case, summary] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert case["source"] == "<stdin>:1"
    assert case["changed"] is False
    assert summary["summary"] == {
        "as_of": AS_OF.isoformat(),
        "cases": 1,
        "changed": 0,
        "unchanged": 1,
        "failed": 0,
        "by_aspect": dict.fromkeys(("status", "stage", "urgent", "action", "breach"), 0),
    }


def test_without_as_of_the_summary_says_which_moment_was_used(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        "sys.stdin",
        io.TextIOWrapper(io.BytesIO(json.dumps({"reference": "r", "events": AT_STEP_1}).encode())),
    )
    args = ["replay", "-", "--policy", "pan-cheshire", "--against", "pan-cheshire"]
    assert main([*args, "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]
    assert datetime.fromisoformat(summary["as_of"]).utcoffset() is not None
