"""What changed between two evaluations: properties over generated cases, and the CLI form."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from challenge_rules import InvalidInput, evaluate, load_history, shipped_policy
from challenge_rules.changes import ChangeKind, changes, compare, render_text, to_json
from challenge_rules.cli import EXIT_INVALID, EXIT_OK, main
from challenge_rules.report import to_json as evaluation_json
from challenge_rules.schemas import validate_document
from challenge_rules.testing import Case, cases, policies

if TYPE_CHECKING:
    from challenge_rules.evaluation import Evaluation

ROOT = Path(__file__).parent.parent
CASES = cases(policies(with_tracks=True))
LATER = st.lists(st.timedeltas(timedelta(0), timedelta(days=60)), min_size=1, max_size=5)


@given(CASES)
def test_an_evaluation_compared_with_itself_has_no_changes(case: Case) -> None:
    evaluation = evaluate(*case)
    assert changes(evaluation, evaluation) == ()


@given(CASES, LATER)
def test_keys_are_unique_and_each_change_is_what_its_kind_says(
    case: Case, later: list[timedelta]
) -> None:
    before = evaluate(*case)
    after = evaluate(case.policy, case.history, case.as_of + later[0])
    found = changes(before, after)
    keys = [change.key for change in found]
    assert len(keys) == len(set(keys))
    had = {a.id for a in before.actions}
    has = {a.id for a in after.actions}
    late = {b.id for b in before.breaches}
    by_kind = {kind: {c.action for c in found if c.change is kind} for kind in ChangeKind}
    assert by_kind[ChangeKind.APPEARED] == has - had
    assert by_kind[ChangeKind.DONE] == had - has
    assert by_kind[ChangeKind.BREACHED] == {b.id for b in after.breaches} - late
    for change in found:
        source = after.actions if change.change is not ChangeKind.DONE else before.actions
        items = [*source, *after.breaches] if change.change is ChangeKind.BREACHED else source
        assert change.who == next(i.who for i in items if i.id == change.action)
    assert validate_document(to_json(compare(before, after)), "changes") == ()


@given(CASES, LATER)
def test_over_time_each_breach_is_notified_exactly_once(case: Case, later: list[timedelta]) -> None:
    """Compare each evaluation with the one before: no breached key comes twice."""
    moments = [case.as_of + delta for delta in sorted(later)]
    evaluations = [evaluate(*case)] + [evaluate(case.policy, case.history, m) for m in moments]
    sent: list[str] = []
    for before, after in pairwise(evaluations):
        sent.extend(c.key for c in changes(before, after) if c.change is ChangeKind.BREACHED)
    assert len(sent) == len(set(sent))
    first, last = evaluations[0], evaluations[-1]
    assert {k.removeprefix("breached:") for k in sent} == (
        {b.id for b in last.breaches} - {b.id for b in first.breaches}
    )


def example() -> tuple[Evaluation, Evaluation]:
    history = load_history(ROOT / "examples/cases/pan-cheshire-step1-overdue.json")
    policy = shipped_policy("pan-cheshire")
    at = datetime.fromisoformat
    return (
        evaluate(policy, history, at("2026-06-12T09:00:00+01:00")),
        evaluate(policy, history, at("2026-06-30T09:00:00+01:00")),
    )


def test_a_deadline_passing_is_one_breach_to_tell_both_line_managers() -> None:
    before, after = example()
    (change,) = changes(before, after)
    assert change.key == "breached:stage:step-1"
    assert {a.role for a in change.who} == {"line-manager"}
    assert "breached:stage:step-1" in render_text(compare(before, after))


@pytest.mark.parametrize(
    ("field", "value", "pointer"),
    [("reference", "OTHER", "/reference"), ("policy", "hips", "/policy")],
)
def test_evaluations_of_different_cases_or_policies_are_refused(field, value, pointer) -> None:
    before, after = example()
    with pytest.raises(InvalidInput) as raised:
        changes(before, attrs.evolve(after, **{field: value}))
    assert [p.pointer for p in raised.value.problems] == [pointer]


def test_an_after_earlier_than_before_is_refused() -> None:
    before, after = example()
    with pytest.raises(InvalidInput) as raised:
        changes(after, before)
    assert raised.value.problems[0].hint == "swap the two evaluations"


def test_the_cli_compares_two_evaluation_files(tmp_path: Path, capsys) -> None:
    before, after = example()
    paths = []
    for name, evaluation in (("before", before), ("after", after)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(evaluation_json(evaluation)), "utf-8")
        paths.append(str(path))
    assert main(["changes", *paths, "--format", "json"]) == EXIT_OK
    printed = json.loads(capsys.readouterr().out)
    assert [c["key"] for c in printed["changes"]] == ["breached:stage:step-1"]
    assert main(["changes", *paths]) == EXIT_OK
    assert "tell: Line manager" in capsys.readouterr().out
    assert main(["changes", paths[1], paths[0]]) == EXIT_INVALID
    swapped = capsys.readouterr().err
    assert f"{paths[0]}: /as_of: the 'after' evaluation is earlier" in swapped
    assert f"BEFORE is {paths[1]}" in swapped
    (tmp_path / "bad.json").write_text('{"reference": 1}', "utf-8")
    assert main(["changes", paths[0], str(tmp_path / "bad.json")]) == EXIT_INVALID
    assert "bad.json" in capsys.readouterr().err
    # Past the schema, refused by the converter: still located, in the file.
    no_such_day = {**evaluation_json(after), "as_of": "2026-02-30T09:00:00+01:00"}
    (tmp_path / "day.json").write_text(json.dumps(no_such_day), "utf-8")
    assert main(["changes", paths[0], str(tmp_path / "day.json")]) == EXIT_INVALID
    assert "day.json: /as_of" in capsys.readouterr().err
