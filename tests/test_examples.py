"""The worked examples in examples/cases, and the README's main command and snippet, as tests.

Each example shows one main situation; the table below says what the
evaluation must show at the moment the docs use, so that the examples (and
what the docs say of them) cannot drift from what the library does.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from challenge_rules import evaluate, load_history, shipped_policy
from challenge_rules.report import render_text

REPO = Path(__file__).parents[1]
CASES = REPO / "examples" / "cases"

# example: (as_of, status, stage, actions that must be required, breaches that must be found)
EXAMPLES = {
    "pan-cheshire-step1-overdue": (
        "2026-06-22T09:00:00+01:00",
        "open",
        "step-1",
        {"stage:step-1"},
        {"stage:step-1"},
    ),
    "pan-cheshire-significant-harm": (
        "2026-03-02T15:00:00+00:00",
        "open",
        "practitioners",
        {"urgent:significant-harm-front-door:contact-front-door", "stage:practitioners"},
        set(),
    ),
    "pan-cheshire-manager-away": (
        "2026-04-07T09:00:00+01:00",
        "open",
        "step-1",
        {"stage:step-1", "escalate:practitioners"},
        set(),
    ),
    "pan-cheshire-dsl-is-line-manager": (
        "2026-05-18T09:00:00+01:00",
        "open",
        "step-2",
        {"stage:step-2", "support:dsl-is-line-manager-school:raising"},
        set(),
    ),
    "hips-resolved-at-stage-3": (
        "2027-01-06T09:00:00+00:00",
        "resolved",
        "stage-3",
        {"duty:feed-back-stage-3@stage-3:raising"},
        {"stage:stage-2", "stage:stage-3"},
    ),
    "hips-systemic-issue": (
        "2026-09-14T12:00:00+01:00",
        "not_applicable",
        None,
        {"redirect:systemic"},
        set(),
    ),
    "darlington-adult-agreed-timescale": (
        "2026-10-08T09:00:00+01:00",
        "open",
        "stage-2",
        {"stage:stage-2"},
        {"stage:stage-2"},
    ),
}


def test_every_example_is_in_the_table() -> None:
    assert {path.stem for path in CASES.glob("*.json")} == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example(name: str) -> None:
    as_of, status, stage, actions, breaches = EXAMPLES[name]
    history = load_history(CASES / f"{name}.json")
    assert history.policy is not None
    evaluation = evaluate(shipped_policy(history.policy), history, datetime.fromisoformat(as_of))
    assert evaluation.status == status
    assert evaluation.stage == stage
    assert actions <= {a.id for a in evaluation.actions}
    assert breaches <= {b.id for b in evaluation.breaches}
    assert evaluation.warnings == ()
    assert render_text(evaluation).startswith(f"Case {history.reference} under policy")


def _readme_command() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if "challenge-rules evaluate examples/" in x)
    # The set-up command ends by running the CLI from the venv; run that part here.
    return shlex.split(re.sub(r"^.*?\.venv/bin/challenge-rules ", "", line))


def test_the_readme_main_command_runs_and_reports_the_overdue_step() -> None:
    arguments = _readme_command()
    assert arguments[0] == "evaluate"
    done = subprocess.run(  # noqa: S603 - our own CLI, with the README's own arguments
        [sys.executable, "-m", "challenge_rules", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Status: open; current stage: Step 1" in done.stdout
    # Notified Wed 10 June: due end of Wed 17 June; late Thu 18, Fri 19, Mon 22.
    assert "due end of Wed 17 Jun 2026" in done.stdout
    assert "3 working days late, still outstanding" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_readme_python_snippet_runs_and_prints_the_overdue_step(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    snippets = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert len(snippets) == 1
    monkeypatch.chdir(REPO)  # its paths are the ones a reader types from the clone
    exec(compile(snippets[0], "README.md", "exec"), {})  # noqa: S102 - the README's own code
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("The line manager discusses the concerns")
    assert "| due: 2026-06-17 |" in printed[0]  # the end of Wed 17 June, the last day on time
    assert any("| due: no timescale |" in line for line in printed)
    assert printed[-1].endswith("3 working days late")


def test_the_json_lines_mode_evaluates_every_example_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from challenge_rules.cli import main  # noqa: PLC0415

    lines = tmp_path / "cases.jsonl"
    names = sorted(EXAMPLES)
    lines.write_text(
        "\n".join(json.dumps(json.loads((CASES / f"{n}.json").read_text("utf-8"))) for n in names)
        + "\n",
        encoding="utf-8",
    )
    assert main(["evaluate", "--jsonl", str(lines), "--as-of", "2027-02-01T09:00:00+00:00"]) == 0
    results = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["reference"] for r in results] == [
        load_history(CASES / f"{n}.json").reference for n in names
    ]
