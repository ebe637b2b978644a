"""Library errors: lookups by id raise `NotFound`, both a ChallengeRulesError and a KeyError."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from challenge_rules import (
    ChallengeRulesError,
    InvalidPolicy,
    NotFound,
    Problem,
    evaluate,
    load_history,
    shipped_policy,
)
from challenge_rules.errors import (
    InvalidCaseload,
    InvalidEvaluation,
    InvalidEvaluations,
    InvalidHistory,
    InvalidInput,
    InvalidJSON,
    InvalidJSONLine,
    InvalidPolicyDirectory,
    InvalidScenario,
)
from challenge_rules.schemas import validate_document

if TYPE_CHECKING:
    from collections.abc import Callable

CASE = "examples/cases/pan-cheshire-step1-overdue.json"
POLICY = shipped_policy("pan-cheshire")
EVALUATION = evaluate(
    POLICY, load_history(CASE), datetime.fromisoformat("2026-06-22T09:00:00+01:00")
)

LOOKUPS: dict[str, tuple[str, Callable[[str], object]]] = {
    "Policy.stage": ("stage", POLICY.stage),
    "Policy.clause": ("clause", POLICY.clause),
    "Policy.source": ("source", POLICY.source),
    "Evaluation.action": ("action", EVALUATION.action),
    "validate_document": ("schema", lambda name: validate_document({}, name)),
}


@pytest.mark.parametrize("lookup", sorted(LOOKUPS))
def test_an_unknown_id_is_a_library_error_and_a_key_error(lookup: str) -> None:
    kind, find = LOOKUPS[lookup]
    with pytest.raises(NotFound) as raised:
        find("no-such-id")
    error = raised.value
    assert isinstance(error, ChallengeRulesError)
    assert isinstance(error, KeyError)
    assert (error.kind, error.key) == (kind, "no-such-id")
    assert str(error).startswith(f"no {kind} has the id 'no-such-id'")


def test_the_message_lists_what_there_is() -> None:
    error = NotFound(kind="stage", key="x", available=("a", "b"))
    assert str(error) == "no stage has the id 'x' (expected one of: a, b)"
    many = NotFound(kind="stage", key="x", available=tuple(f"s{i}" for i in range(30)))
    assert str(many).endswith("s19, ...)")


def test_a_known_id_is_found() -> None:
    first = next(iter(POLICY.all_stages()))
    assert POLICY.stage(first.id) is first
    assert EVALUATION.action(EVALUATION.actions[0].id) is EVALUATION.actions[0]


def test_invalid_input_lists_errors_first_and_labels_warnings() -> None:
    warning = Problem(message="odd but allowed", path=("a",), severity="warning")
    errors = [Problem(message="wrong", path=("b",)), Problem(message="also wrong", path=("c",))]
    error = InvalidPolicy(problems=[warning, *errors], source="p.json")
    assert error.problems == (*errors, warning)
    assert str(error).splitlines() == [
        "invalid policy in p.json: 2 problems (and 1 warning)",
        "  p.json: /b: wrong",
        "  p.json: /c: also wrong",
        "  warning: p.json: /a: odd but allowed",
    ]


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        ((), ""),
        (("stages", 2, "timescale"), "/stages/2/timescale"),
        (("a/b", "m~n"), "/a~1b/m~0n"),
    ],
)
def test_a_problem_keeps_its_path_and_derives_the_pointer(
    path: tuple[str | int, ...], pointer: str
) -> None:
    problem = Problem(message="wrong", path=path)
    assert problem.path == path
    assert problem.pointer == pointer
    assert problem.as_dict()["pointer"] == pointer
    assert problem.under("cases", 0).path == ("cases", 0, *path)


KINDS: dict[type[InvalidInput], str] = {
    InvalidInput: "input",
    InvalidJSON: "JSON file",
    InvalidJSONLine: "JSON line",
    InvalidPolicy: "policy",
    InvalidPolicyDirectory: "policy directory",
    InvalidHistory: "case history",
    InvalidCaseload: "caseload",
    InvalidScenario: "scenario file",
    InvalidEvaluation: "evaluation",
    InvalidEvaluations: "pair of evaluations",
}


@pytest.mark.parametrize("cls", list(KINDS), ids=lambda cls: cls.__name__)
def test_the_kind_of_an_input_error_is_its_class(cls: type[InvalidInput]) -> None:
    error = cls(problems=[Problem(message="wrong")], source="f.json")
    assert error.kind == KINDS[cls]
    assert str(error).startswith(f"invalid {KINDS[cls]} in f.json: 1 problem")
