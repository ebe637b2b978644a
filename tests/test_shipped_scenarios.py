"""The scenario files shipped with each policy pass, and cover every rule clause.

`src/challenge_rules/policies/scenarios/<policy>.json` holds one policy's
scenarios: short case histories with the actions, due dates and breaches the
procedure demands, counted by hand from the source documents. They are run
here exactly as a policy author runs their own, with `run_file` and with
``challenge-rules test``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import challenge_rules
from challenge_rules.cli import main
from challenge_rules.loading import policy_from_reference, shipped_policy
from challenge_rules.scenarios import (
    render_outcome,
    rule_clauses,
    run_document,
    run_file,
    uncovered_clauses,
)

POLICIES = Path(challenge_rules.__file__).parent / "policies"
SCENARIO_FILES = sorted((POLICIES / "scenarios").glob("*.json"))
SHIPPED_POLICIES = sorted(p.stem for p in POLICIES.glob("*.json"))


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_there_are_scenario_files() -> None:
    assert SCENARIO_FILES, f"no scenario files in {POLICIES / 'scenarios'}"


@pytest.mark.parametrize("policy_id", SHIPPED_POLICIES)
def test_every_shipped_policy_has_its_scenario_file(policy_id: str) -> None:
    path = POLICIES / "scenarios" / f"{policy_id}.json"
    assert path.is_file(), f"{policy_id} has no scenario file at {path}"
    assert json.loads(path.read_text(encoding="utf-8"))["policy"] == policy_id


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_ids(SCENARIO_FILES))
def test_shipped_scenarios_pass(path: Path) -> None:
    result = run_file(path)
    assert result.outcomes, f"{path.name} has no scenarios"
    assert result.passed, "\n" + render_outcome(result)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_ids(SCENARIO_FILES))
def test_shipped_scenarios_cover_every_rule_clause(path: Path) -> None:
    result = run_file(path)
    policy = policy_from_reference(result.policy)
    assert rule_clauses(policy), f"{policy.id} has no rule clauses to cover"
    assert uncovered_clauses(policy, result.outcomes) == ()


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_ids(SCENARIO_FILES))
def test_shipped_scenarios_name_only_real_clauses(path: Path) -> None:
    result = run_file(path)
    known = {c.id for c in policy_from_reference(result.policy).clauses}
    named = {c for o in result.outcomes for c in o.clauses}
    assert named - known == set()


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=_ids(SCENARIO_FILES))
def test_cli_passes_each_shipped_file(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test", str(path), "--coverage"])
    out = capsys.readouterr().out
    count = len(json.loads(path.read_text(encoding="utf-8"))["scenarios"])
    assert code == 0, out
    assert out.count("\nPASS ") + out.startswith("PASS ") == count
    assert "FAIL" not in out
    assert f"{path}: rule clauses no scenario names: none\n" in out
    assert out.endswith(f"{count} passed, 0 failed\n")


# --- a wrong expectation fails, and says how -------------------------------------

HIPS = POLICIES / "scenarios" / "hips.json"


def _hips_with_a_wrong_due_date() -> dict[str, Any]:
    document = json.loads(HIPS.read_text(encoding="utf-8"))
    wrong: dict[str, Any] = copy.deepcopy(document)
    first = wrong["scenarios"][0]
    assert first["expect"]["actions"][0] == {
        "id": "stage:stage-1",
        "due": "2026-03-11",
        "who": ["practitioner@raising", "line-manager@raising"],
        "kind": "stage",
        "stage": "stage-1",
    }
    first["expect"]["actions"][0]["due"] = "2026-03-12"
    first["expect"]["breaches"] = [{"id": "stage:stage-1", "due": "2026-03-11"}]
    return wrong


def test_a_wrong_expectation_fails_with_a_clear_difference() -> None:
    result = run_document(_hips_with_a_wrong_due_date(), path=HIPS, source="wrong.json")
    assert not result.passed
    failed = [o for o in result.outcomes if not o.passed]
    assert [o.index for o in failed] == [0]
    assert failed[0].differences == (
        "action stage:stage-1: due: expected 2026-03-12, got 2026-03-11",
        "missing breach: stage:stage-1 (got: none)",
    )
    report = render_outcome(result)
    assert f'FAIL wrong.json: scenario 1 "{failed[0].name}" (clauses: hips-stage-1)' in report
    assert "  - action stage:stage-1: due: expected 2026-03-12, got 2026-03-11" in report
    assert report.count("\nPASS wrong.json: ") == len(result.outcomes) - 1


def test_an_unexpected_action_fails() -> None:
    document = json.loads(HIPS.read_text(encoding="utf-8"))
    first = document["scenarios"][0]
    first["expect"]["actions"] = []
    result = run_document(document, path=HIPS, source="wrong.json")
    assert result.outcomes[0].differences == (
        "unexpected action: stage:stage-1 (" + shipped_policy("hips").stage("stage-1").action + ")",
    )


def test_cli_fails_a_wrong_expectation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "hips.scenarios.json"
    path.write_text(json.dumps(_hips_with_a_wrong_due_date(), indent=2), encoding="utf-8")
    code = main(["test", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f'FAIL {path}: scenario 1 "Stage 1: ')
    assert lines[0].endswith('" (clauses: hips-stage-1)')
    assert lines[1] == "  - action stage:stage-1: due: expected 2026-03-12, got 2026-03-11"
    assert lines[2] == "  - missing breach: stage:stage-1 (got: none)"
    total = len(_hips_with_a_wrong_due_date()["scenarios"])
    assert lines[-1] == f"{total - 1} passed, 1 failed"


def test_cli_reports_an_invalid_scenario_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(HIPS.read_text(encoding="utf-8"))
    document["scenarios"][0]["expect"]["status"] = "finished"
    path = tmp_path / "bad.scenarios.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code = main(["test", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "/scenarios/0/expect/status" in out
    assert out.endswith("0 passed, 0 failed\n")


def test_cli_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test"]) == 2
    assert "FILE" in capsys.readouterr().err


# --- what a scenario file cannot say: the LSCP contact for the case's area -------

# From the source (003_30820aea2e00492b.txt, Stage 5, "Contact details LSCPs").
LSCP_EMAILS = {
    "hampshire": "hscp@hants.gov.uk",
    "isle-of-wight": "scp@iow.gov.uk",
    "portsmouth": "pscp@portsmouth.gov.uk",
    "southampton": "Safeguarding.partnershipsteam@southampton.gov.uk",
}


def test_hips_stage_5_names_the_lscp_of_the_case_area() -> None:
    document = json.loads(HIPS.read_text(encoding="utf-8"))
    result = run_file(HIPS)
    seen: set[str] = set()
    for outcome in result.outcomes:
        assert outcome.evaluation is not None
        stage_5 = [a for a in outcome.evaluation.actions if a.id == "stage:stage-5"]
        if not stage_5:
            continue
        concern = document["scenarios"][outcome.index]["events"][0]
        assert concern["kind"] == "concern_raised"
        area = concern["area"]
        assert [c.email for c in stage_5[0].contacts] == [LSCP_EMAILS[area]], outcome.name
        seen.add(area)
    assert seen == set(LSCP_EMAILS), "a Stage 5 scenario is needed for every HIPS area"
