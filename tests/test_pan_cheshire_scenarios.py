"""Pan-Cheshire-specific scenario tests (my version; the shared tests/test_shipped_scenarios.py was
written by another engineer and left alone). Fold in if wanted."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import challenge_rules
from challenge_rules.cli import main
from challenge_rules.reading import read_json
from challenge_rules.scenarios import render_outcome, run_document, run_file

if TYPE_CHECKING:
    import pytest

PAN_CHESHIRE = (
    Path(challenge_rules.__file__).parent / "policies" / "scenarios" / "pan-cheshire.json"
)
EASTER_STEP_1 = "Step 1 across Easter: line manager notified Wednesday 1 April"
EASTER_DIFF = "action stage:step-1: due: expected 2026-04-13, got 2026-04-10"


def _make_step_1_due_wrong(document: dict[str, Any]) -> None:
    (scenario,) = [s for s in document["scenarios"] if s["name"].startswith(EASTER_STEP_1)]
    (action,) = [a for a in scenario["expect"]["actions"] if a["id"] == "stage:step-1"]
    assert action["due"] == "2026-04-10"
    action["due"] = "2026-04-13"


def _outcome(result, prefix):
    (found,) = [o for o in result.outcomes if o.name.startswith(prefix)]
    return found


def test_a_wrong_due_date_fails_with_a_diff_naming_the_action_and_both_dues() -> None:
    document = read_json(PAN_CHESHIRE)
    before = run_document(document, path=PAN_CHESHIRE, source=str(PAN_CHESHIRE))
    wrong = copy.deepcopy(document)
    _make_step_1_due_wrong(wrong)
    after = run_document(wrong, path=PAN_CHESHIRE, source=str(PAN_CHESHIRE))
    outcome = _outcome(after, EASTER_STEP_1)
    assert outcome.differences == (EASTER_DIFF,)
    assert f"  - {EASTER_DIFF}" in render_outcome(after)
    changed = [
        b.name for b, a in zip(before.outcomes, after.outcomes, strict=True) if b.passed != a.passed
    ]
    assert changed == [outcome.name]


def _passing() -> tuple[dict[str, Any], int]:
    document = read_json(PAN_CHESHIRE)
    passing = {o.index for o in run_file(PAN_CHESHIRE).outcomes if o.passed}
    kept = {
        **document,
        "scenarios": [s for i, s in enumerate(document["scenarios"]) if i in passing],
    }
    return kept, len(kept["scenarios"])


def test_cli_pass_and_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document, count = _passing()
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document), encoding="utf-8")
    assert main(["test", str(good)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{count} passed, 0 failed"
    _make_step_1_due_wrong(document)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    assert main(["test", str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"  - {EASTER_DIFF}" in out
    assert out[-1] == f"{count - 1} passed, 1 failed"


def test_pan_cheshire_actions_carry_the_areas_contacts_and_form() -> None:
    result = run_file(PAN_CHESHIRE)
    harm = _outcome(result, "Significant harm: contact the local authority").evaluation
    front_door = harm.action("urgent:significant-harm-front-door:contact-front-door")
    assert [(c.id, c.phone) for c in front_door.contacts] == [
        ("halton-icart", "0151 907 8305"),
        ("halton-edt", "0345 0500148"),
    ]
    step_3 = _outcome(result, "Step 3: due by the end of Day 19").evaluation
    form = step_3.action("duty:submit-appendix-a@step-3")
    assert form.forms == ("appendix-a",)
    assert [c.id for c in form.contacts] == ["warrington-scp"]
