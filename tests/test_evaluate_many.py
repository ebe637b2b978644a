"""`evaluate_many` is `evaluate` of each case, with the shared work done once.

The property tests draw batches from `challenge_rules.testing.batches`: a
generated policy (tracks included), several histories under it, regular and
irregular, and one moment, so some histories begin after it and `evaluate`
refuses them.  Each result must equal what `evaluate` gives for that case, and
each refusal must be the error `evaluate` raises.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from challenge_rules import ChallengeRulesError, evaluate, evaluate_many, shipped_policy
from challenge_rules.errors import CalendarError, WrongArgument
from challenge_rules.testing import Batch, batches, histories, policies

if TYPE_CHECKING:
    from collections.abc import Sequence

    from challenge_rules.evaluation import Evaluation

BATCHES = batches(policies(with_tracks=True))


def plainly(batch: Batch) -> list[Evaluation | ChallengeRulesError]:
    """What `evaluate` gives (or raises) for each case of ``batch``, one call each."""
    found: list[Evaluation | ChallengeRulesError] = []
    for history in batch.histories:
        try:
            found.append(evaluate(batch.policy, history, batch.as_of))
        except ChallengeRulesError as error:
            found.append(error)
    return found


def same(got: object, expected: object) -> bool:
    """Equal results, or errors of the same class saying the same thing."""
    if isinstance(expected, ChallengeRulesError):
        return (
            type(got) is type(expected)
            and str(got) == str(expected)
            and getattr(got, "problems", None) == getattr(expected, "problems", None)
        )
    return got == expected


def assert_same(got: Sequence[object], expected: Sequence[object]) -> None:
    assert len(got) == len(expected)
    for index, (one, other) in enumerate(zip(got, expected, strict=True)):
        assert same(one, other), f"case {index}: {one!r} != {other!r}"


@settings(max_examples=150, deadline=None)
@given(BATCHES)
def test_equals_evaluate_of_each_case(batch: Batch) -> None:
    expected = plainly(batch)
    assert_same(evaluate_many(*batch, return_exceptions=True), expected)
    errors = [e for e in expected if isinstance(e, ChallengeRulesError)]
    if errors:
        with pytest.raises(type(errors[0])) as raised:
            evaluate_many(*batch)
        assert same(raised.value, errors[0])
    else:
        assert evaluate_many(*batch) == expected


@settings(max_examples=40, deadline=None)
@given(BATCHES, st.sampled_from(["naive", "out of range", "text"]))
def test_a_bad_moment_is_each_case_s_error(batch: Batch, how: str) -> None:
    if how == "naive":
        as_of: object = batch.as_of.replace(tzinfo=None)
    elif how == "out of range":
        as_of = batch.as_of.replace(year=2100, day=1)
    else:
        as_of = batch.as_of.isoformat()
    bad = Batch(batch.policy, batch.histories, as_of)  # type: ignore[arg-type]
    expected = plainly(bad)
    assert all(isinstance(e, (CalendarError, WrongArgument)) for e in expected)
    assert_same(evaluate_many(*bad, return_exceptions=True), expected)


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_a_value_that_is_no_history_is_refused_in_its_place(data: st.DataObject) -> None:
    policy = shipped_policy("hips")
    history = data.draw(histories(policy, max_events=5))
    as_of = max(e.at for e in history.events)
    given_: list[Any] = [history, {"reference": "not a history"}, history]
    results = evaluate_many(policy, given_, as_of, return_exceptions=True)
    assert results[0] == results[2] == evaluate(policy, history, as_of)
    assert isinstance(results[1], WrongArgument)
    with pytest.raises(WrongArgument):
        evaluate_many(policy, given_, as_of)


def test_no_policy_is_every_case_s_error() -> None:
    not_a_policy: Any = "hips"
    not_histories: Any = [object(), object()]
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    results = evaluate_many(not_a_policy, not_histories, moment, return_exceptions=True)
    assert [type(r) for r in results] == [WrongArgument, WrongArgument]
    assert all("policy" in str(r) for r in results)


def test_an_empty_batch_is_an_empty_list() -> None:
    assert evaluate_many(shipped_policy("hips"), [], datetime(2026, 1, 1, tzinfo=UTC)) == []
