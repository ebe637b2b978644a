"""Checking `Evaluation.next_change_at`: the view it promises to keep, and helpers.

`Evaluation.next_change_at` promises that, with no new events, evaluating at
any instant strictly between ``as_of`` and it gives the same `ScheduleView`
(status, stage, the actions with who must act and whether each is due soon,
the breaches with who was to act), and that evaluating at it gives a
different one.  One cause is a bound, not exact: an event the history dates
after ``as_of`` is taken into account at its own time, but it may change
nothing the view shows (a note that discharges nothing).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from hypothesis import strategies as st

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from challenge_rules.evaluation import Addressee, Evaluation, Status
    from challenge_rules.history import CaseHistory
    from challenge_rules.policy import Policy

_TICK = timedelta(microseconds=1)
_LAST_YEAR = 2099
"""The last year `evaluate` takes a moment in."""
_LAST = datetime(_LAST_YEAR, 12, 30, tzinfo=UTC)
_NEVER = (timedelta(days=1), timedelta(days=40), timedelta(days=400), timedelta(days=3000))
"""How far past ``as_of`` an evaluation with no next change is checked (see
`assert_next_change`)."""


class ScheduleView(NamedTuple):
    """What `Evaluation.next_change_at` says stays the same until it."""

    status: Status
    stage: str | None
    actions: tuple[tuple[str, tuple[Addressee, ...], bool], ...]
    """Each action's id, who must act and whether it is due soon, in the evaluation's order."""
    breaches: tuple[tuple[str, tuple[Addressee, ...]], ...]
    """Each breach's id and who was to act, sorted."""


def schedule_view(evaluation: Evaluation) -> ScheduleView:
    """The part of ``evaluation`` that `Evaluation.next_change_at` is about."""
    return ScheduleView(
        evaluation.status,
        evaluation.stage,
        tuple((a.id, a.who, a.due_soon) for a in evaluation.actions),
        tuple(sorted(((b.id, b.who) for b in evaluation.breaches), key=lambda b: b[0])),
    )


def _evaluate(policy: Policy, history: CaseHistory, moment: datetime) -> Evaluation:
    from challenge_rules._engine import evaluate  # noqa: PLC0415 - the kit's one engine use

    return evaluate(policy, history, moment)


def instants_before_next_change(
    evaluation: Evaluation, *, horizon: timedelta = timedelta(days=3000)
) -> SearchStrategy[datetime]:
    """Instants strictly between ``evaluation.as_of`` and its next change.

    With no next change, up to ``horizon`` after ``as_of`` (and within the years
    `evaluate` takes).  Often the last
    microsecond before the change, or the first after ``as_of``.
    """
    start = evaluation.as_of.astimezone(UTC)
    end = evaluation.next_change_at
    last = min(start + horizon, _LAST) if end is None else end.astimezone(UTC) - _TICK
    if last <= start:
        return st.nothing()
    span = int((last - start) / _TICK)
    steps = st.one_of(st.just(span), st.just(1), st.integers(1, span))
    return steps.map(lambda n: start + n * _TICK)


def assert_stable_until_next_change(
    policy: Policy, history: CaseHistory, as_of: datetime, moment: datetime
) -> None:
    """Assert that evaluating at ``moment`` gives the view evaluating at ``as_of`` gives.

    ``moment`` must be after ``as_of`` and before the evaluation's next change.
    """
    before = _evaluate(policy, history, as_of)
    end = before.next_change_at
    if not moment > as_of or (end is not None and not moment < end):
        raise ValueError(f"{moment.isoformat()} is not between as_of and the next change")
    later = _evaluate(policy, history, moment)
    if schedule_view(later) != schedule_view(before):
        raise AssertionError(
            f"the evaluation at {as_of.isoformat()} says nothing changes until "
            f"{'never' if end is None else end.isoformat()}, but at {moment.isoformat()}:\n"
            f"  before: {schedule_view(before)}\n  then:   {schedule_view(later)}"
        )


def assert_next_change(policy: Policy, history: CaseHistory, as_of: datetime) -> None:
    """Assert that the evaluation at ``as_of`` is right about its next change.

    At ``next_change_at`` the view differs, unless an event the history dates
    exactly then is the cause (that bound is not exact, see the module); with
    no next change, the view is the same a day, 40 days, 400 days and 3,000
    days later (as far as the years an evaluation may be at allow).
    """
    before = _evaluate(policy, history, as_of)
    end = before.next_change_at
    view = schedule_view(before)
    if end is None:
        for offset in _NEVER:
            moment = as_of + offset
            if moment.year >= _LAST_YEAR:
                break
            later = schedule_view(_evaluate(policy, history, moment))
            if later != view:
                raise AssertionError(
                    f"no next change, but at {moment.isoformat()}:\n"
                    f"  before: {view}\n  then:   {later}"
                )
        return
    if not end > as_of:
        raise AssertionError(f"next_change_at {end.isoformat()} is not after as_of")
    later = schedule_view(_evaluate(policy, history, end))
    if later == view and not any(e.at == end for e in history.events):
        raise AssertionError(
            f"next_change_at is {end.isoformat()}, but nothing changes then:\n  {view}"
        )


__all__ = [
    "ScheduleView",
    "assert_next_change",
    "assert_stable_until_next_change",
    "instants_before_next_change",
    "schedule_view",
]
