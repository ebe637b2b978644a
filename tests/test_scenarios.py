"""Scenario files: where the problems of the policy they name are reported."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from challenge_rules.errors import InvalidScenario
from challenge_rules.scenarios import run_file

if TYPE_CHECKING:
    from pathlib import Path

SCENARIO = {
    "name": "nothing yet",
    "as_of": "2026-06-22T09:00:00+01:00",
    "events": [],
    "expect": {},
}


def _scenario_file(tmp_path: Path, policy: str) -> Path:
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps({"policy": policy, "scenarios": [SCENARIO]}), encoding="utf-8")
    return path


def test_a_missing_policy_file_is_located_at_the_scenario_files_policy(tmp_path: Path) -> None:
    path = _scenario_file(tmp_path, "policies/missing.json")
    with pytest.raises(InvalidScenario) as raised:
        run_file(path)
    (problem,) = raised.value.problems
    assert (raised.value.source, problem.pointer) == (str(path), "/policy")
    assert str(tmp_path / "policies" / "missing.json") in problem.message


def test_an_invalid_policy_file_is_located_in_that_file(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"id": "broken"}', encoding="utf-8")
    with pytest.raises(InvalidScenario) as raised:
        run_file(_scenario_file(tmp_path, "broken.json"))
    assert {p.source for p in raised.value.problems} == {str(tmp_path / "broken.json")}
