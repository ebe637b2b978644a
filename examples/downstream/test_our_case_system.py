# ruff: noqa: S101, D103 - a test module (pytest asserts), outside any package
"""A downstream project's tests: our case system's reminders, checked against HIPS.

"Our case system" is the tiny `next_reminders` below: it asks challenge-rules
what a disagreement needs next and turns each action into one reminder per
person.  The tests are what a case-system team would write:

- a hand-written case, checked with the assertion helpers of
  `challenge_rules.testing` (their failure messages list what *was* due);
- properties over generated cases under the shipped ``hips`` policy, drawn
  with the strategies of `challenge_rules.testing`.

Run it with ``python -m pytest examples/downstream -q``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from hypothesis import given, settings

from challenge_rules import CaseHistory, Evaluation, Policy, evaluate, shipped_policy
from challenge_rules.history import ConcernRaised, DiscussionHeld, Outcome, Party
from challenge_rules.testing import (
    Case,
    assert_breach,
    assert_no_action,
    assert_requires,
    assert_status,
    cases,
)

HIPS = shipped_policy("hips")


# --- our case system -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """One line in a person's to-do list."""

    case: str
    role: str
    side: str
    text: str
    due: date | None
    """The last day on time, for timescales counted in days."""
    due_at: datetime | None
    """The moment it becomes late."""
    overdue: bool
    cite: str


def next_reminders(policy: Policy, history: CaseHistory, now: datetime) -> list[Reminder]:
    """What each person must do next on this case: overdue first, then by due day."""
    evaluation: Evaluation = evaluate(policy, history, now)
    overdue = {b.id for b in evaluation.breaches if b.done_at is None}
    reminders = [
        Reminder(
            case=history.reference,
            role=person.role,
            side=person.side.value,
            text=action.what,
            due=None if action.due is None else action.due.day,
            due_at=None if action.due is None else action.due.at,
            overdue=action.id in overdue,
            cite=str(action.why),
        )
        for action in evaluation.actions
        for person in action.who
    ]
    latest = datetime.max.replace(tzinfo=UTC)
    return sorted(reminders, key=lambda r: (not r.overdue, r.due_at or latest))


# --- a hand-written case ---------------------------------------------------------------------

CONCERN = ConcernRaised(
    id="c1",
    at=datetime.fromisoformat("2027-01-04T09:00:00+00:00"),  # a Monday
    raising=Party("practitioner", "Health visiting"),
    receiving=Party("practitioner", "Children's social care"),
    area="portsmouth",
)
OUR_CASE = CaseHistory(reference="OUR-42", policy="hips", events=(CONCERN,))
THURSDAY = datetime.fromisoformat("2027-01-07T10:00:00+00:00")


def test_stage_1_is_due_within_two_working_days_and_is_then_overdue() -> None:
    evaluation = evaluate(HIPS, OUR_CASE, THURSDAY)
    assert_status(evaluation, "open", stage="stage-1")
    assert_requires(evaluation, stage="stage-1", role="line-manager", due_by=date(2027, 1, 6))
    assert_breach(evaluation, action_id="stage:stage-1", late_working_days=1, outstanding=True)
    assert_no_action(evaluation, kind="escalation")

    reminders = next_reminders(HIPS, OUR_CASE, THURSDAY)
    assert [(r.role, r.overdue, r.due) for r in reminders] == [
        ("practitioner", True, date(2027, 1, 6)),
        ("line-manager", True, date(2027, 1, 6)),
    ]
    assert reminders[0].cite.startswith("HIPS Procedure")


def test_an_unresolved_stage_1_moves_the_reminders_to_stage_2() -> None:
    unresolved = DiscussionHeld(
        id="d1",
        at=datetime.fromisoformat("2027-01-05T15:00:00+00:00"),
        stage="stage-1",
        outcome=Outcome.UNRESOLVED,
    )
    history = CaseHistory(reference="OUR-42", policy="hips", events=(CONCERN, unresolved))
    evaluation = evaluate(HIPS, history, THURSDAY)
    assert_status(evaluation, "open", stage="stage-2")
    assert_requires(evaluation, stage="stage-2", due_by=date(2027, 1, 7))
    assert_no_action(evaluation, stage="stage-1", kind="stage")
    assert not any(r.overdue for r in next_reminders(HIPS, history, THURSDAY))


# --- properties over generated HIPS cases ----------------------------------------------------


@settings(max_examples=50)
@given(cases(HIPS, max_events=15))
def test_reminders_are_one_per_person_per_action(case: Case) -> None:
    evaluation = evaluate(*case)
    reminders = next_reminders(*case)
    assert len(reminders) == sum(len(action.who) for action in evaluation.actions)
    assert all(r.case == case.history.reference for r in reminders)


@settings(max_examples=50)
@given(cases(HIPS, max_events=15, irregular=True))
def test_overdue_reminders_come_first_and_match_the_breaches(case: Case) -> None:
    evaluation = evaluate(*case)
    reminders = next_reminders(*case)
    flags = [r.overdue for r in reminders]
    assert flags == sorted(flags, reverse=True)
    still_late = {b.what for b in evaluation.breaches if b.done_at is None}
    assert {r.text for r in reminders if r.overdue} == still_late


@settings(max_examples=50)
@given(cases(HIPS, max_events=15))
def test_reminder_due_days_are_working_days(case: Case) -> None:
    calendar = HIPS.working_calendar()
    for reminder in next_reminders(*case):
        assert reminder.due is None or calendar.is_working_day(reminder.due)
