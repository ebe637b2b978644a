"""A plan's memos (`Plan.addressees`, `Plan.actions`) and the duties' shortcuts change nothing.

The plain path builds every action and every tuple of role holders afresh,
and passes every duty occurrence and escalation through `Builder.add`, as
the engine did before its shortcuts: memos that never remember (a table
whose ``found`` keeps nothing), and the duty and escalation passes as they
were (kept below as the reference).  The property tests evaluate batches of cases under
one policy, generated and shipped, their concerns raised between the same
agencies in the same area (so they share the memos' keys), first that way,
then with the memos remembering, twice over (so later cases, and the second
pass, meet actions built for earlier ones), and the results must be equal,
field for field and in their text.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from challenge_rules import (
    ChallengeRulesError,
    evaluate,
    load_policy,
    shipped_policies,
    shipped_policy,
)
from challenge_rules import _obligations as ob
from challenge_rules._plan import NO_CLOCK, Memo, duty_item, plan_for
from challenge_rules._replay import discharging, lapsed_at, visit_at
from challenge_rules.evaluation import Evaluation
from challenge_rules.history import CaseHistory, ConcernRaised
from challenge_rules.policy import EventMatch
from challenge_rules.testing import Batch, batches, policies

if TYPE_CHECKING:
    from collections.abc import Iterator

    from challenge_rules._obligations import Builder
    from challenge_rules._plan import Plan
    from challenge_rules._replay import Reached


class _Forgets(dict[Any, Any]):
    """A memo's table that keeps nothing: every value is built, as on the plain path."""

    def __setitem__(self, key: object, value: object) -> None:
        pass


def _plain_duty_actions(builder: Builder) -> None:
    """The duties, each occurrence searched for and passed to `Builder.add` (the reference)."""
    case = builder.case
    items = case.plan.duty_items
    clocks = case.plan.duty_clocks
    counts: dict[str, int] = {}
    for duty, at, side, stage, by in case.occurrences:
        read = clocks.get(duty.id, NO_CLOCK)
        done = discharging(case, duty.discharged_by, at, stage, side)
        if duty.lapses is not None:
            lapsed = lapsed_at(case, stage, at)
            done = ob._before_lapse(done, lapsed[0])
            done_at, done_by = lapsed if done is None else (done.at, done.id)
        else:
            done_at, done_by = (None, None) if done is None else (done.at, done.id)
        item = items.get((duty.id, stage, side)) or duty_item(duty, stage, side)
        if stage is not None:
            item = builder.on_route(item, visit_at(case, stage, at))
        count = counts[item.id] = counts.get(item.id, 0) + 1
        if count > 1:
            item = item._replace(id=f"{item.id}#{count}")
        due = None
        if read.timescale is not None:
            due = ob._item_due(case, duty, f'duty "{duty.id}"', at, read.timescale)
        builder.add(
            item,
            due,
            done_at,
            urgent=read.urgent,
            severity=read.severity,
            started_by=by,
            ended_by=done_by,
        )


def _plain_escalation_action(
    builder: Builder, previous: Reached, reached: Reached, following: Reached | None
) -> None:
    """The escalation out of ``previous``, done by the first of its events (the reference)."""
    escalation = previous.stage.on_unresolved
    if escalation is None:
        return
    case = builder.case
    since = previous.concluded_at or reached.entered_at
    discussion = discharging(
        case, EventMatch(kind="discussion_held"), since, reached.stage.id, None
    )
    done = [
        (reached.escalated_at, reached.escalated_by),
        (None, None) if following is None else (following.entered_at, following.entered_by),
        (None, None) if discussion is None else (discussion.at, discussion.id),
    ]
    done_at, done_by = min(
        ((at, by) for at, by in done if at is not None),
        default=(case.closed_at, case.closed_by),
        key=lambda pair: pair[0],
    )
    due = None
    previous_id = previous.stage.id
    read = case.plan.escalation_clocks.get(previous_id, NO_CLOCK)
    severity = read.severity
    if read.timescale is not None:
        what = f"the escalation from {previous.stage.name}"
        due = ob._item_due(case, escalation, what, since, read.timescale)
    if case.urgency:
        due, severity = ob._urgent_due(case, previous_id, since, done_at, due, severity)
    builder.add(
        case.plan.escalation_items[previous_id, reached.stage.id],
        due,
        done_at,
        urgent=read.urgent or ob._is_urgent(case, previous_id, since, done_at),
        severity=severity,
        started_by=previous.concluded_by or reached.entered_by,
        ended_by=done_by,
    )


@contextmanager
def plain(plan: Plan) -> Iterator[None]:
    """``plan`` with memos that never remember, and the reference passes, for the duration."""
    kept = plan.addressees.found, plan.actions.found
    passes = ob._duty_actions, ob._escalation_action
    plan.addressees.found, plan.actions.found = _Forgets(), _Forgets()
    ob._duty_actions, ob._escalation_action = _plain_duty_actions, _plain_escalation_action
    try:
        yield
    finally:
        plan.addressees.found, plan.actions.found = kept
        ob._duty_actions, ob._escalation_action = passes


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


def _differing(one: object, other: object) -> str:
    if not (isinstance(one, Evaluation) and isinstance(other, Evaluation)):
        return f"{one!r} != {other!r}"
    return "; ".join(
        f"{f.name}: {getattr(one, f.name)!r} != {getattr(other, f.name)!r}"
        for f in attrs.fields(Evaluation)
        if getattr(one, f.name) != getattr(other, f.name)
    )


def _assert_the_fast_path_changes_nothing(batch: Batch) -> None:
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
            assert one == other, f"case {index}: {_differing(one, other)}"
            # Equal values could still differ in what equality ignores: compare the text too.
            assert repr(one) == repr(other), f"case {index}"


@settings(max_examples=120, deadline=None)
@given(batches(policies(with_tracks=True), max_cases=8))
def test_the_fast_path_gives_the_plain_results_under_generated_policies(batch: Batch) -> None:
    _assert_the_fast_path_changes_nothing(batch)


@settings(max_examples=60, deadline=None)
@given(batches(st.sampled_from(shipped_policies()).map(shipped_policy), max_cases=8))
def test_the_fast_path_gives_the_plain_results_under_shipped_policies(batch: Batch) -> None:
    _assert_the_fast_path_changes_nothing(batch)


POLICIES = Path(__file__).parent / "policies"
WORKED = [
    load_policy(POLICIES / name) for name in ("clocks.json", "due-soon.json", "structure.json")
]
"""The test suite's worked examples: every kind of clock, due-soon windows, steps and routes."""


@settings(max_examples=90, deadline=None)
@given(batches(st.sampled_from(WORKED), max_cases=8))
def test_the_fast_path_gives_the_plain_results_under_the_worked_examples(batch: Batch) -> None:
    _assert_the_fast_path_changes_nothing(batch)


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
