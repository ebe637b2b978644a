"""The evaluator: from a policy, a case history and a moment, what is due and what is late.

`evaluate` (re-exported as `challenge_rules.evaluate`) checks its inputs and
runs the engine's phases, each in its own module (`evaluate_many` does the
same for many cases under one policy at one moment, sharing what they share):

1. plan (`challenge_rules._plan`): the policy compiled into the tables the
   other phases look things up in;
2. replay (`challenge_rules._replay`): the events, in time order, replayed
   into the state of the case (stages reached, duty occurrences, absences,
   urgency in force, notices);
3. obligations (`challenge_rules._obligations`): from that state, the stage
   deadlines, the actions required and the breaches;

and builds the result, an `challenge_rules.evaluation.Evaluation`, from them.

Determinism and caching: `evaluate` is a pure function of its three
arguments.  It reads no clock (the moment is ``as_of``), writes nothing and
logs nothing.  A few bounded caches outlive a call, each memoising a pure
function keyed on everything its answer depends on, so no result can depend
on them (docs/evaluation.md lists them with their bounds):

- the plan of each of the last 64 policies evaluated under
  (`challenge_rules._plan.plan_for`, keyed on the policy);
- the digest of each of the last 64 policies evaluated under, recorded as
  the evaluation's ``policy_digest`` (`challenge_rules._digest.policy_digest`,
  keyed on the policy);
- the role holders named in actions when no fallback applies (the last
  4,096, keyed on every field of the `Addressee`, in `_obligations`);
- day-granular deadlines (the last 65,536, keyed on the calendar's working
  days and time zone, the start day and the timescale, in
  `challenge_rules.calendar`).

Everything else lives for one call only, so the function is safe to call
from many threads at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal, NamedTuple, overload

from challenge_rules._construct import constructor
from challenge_rules._convert import MOMENT_RANGE, in_moment_range
from challenge_rules._digest import policy_digest
from challenge_rules._history_checks import check_history
from challenge_rules._obligations import derive
from challenge_rules._plan import Plan, plan_for
from challenge_rules._replay import replay
from challenge_rules.errors import (
    CalendarError,
    ChallengeRulesError,
    InvalidHistory,
    Problem,
    WrongArgument,
)
from challenge_rules.evaluation import ConcernSummary, Evaluation, StageRecord
from challenge_rules.history import CaseHistory
from challenge_rules.policy import Policy

if TYPE_CHECKING:
    from collections.abc import Iterable

# The result values, built without the frozen __init__'s cost (see _construct).
_EVALUATION: Final = constructor(Evaluation)
_STAGE_RECORD: Final = constructor(StageRecord)

_ARGUMENTS: Final = (
    ("policy", Policy, "a Policy (from load_policy or shipped_policy)"),
    ("history", CaseHistory, "a CaseHistory (from load_history)"),
    ("as_of", datetime, "a datetime with a UTC offset (datetime.fromisoformat(...))"),
)


def _check_types(*given: object) -> None:
    for value, (name, kind, expected) in zip(given, _ARGUMENTS, strict=True):
        if not isinstance(value, kind):
            raise WrongArgument(argument=name, expected=expected, found=type(value).__name__)


class _Moment(NamedTuple):
    """What every case evaluated under one policy at one moment shares."""

    plan: Plan
    as_of: datetime
    local: datetime
    """``as_of`` in the policy's local time with the shared tzinfo (see shared_offset), so
    it compares with event times quickly."""
    digest: str
    """The policy's digest, recorded on every evaluation."""


def _moment(policy: Policy, as_of: datetime) -> _Moment:
    """The plan, local moment and digest shared at ``as_of``, once its checks have passed."""
    if not in_moment_range(as_of):
        raise CalendarError(
            message="as_of is out of range",
            value=as_of.isoformat(),
            expected=MOMENT_RANGE,
            hint="check the year",
        )
    plan = plan_for(policy)
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise CalendarError(
            message="as_of has no UTC offset",
            value=as_of.isoformat(),
            expected="a timestamp with an offset, such as 2026-06-08T09:30:00+01:00",
            hint="evaluate needs to know which day it is in the policy's time zone",
        )
    return _Moment(plan, as_of, plan.calendar.local_time(as_of), policy_digest(policy))


def evaluate(policy: Policy, history: CaseHistory, as_of: datetime) -> Evaluation:
    """Evaluate ``history`` under ``policy`` as things stood at ``as_of``.

    Raises `challenge_rules.errors.InvalidHistory` (listing every problem) if the
    history contradicts itself or names stages, roles or other things the
    policy does not have, and `challenge_rules.errors.CalendarError` if
    ``as_of`` has no UTC offset or is outside the years a history may hold
    (1901 to 2099), and `challenge_rules.errors.WrongArgument` (also a
    `TypeError`) for arguments of the wrong type.
    """
    _check_types(policy, history, as_of)
    return _evaluate_at(_moment(policy, as_of), history)


@overload
def evaluate_many(
    policy: Policy,
    histories: Iterable[CaseHistory],
    as_of: datetime,
    *,
    return_exceptions: Literal[False] = False,
) -> list[Evaluation]: ...


@overload
def evaluate_many(
    policy: Policy,
    histories: Iterable[CaseHistory],
    as_of: datetime,
    *,
    return_exceptions: bool,
) -> list[Evaluation | ChallengeRulesError]: ...


def evaluate_many(
    policy: Policy,
    histories: Iterable[CaseHistory],
    as_of: datetime,
    *,
    return_exceptions: bool = False,
) -> list[Evaluation] | list[Evaluation | ChallengeRulesError]:
    """`evaluate` each of ``histories`` under ``policy`` at ``as_of``, in order.

    The same as ``[evaluate(policy, h, as_of) for h in histories]``, with the
    work every case shares (the policy's plan and digest, the checks of
    ``as_of`` and its local time) done once.  A case that `evaluate` would refuse raises the
    same error; with ``return_exceptions=True`` that error takes the case's
    place in the list instead, and the other cases are still evaluated (as
    ``asyncio.gather`` does).  Only `challenge_rules.errors.ChallengeRulesError`
    is returned so: anything else is a bug and is raised.
    """
    shared = _shared(policy, as_of)
    results: list[Evaluation | ChallengeRulesError] = []
    for history in histories:
        try:
            if shared is None or not isinstance(history, CaseHistory):
                results.append(evaluate(policy, history, as_of))  # the plain path raises
            else:
                results.append(_evaluate_at(shared, history))
        except ChallengeRulesError as error:
            if not return_exceptions:
                raise
            results.append(error)
    return results


def _shared(policy: object, as_of: object) -> _Moment | None:
    """The moment every case shares, or None if `evaluate` would refuse it (each case raises)."""
    if not isinstance(policy, Policy) or not isinstance(as_of, datetime):
        return None
    try:
        return _moment(policy, as_of)
    except ChallengeRulesError:
        return None  # each case raises it, after checking its own arguments as evaluate does


def _evaluate_at(at: _Moment, history: CaseHistory) -> Evaluation:
    plan, as_of, moment, digest = at
    policy = plan.policy
    concern = check_history(policy, history)
    if concern.at > moment:
        where = next(i for i, event in enumerate(history.events) if event.id == concern.id)
        raise InvalidHistory(
            problems=(
                Problem(
                    message=f"the concern was raised at {concern.at.isoformat()}, after as_of",
                    path=("events", where, "at"),
                    event=concern.id,
                    expected=f"as_of ({as_of.isoformat()}) at or after the concern",
                    hint="evaluate at a later moment (--as-of), or check the concern's date",
                ),
            ),
        )
    case = replay(plan, history, concern, moment)
    found = derive(case, moment)
    reached = case.reached
    return _EVALUATION(
        reference=history.reference,
        policy=policy.id,
        policy_version=policy.version,
        policy_digest=digest,
        as_of=as_of,
        status=case.status,
        stage=reached[-1].stage.id if reached else None,
        timeline=tuple(
            _STAGE_RECORD(
                r.stage.id,
                r.stage.name,
                r.entered_at,
                due,
                r.concluded_at,
                r.outcome,
                r.entered_by,
                r.concluded_by,
            )
            for r, due in zip(reached, found.dues, strict=True)
        ),
        actions=tuple(found.actions),
        breaches=tuple(found.breaches),
        warnings=tuple(case.warnings),
        risk=case.risk,
        urgent=case.urgent_now(),
        concern=ConcernSummary.of(concern),
        next_change_at=found.next_change_at,
    )


__all__ = ["evaluate", "evaluate_many"]
