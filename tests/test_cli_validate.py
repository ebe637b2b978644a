"""``challenge-rules validate``: every problem of every file, located, and never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from challenge_rules import cli
from challenge_rules.cli import main
from challenge_rules.errors import UnknownPolicy
from challenge_rules.loading import shipped_policies

POLICIES = Path(__file__).parent / "policies"
BROKEN = POLICIES / "broken"
MINIMAL = POLICIES / "minimal.json"
EXPECTED: dict[str, list[dict[str, str]]] = json.loads(
    (BROKEN / "expected.json").read_text(encoding="utf-8")
)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_every_broken_file_has_expectations_and_the_reverse():
    files = {p.name for p in BROKEN.glob("*.json")} - {"expected.json"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_policy_on_the_command_line(capsys, name):
    path = str(BROKEN / name)
    status, out, err = run(capsys, "validate", path)
    expected = EXPECTED[name]
    invalid = any(e.get("severity", "error") == "error" for e in expected)
    assert status == (1 if invalid else 0)
    assert err == ""
    assert "Traceback" not in out
    lines = out.splitlines()
    for entry in expected:
        prefix = "warning: " if entry.get("severity") == "warning" else ""
        located = f"{prefix}{path}: {entry['pointer'] or '/'}: "
        assert any(line.startswith(located) and entry["message"] in line for line in lines), (
            f"no line starts {located!r} and contains {entry['message']!r}:\n{out}"
        )
    assert (
        lines[-1] == f"checked 1 file: {0 if invalid else 1} valid, {1 if invalid else 0} invalid"
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_policy_as_json(capsys, name):
    path = str(BROKEN / name)
    status, out, _ = run(capsys, "validate", "--format", "json", path)
    report = json.loads(out)
    (entry,) = report["files"]
    assert entry["file"] == path
    assert entry["valid"] is (status == 0)
    for problem in entry["problems"]:
        assert problem["source"] == path
        assert set(problem) == {
            "severity",
            "source",
            "pointer",
            "event",
            "message",
            "expected",
            "hint",
        }


def test_valid_policy(capsys):
    status, out, err = run(capsys, "validate", str(MINIMAL))
    assert (status, err) == (0, "")
    assert out.splitlines() == [f"{MINIMAL}: valid", "checked 1 file: 1 valid, 0 invalid"]


def test_all_files_are_reported_at_once(capsys):
    files = [
        str(MINIMAL),
        str(BROKEN / "missing-required.json"),
        str(BROKEN / "many-problems.json"),
    ]
    status, out, _ = run(capsys, "validate", *files)
    assert status == 1
    assert f"{files[1]}: invalid (1 error)" in out
    assert f"{files[2]}: invalid (3 errors)" in out
    assert out.splitlines()[-1] == "checked 3 files: 1 valid, 2 invalid"


def test_warnings_do_not_fail(capsys):
    path = str(BROKEN / "warning-no-timescale.json")
    status, out, _ = run(capsys, "validate", path)
    assert status == 0
    assert f"{path}: valid (2 warnings)" in out
    assert all(line.startswith("warning: ") for line in out.splitlines()[:2])


def test_missing_file_is_a_problem_of_that_file(capsys, tmp_path):
    missing = str(tmp_path / "nowhere.json")
    status, out, err = run(capsys, "validate", missing, str(MINIMAL))
    assert (status, err) == (1, "")
    assert f"{missing}: /: file not found" in out


def test_folder_is_a_problem(capsys, tmp_path):
    # A folder is read as a policy's versions (see test_versions.py): an empty one is a problem.
    status, out, _ = run(capsys, "validate", str(tmp_path))
    assert status == 1
    assert "the folder holds no policy files" in out


def test_too_large_file(capsys, tmp_path):
    big = tmp_path / "big.json"
    with big.open("wb") as stream:
        stream.truncate(20 * 1024 * 1024 + 1)
    status, out, _ = run(capsys, "validate", str(big))
    assert status == 1
    assert "the file is too large (expected at most 20 MB)" in out


def test_shipped_policy_id(capsys):
    for policy_id in shipped_policies():
        status, out, _ = run(capsys, "validate", policy_id)
        assert status == 0, out
        assert out.splitlines()[-1] == "checked 1 file: 1 valid, 0 invalid"


def test_an_id_or_a_path_is_told_by_the_text_not_the_working_directory(
    capsys, tmp_path, monkeypatch
):
    (tmp_path / "hips").write_text("{}", encoding="utf-8")  # a file named like an id
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "validate", "hips")
    assert status == 0, out  # the shipped policy
    status, out, _ = run(capsys, "validate", "./hips")
    assert status == 1
    assert './hips: /: missing property "id"' in out


def test_unknown_policy_id(capsys):
    status, out, _ = run(capsys, "validate", "no-such-policy")
    assert status == 1
    assert 'no-such-policy: /: no file, folder or shipped policy is called "no-such-policy"' in out


def test_history_kind(capsys, tmp_path):
    history = {
        "reference": "CASE-1",
        "events": [
            {"kind": "risk_assessed", "id": "e1", "at": "2026-06-08T09:30:00", "level": "high"},
            {"kind": "risk_assessed", "id": "e1", "at": "2026-06-08T09:30:00Z", "level": "high"},
        ],
    }
    path = tmp_path / "case.json"
    path.write_text(json.dumps(history), encoding="utf-8")
    status, out, _ = run(capsys, "validate", "--kind", "history", str(path))
    assert status == 1
    assert f"{path}: /events/0/at: event 'e1': timestamp" in out
    path.write_text(json.dumps({"reference": "CASE-1", "events": []}), encoding="utf-8")
    assert run(capsys, "validate", "--kind", "history", str(path))[0] == 0


@pytest.mark.parametrize(
    "argv",
    [[], ["validate"], ["frobnicate"], ["validate", "--format", "xml", "x.json"], ["--bogus"]],
)
def test_usage_errors_exit_2(capsys, argv):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.startswith("usage: challenge-rules")


def test_help_exits_0(capsys):
    status, out, _ = run(capsys, "validate", "--help")
    assert status == 0
    assert "validate" in out


def test_unexpected_exception_is_one_line_and_exit_70(capsys, monkeypatch):
    def explode(name: str, kind: str) -> tuple[()]:
        raise ZeroDivisionError

    monkeypatch.setattr(cli, "_check_file", explode)
    status, out, err = run(capsys, "validate", str(MINIMAL))
    assert status == 70
    assert "Traceback" not in out + err
    assert err.count("\n") == 1
    assert "internal error (ZeroDivisionError)" in err


def test_library_errors_are_reported_not_raised(capsys, monkeypatch):
    def refuse(name: str, kind: str) -> tuple[()]:
        raise UnknownPolicy(policy_id="x", available=())

    monkeypatch.setattr(cli, "_check_file", refuse)
    status, _, err = run(capsys, "validate", "x")
    assert status == 1
    assert err.startswith("challenge-rules: no shipped policy has the id 'x'")


def test_python_dash_m(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"id": ')
    result = subprocess.run(  # noqa: S603 - runs this interpreter on this package
        [sys.executable, "-m", "challenge_rules", "validate", str(bad), str(MINIMAL)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{bad}: /: JSON syntax error at line 1, column 8" in result.stdout
