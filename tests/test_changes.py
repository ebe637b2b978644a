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

from challenge_rules import InvalidInput, evaluate, load_history, load_policy, shipped_policy
from challenge_rules.changes import ChangeKind, changes, compare, render_text, to_json
from challenge_rules.cli import EXIT_INVALID, EXIT_OK, main
from challenge_rules.report import to_json as evaluation_json
from challenge_rules.schemas import validate_document
from challenge_rules.testing import Case, cases, policies

if TYPE_CHECKING:
    from challenge_rules.evaluation import Evaluation
    from challenge_rules.policy import Policy

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
    soon = {a.id for a in before.actions if a.due_soon}
    assert by_kind[ChangeKind.DUE_SOON] == {a.id for a in after.actions if a.due_soon} - soon
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
    warned: list[str] = []
    for before, after in pairwise(evaluations):
        found = changes(before, after)
        sent.extend(c.key for c in found if c.change is ChangeKind.BREACHED)
        warned.extend(c.key for c in found if c.change is ChangeKind.DUE_SOON)
    assert len(sent) == len(set(sent))
    # With time alone (no event dated later taking effect), an action is due soon for one
    # span, then late: one warning. A later-dated event may move its deadline.
    if case.as_of >= max(event.at for event in case.history.events):
        assert len(warned) == len(set(warned))
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


def test_the_cli_names_an_error_line_of_evaluate_jsonl_as_such(tmp_path: Path, capsys) -> None:
    # What `evaluate --jsonl` writes for a case it could not evaluate, given to
    # `changes` in place of an evaluation: named for what it is, not as an
    # evaluation missing a dozen properties.
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"reference": "CASE-1", "events": []}\n', "utf-8")
    assert main(["evaluate", "--jsonl", str(cases), "--policy", "pan-cheshire"]) != EXIT_OK
    error_line = capsys.readouterr().out.splitlines()[0]
    assert '"error"' in error_line
    (tmp_path / "failed.json").write_text(error_line, "utf-8")
    before, _ = example()
    (tmp_path / "before.json").write_text(json.dumps(evaluation_json(before)), "utf-8")
    args = ["changes", str(tmp_path / "before.json"), str(tmp_path / "failed.json")]
    assert main(args) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "failed.json: /error: this is the record of a case that could not be evaluated" in err
    assert "cases.jsonl:1, 1 problem recorded)" in err
    assert "required" not in err


# --- due soon, and line managers --------------------------------------------------------

DUE_SOON = json.loads((ROOT / "tests/policies/due-soon.json").read_text(encoding="utf-8"))
CONCERN = {
    "kind": "concern_raised",
    "id": "e1",
    "at": "2024-03-04T10:00:00+00:00",
    "raising": {"role": "practitioner", "agency": "Example Primary School"},
    "receiving": {"role": "practitioner", "agency": "Example children's social care"},
}


def _managed(tell: list[str]) -> Policy:
    document = json.loads(json.dumps(DUE_SOON))
    for role in document["roles"]:
        if role["id"] == "practitioner":
            role["line_manager"] = "line_manager"
    document["tell_line_managers"] = tell
    return load_policy(document)


def _due_soon_pair(policy: Policy) -> tuple[Evaluation, Evaluation]:
    history = load_history({"reference": "C-1", "events": [CONCERN]})
    at = datetime.fromisoformat
    return (
        evaluate(policy, history, at("2024-03-06T05:00:00+00:00")),
        evaluate(policy, history, at("2024-03-06T07:00:00+00:00")),
    )


def test_an_action_entering_its_window_is_one_due_soon_change() -> None:
    before, after = _due_soon_pair(_managed([]))
    (change,) = changes(before, after)
    assert change.key == "due_soon:stage:practitioners"
    assert change.line_managers == ()
    later = evaluate(
        _managed([]),
        load_history({"reference": "C-1", "events": [CONCERN]}),
        datetime.fromisoformat("2024-03-06T10:00:01+00:00"),
    )
    assert [c.key for c in changes(after, later)] == ["breached:stage:practitioners"]


def test_line_managers_are_told_of_the_changes_the_policy_names() -> None:
    policy = _managed(["due_soon"])
    before, after = _due_soon_pair(policy)
    (change,) = changes(before, after, policy=policy)
    managers = [(a.role, a.side.value, a.agency) for a in change.line_managers]
    assert managers == [
        ("line_manager", "raising", "Example Primary School"),
        ("line_manager", "receiving", "Example children's social care"),
    ]
    assert [a.role_name for a in change.line_managers] == ["Line manager"] * 2
    assert "tell: Practitioner" in render_text(compare(before, after, policy=policy))
    assert "Line manager (Example Primary School)" in render_text(
        compare(before, after, policy=policy)
    )
    # Not for other kinds of change, nor without the policy.
    (untold,) = changes(before, after, policy=_managed(["breached"]))
    assert untold.line_managers == ()
    assert changes(before, after)[0].line_managers == ()
    data = to_json(compare(before, after, policy=policy))
    assert validate_document(data, "changes") == ()
    assert data["changes"][0]["line_managers"][0]["role"] == "line_manager"


def test_a_policy_other_than_the_evaluations_is_refused() -> None:
    before, after = example()
    with pytest.raises(InvalidInput) as raised:
        changes(before, after, policy=_managed([]))
    assert [p.pointer for p in raised.value.problems] == ["/policy"]


def test_the_cli_tells_line_managers_from_the_policy_given(tmp_path: Path, capsys) -> None:
    policy = _managed(["due_soon"])
    document = json.loads(json.dumps(DUE_SOON))
    document["roles"] = [
        {**role, "line_manager": "line_manager"} if role["id"] == "practitioner" else role
        for role in document["roles"]
    ]
    document["tell_line_managers"] = ["due_soon"]
    (tmp_path / "policy.json").write_text(json.dumps(document), "utf-8")
    paths = []
    for name, evaluation in zip(("before", "after"), _due_soon_pair(policy), strict=True):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(evaluation_json(evaluation)), "utf-8")
        paths.append(str(path))
    assert main(["changes", *paths, "--format", "json"]) == EXIT_OK
    (alone,) = json.loads(capsys.readouterr().out)["changes"]
    assert alone["key"] == "due_soon:stage:practitioners"
    assert alone["line_managers"] == []
    policy_path = str(tmp_path / "policy.json")
    assert main(["changes", *paths, "--policy", policy_path, "--format", "json"]) == EXIT_OK
    (told,) = json.loads(capsys.readouterr().out)["changes"]
    assert [a["role"] for a in told["line_managers"]] == ["line_manager", "line_manager"]


def test_the_changes_a_policy_may_tell_line_managers_of_are_the_change_kinds() -> None:
    from typing import get_args  # noqa: PLC0415

    from challenge_rules.policy import NotifiedChange  # noqa: PLC0415
    from challenge_rules.schemas import policy_schema  # noqa: PLC0415

    kinds = [kind.value for kind in ChangeKind]
    assert list(get_args(NotifiedChange)) == kinds
    assert policy_schema()["properties"]["tell_line_managers"]["items"]["enum"] == kinds
    schema = json.loads((ROOT / "schemas/changes.schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["change"]["properties"]["change"]["enum"] == kinds
