"""The assertion helpers of `challenge_rules.testing` (see there), and their example.

Each helper raises `AssertionError` with a message that lists what the
evaluation *did* require (or report), so a failing test says what went wrong.
Actions and breaches are matched by `challenge_rules._matching`, the matcher
scenario files use too.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from challenge_rules._matching import due_matches, mentions
from challenge_rules.calendar import Timescale, Unit
from challenge_rules.evaluation import Action, Breach, Evaluation, Status
from challenge_rules.history import (
    CaseHistory,
    ConcernRaised,
    DiscussionHeld,
    Escalated,
    Outcome,
    Party,
)
from challenge_rules.policy import (
    Actor,
    Clause,
    Escalation,
    Partnership,
    Policy,
    Role,
    Side,
    Source,
    Stage,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from challenge_rules.evaluation import ActionKind


# -- assertion helpers ------------------------------------------------------


def _example_evaluation() -> Evaluation:
    """A two-stage case, evaluated: used by this module's docstring examples.

    Step 1 (2 working days) was concluded unresolved on Friday 5 June 2026,
    two working days late, and escalated to step 2 (6 working days, due
    Monday 15 June); evaluated on Monday 8 June.
    """
    from challenge_rules._engine import evaluate  # noqa: PLC0415 - only for examples

    bst = timezone(timedelta(hours=1))
    clause = Clause(id="cl-1", source="src-1", section="Steps")
    practitioner = Actor("practitioner", Side.RAISING)
    line_manager = Actor("line-manager", Side.RAISING)
    policy = Policy(
        id="example",
        title="An example procedure",
        version="1",
        effective_from=date(2026, 1, 1),
        protects=("children",),
        partnerships=(Partnership(id="area-1", name="Example", area="Example"),),
        sources=(Source(id="src-1", title="Example procedure"),),
        clauses=(clause,),
        roles=(Role("practitioner", "Practitioner"), Role("line-manager", "Line manager")),
        stages=(
            Stage(
                id="step-1",
                name="Step 1",
                clause="cl-1",
                action="Talk to the other practitioner",
                participants=(practitioner,),
                timescale=Timescale(Unit.WORKING_DAYS, 2),
                on_unresolved=Escalation(
                    clause="cl-1", action="Tell your line manager", by=practitioner
                ),
            ),
            Stage(
                id="step-2",
                name="Step 2",
                clause="cl-1",
                action="Discuss with the other line manager",
                participants=(line_manager,),
                timescale=Timescale(Unit.WORKING_DAYS, 6),
            ),
        ),
    )
    history = CaseHistory(
        reference="CASE-1",
        events=(
            ConcernRaised(
                id="e1",
                at=datetime(2026, 6, 1, 9, 0, tzinfo=bst),
                raising=Party("practitioner", "School"),
                receiving=Party("practitioner", "Children's Social Care"),
            ),
            DiscussionHeld(
                id="e2",
                at=datetime(2026, 6, 5, 10, 0, tzinfo=bst),
                stage="step-1",
                outcome=Outcome.UNRESOLVED,
            ),
            Escalated(id="e3", at=datetime(2026, 6, 5, 10, 5, tzinfo=bst), to_stage="step-2"),
        ),
    )
    return evaluate(policy, history, datetime(2026, 6, 8, 9, 0, tzinfo=bst))


def _who(item: Action | Breach) -> str:
    people = [f"{a.role}/{a.side.value}" + ("" if a.available else " (absent)") for a in item.who]
    return ", ".join(people) or "no one"


def _due_text(item: Action | Breach) -> str:
    due = item.due
    if due is None:
        return "no due date"
    if due.day is not None:
        return f"due by end of {due.day.isoformat()}"
    return f"due before {due.at.isoformat()}"


def _describe_action(action: Action) -> str:
    flags = ", urgent" if action.urgent else ""
    return (
        f"{action.id} [{action.kind}{flags}] {action.what!r}; who: {_who(action)}; "
        f"{_due_text(action)}; stage: {action.stage}"
    )


def _late_text(breach: Breach) -> str:
    days = breach.late.working_days
    if days == 0:
        return "late the same working day"
    return f"{days} working day{'' if days == 1 else 's'} late"


def _describe_breach(breach: Breach) -> str:
    done = "still outstanding" if breach.done_at is None else f"done {breach.done_at.isoformat()}"
    return (
        f"{breach.id} [{breach.kind}] {breach.what!r}; who: {_who(breach)}; "
        f"{_due_text(breach)}; {_late_text(breach)}; {done}; "
        f"stage: {breach.stage}"
    )


def _listing(title: str, lines: Sequence[str]) -> str:
    if not lines:
        return f"{title}: none"
    return f"{title} ({len(lines)}):\n" + "\n".join(f"  - {line}" for line in lines)


def _filters(**given: object) -> dict[str, object]:
    return {name: value for name, value in given.items() if value is not None}


def _filter_text(filters: dict[str, object]) -> str:
    if not filters:
        return "any"
    return ", ".join(f"{name}={value!r}" for name, value in filters.items())


def _match(item: Action | Breach, filters: dict[str, object]) -> bool:  # noqa: C901, PLR0911
    what = filters.get("what")
    if isinstance(what, str) and not mentions(item.what, what):
        return False
    role = filters.get("role")
    if role is not None and not any(role in (a.role, a.role_name) for a in item.who):
        return False
    side = filters.get("side")
    if side is not None and not any(str(a.side) == str(side) for a in item.who):
        return False
    if "stage" in filters and item.stage != filters["stage"]:
        return False
    if "kind" in filters and item.kind != filters["kind"]:
        return False
    due_by = filters.get("due_by")
    if isinstance(due_by, date) and not due_matches(due_by, item.due):  # a datetime is a date
        return False
    if isinstance(item, Action):
        urgent = filters.get("urgent")
        if urgent is not None and item.urgent is not urgent:
            return False
    else:
        if "action_id" in filters and item.id != filters["action_id"]:
            return False
        days = filters.get("late_working_days")
        if days is not None and item.late.working_days != days:
            return False
        outstanding = filters.get("outstanding")
        if outstanding is not None and (item.done_at is None) is not outstanding:
            return False
    return True


def _about(evaluation: Evaluation) -> str:
    return (
        f"case {evaluation.reference} as of {evaluation.as_of.isoformat()}: "
        f"status {evaluation.status.value}, stage {evaluation.stage}"
    )


def assert_requires(  # noqa: PLR0913 - keyword-only filters
    evaluation: Evaluation,
    *,
    what: str | None = None,
    role: str | None = None,
    side: Side | str | None = None,
    stage: str | None = None,
    due_by: date | datetime | None = None,
    urgent: bool | None = None,
    kind: ActionKind | None = None,
) -> Action:
    """Assert that ``evaluation`` requires an action matching every filter given; return it.

    ``what`` is a case-insensitive part of the action's text; ``role`` a role
    id or name of one of the people who must act, ``side`` their side;
    ``stage`` the action's stage id; ``kind`` its kind (``stage``,
    ``escalation``, ``duty``, ``urgent``, ``support``, ``redirect``).
    ``due_by`` is the deadline exactly: a `~datetime.date` is the last day on
    time (``Deadline.day``, or for hour deadlines the local day of the last
    moment on time), a `~datetime.datetime` the deadline instant
    (``Deadline.at``).  Filters left as ``None`` match anything.  When
    several actions match, the most pressing (the evaluation's first) is
    returned.  On failure, the message lists every action that *was*
    required.

    >>> evaluation = _example_evaluation()
    >>> action = assert_requires(evaluation, role="line-manager", due_by=date(2026, 6, 15))
    >>> action.id
    'stage:step-2'
    >>> assert_requires(evaluation, role="dsl")
    Traceback (most recent call last):
    ...
    AssertionError: no required action matches role='dsl'; case CASE-1 as of ...
    required actions (1):
      - stage:step-2 [stage] 'Discuss with the other line manager'; who: line-manager/raising; due by end of 2026-06-15; stage: step-2
    """  # noqa: E501
    filters = _filters(
        what=what, role=role, side=side, stage=stage, due_by=due_by, urgent=urgent, kind=kind
    )
    for action in evaluation.actions:
        if _match(action, filters):
            return action
    raise AssertionError(
        f"no required action matches {_filter_text(filters)}; {_about(evaluation)}\n"
        + _listing("required actions", [_describe_action(a) for a in evaluation.actions])
    )


def assert_no_action(  # noqa: PLR0913 - keyword-only filters
    evaluation: Evaluation,
    *,
    what: str | None = None,
    role: str | None = None,
    side: Side | str | None = None,
    stage: str | None = None,
    due_by: date | datetime | None = None,
    urgent: bool | None = None,
    kind: ActionKind | None = None,
) -> None:
    """Assert that ``evaluation`` requires no action matching every filter given.

    The filters are those of `assert_requires`; with none, the evaluation
    must require nothing at all.  On failure, the message lists the actions
    that matched.

    >>> evaluation = _example_evaluation()
    >>> assert_no_action(evaluation, kind="escalation")
    >>> assert_no_action(evaluation, stage="step-2")
    Traceback (most recent call last):
    ...
    AssertionError: 1 required action matches stage='step-2', expected none; ...
    """
    filters = _filters(
        what=what, role=role, side=side, stage=stage, due_by=due_by, urgent=urgent, kind=kind
    )
    found = [_describe_action(a) for a in evaluation.actions if _match(a, filters)]
    if found:
        noun = "action matches" if len(found) == 1 else "actions match"
        raise AssertionError(
            f"{len(found)} required {noun} {_filter_text(filters)}, expected none; "
            f"{_about(evaluation)}\n" + _listing("matching actions", found)
        )


def assert_breach(  # noqa: PLR0913 - keyword-only filters
    evaluation: Evaluation,
    *,
    action_id: str | None = None,
    stage: str | None = None,
    late_working_days: int | None = None,
    kind: ActionKind | None = None,
    what: str | None = None,
    role: str | None = None,
    outstanding: bool | None = None,
) -> Breach:
    """Assert that ``evaluation`` reports a breach matching every filter given; return it.

    ``action_id`` is the id of the late action (``stage:step-1``, ...);
    ``late_working_days`` how many working days late it is (``0``: late the
    same working day); ``outstanding`` whether it is still not done.  The
    other filters are as in `assert_requires`.  On failure, the message lists
    every breach reported.

    >>> evaluation = _example_evaluation()
    >>> assert_breach(evaluation, action_id="stage:step-1", late_working_days=2).done_at
    datetime.datetime(2026, 6, 5, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(seconds=3600)))
    """
    filters = _filters(
        action_id=action_id,
        stage=stage,
        late_working_days=late_working_days,
        kind=kind,
        what=what,
        role=role,
        outstanding=outstanding,
    )
    for breach in evaluation.breaches:
        if _match(breach, filters):
            return breach
    raise AssertionError(
        f"no breach matches {_filter_text(filters)}; {_about(evaluation)}\n"
        + _listing("breaches", [_describe_breach(b) for b in evaluation.breaches])
    )


def assert_no_breaches(evaluation: Evaluation) -> None:
    """Assert that nothing in ``evaluation`` is late; the message lists the breaches.

    >>> assert_no_breaches(_example_evaluation())
    Traceback (most recent call last):
    ...
    AssertionError: expected no breaches; case CASE-1 as of ...
    breaches (1):
      - stage:step-1 [stage] 'Talk to the other practitioner'; ... 2 working days late; done 2026-06-05T10:00:00+01:00; stage: step-1
    """  # noqa: E501
    if evaluation.breaches:
        raise AssertionError(
            f"expected no breaches; {_about(evaluation)}\n"
            + _listing("breaches", [_describe_breach(b) for b in evaluation.breaches])
        )


def assert_status(evaluation: Evaluation, status: Status | str, stage: str | None = None) -> None:
    """Assert the evaluation's status (and, if given, its current stage id).

    The message shows the actual status and stage, the stages reached and
    any warnings.

    >>> assert_status(_example_evaluation(), "open", stage="step-2")
    >>> assert_status(_example_evaluation(), "resolved")
    Traceback (most recent call last):
    ...
    AssertionError: expected status 'resolved', got 'open' (stage step-2); ...
    """
    wanted = Status(status)
    if evaluation.status is wanted and (stage is None or evaluation.stage == stage):
        return
    expected = f"status {wanted.value!r}" + (f" at stage {stage!r}" if stage is not None else "")
    timeline = [
        f"{r.stage}: entered {r.entered_at.isoformat()}"
        + (f", concluded {r.outcome} {r.concluded_at.isoformat()}" if r.concluded_at else "")
        for r in evaluation.timeline
    ]
    raise AssertionError(
        f"expected {expected}, got {evaluation.status.value!r} (stage {evaluation.stage}); "
        f"{_about(evaluation)}\n"
        + _listing("stages reached", timeline)
        + "\n"
        + _listing("warnings", [str(w) for w in evaluation.warnings])
    )


__all__ = [
    "assert_breach",
    "assert_no_action",
    "assert_no_breaches",
    "assert_requires",
    "assert_status",
]
