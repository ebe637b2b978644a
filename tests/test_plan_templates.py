"""A plan's memos (`Plan.addressees`, `Plan.actions`) change no result.

The plain path builds every action and every tuple of role holders afresh:
it is what the engine does with memos that never remember (a table whose
``found`` keeps nothing).  The property tests evaluate batches of cases under
one policy, generated and shipped, their concerns raised between the same
agencies in the same area (so they share the memos' keys), first that way,
then with the memos remembering, twice over (so later cases, and the second
pass, meet actions built for earlier ones), and the results must be equal,
field for field and in their text.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from challenge_rules import ChallengeRulesError, evaluate, shipped_policies, shipped_policy
from challenge_rules._plan import Memo, plan_for
from challenge_rules.history import CaseHistory, ConcernRaised
from challenge_rules.testing import Batch, batches, policies

if TYPE_CHECKING:
    from collections.abc import Iterator

    from challenge_rules._plan import Plan


class _Forgets(dict[Any, Any]):
    """A memo's table that keeps nothing: every value is built, as on the plain path."""

    def __setitem__(self, key: object, value: object) -> None:
        pass


@contextmanager
def plain(plan: Plan) -> Iterator[None]:
    """``plan`` with memos that never remember, for the duration."""
    kept = plan.addressees.found, plan.actions.found
    plan.addressees.found, plan.actions.found = _Forgets(), _Forgets()
    try:
        yield
    finally:
        plan.addressees.found, plan.actions.found = kept


def _results(batch: Batch) -> list[object]:
    found: list[object] = []
    for history in batch.histories:
        try:
            found.append(evaluate(batch.policy, history, batch.as_of))
        except ChallengeRulesError as error:
            found.append(type(error))
    return found


def _alike(batch: Batch) -> Batch:
    """``batch`` with every concern raised by and to the first one's agencies, in its area.

    Then the cases share the memos' keys (`challenge_rules._plan.PartyKey`) and meet
    the same items, each with its own events and deadlines.
    """
    first = _concern(batch.histories[0])
    return batch._replace(
        histories=tuple(
            attrs.evolve(
                history,
                events=tuple(
                    attrs.evolve(
                        event,
                        raising=attrs.evolve(event.raising, agency=first.raising.agency),
                        receiving=attrs.evolve(event.receiving, agency=first.receiving.agency),
                        area=first.area,
                        subject=first.subject,
                    )
                    if isinstance(event, ConcernRaised)
                    else event
                    for event in history.events
                ),
            )
            for history in batch.histories
        )
    )


def _concern(history: CaseHistory) -> ConcernRaised:
    return next(e for e in history.events if isinstance(e, ConcernRaised))


def _assert_memos_change_nothing(batch: Batch) -> None:
    batch = _alike(batch)
    plan = plan_for(batch.policy)
    with plain(plan):
        expected = _results(batch)
        assert not plan.actions.found
        assert not plan.addressees.found
    plan.actions.found.clear()
    plan.addressees.found.clear()
    for _ in range(2):  # cold, then every action a hit
        got = _results(batch)
        for index, (one, other) in enumerate(zip(got, expected, strict=True)):
            assert one == other, f"case {index}: {one!r} != {other!r}"
            # Equal values could still differ in what equality ignores: compare the text too.
            assert repr(one) == repr(other), f"case {index}"


@settings(max_examples=120, deadline=None)
@given(batches(policies(with_tracks=True), max_cases=8))
def test_memos_give_the_plain_results_under_generated_policies(batch: Batch) -> None:
    _assert_memos_change_nothing(batch)


@settings(max_examples=60, deadline=None)
@given(batches(st.sampled_from(shipped_policies()).map(shipped_policy), max_cases=8))
def test_memos_give_the_plain_results_under_shipped_policies(batch: Batch) -> None:
    _assert_memos_change_nothing(batch)


def test_a_memo_is_bounded() -> None:
    memo: Memo[int, str] = Memo(limit=3)
    for number in range(10):
        assert memo.keep(number, str(number)) == str(number)
        assert len(memo.found) <= 3
    assert memo.found[9] == "9"


def test_a_plans_memos_are_not_part_of_its_value() -> None:
    plan = plan_for(shipped_policy("hips"))
    assert "Memo" not in repr(plan)
    assert attrs.evolve(plan, actions=Memo(), addressees=Memo()) == plan
