"""When an evaluation would next change with no new events: the engine's timed facts.

An evaluation depends on ``as_of`` only through a few facts, each decided in
one place of the engine, which tells a `Schedule` the instant that fact
would turn:

- an item still required and not yet late becomes late at
  `WorkingCalendar.late_from` of its deadline (the obligations' `Builder`);
- an action starts to count as due soon at its ``due_soon_from`` (the same);
- who acts for a role changes on the first local day on which one of the
  role holders looked at (the role, then each substitute tried in turn)
  starts or stops being absent (`change_day`, asked where an addressee is
  found);
- an event the history dates after ``as_of`` is taken into account from its
  own time (the replay).

The earliest of these after ``as_of`` is `Evaluation.next_change_at`.  No
deadline or window is worked out again here: each instant is the one the
engine has just used.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import TYPE_CHECKING

from challenge_rules.policy import Side

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date, datetime

    from challenge_rules.calendar import Deadline, WorkingCalendar
    from challenge_rules.history import RoleHolderAbsent

_DAY = timedelta(days=1)


class Schedule:
    """The earliest instant strictly after ``after`` that it was told of."""

    __slots__ = ("after", "earliest", "first_due")

    def __init__(self, after: datetime) -> None:
        self.after = after
        self.earliest: datetime | None = None
        self.first_due: Deadline | None = None
        """The earliest deadline of the items still on time (see `on_time`)."""

    def at(self, moment: datetime | None) -> None:
        """Note that the evaluation would change at ``moment`` (None: never)."""
        if moment is None or moment <= self.after:
            return
        earliest = self.earliest
        if earliest is None or moment < earliest:
            self.earliest = moment

    def on_time(self, deadline: Deadline) -> None:
        """Note an item still required, and on time for ``deadline``: late from just after it.

        Only the earliest such deadline is kept: `WorkingCalendar.late_from`,
        asked once in `next_change`, is later for a later deadline.
        """
        first = self.first_due
        if first is None or deadline.at < first.at:
            self.first_due = deadline

    def next_change(self, calendar: WorkingCalendar, event_at: datetime | None) -> datetime | None:
        """The earliest change, as local time in ``calendar``'s zone with a fixed offset.

        ``event_at`` is when the first event dated after ``after`` happened (None: there is
        none).
        """
        if self.first_due is not None:
            self.at(calendar.late_from(self.first_due))
        earliest = self.earliest
        if event_at is not None and (earliest is None or event_at < earliest):
            # The history's own offset, not necessarily the zone's.
            return calendar.local_time(event_at)
        if earliest is not None and type(earliest.tzinfo) is not timezone:
            return calendar.local_time(earliest)  # the start of a day, in the zone itself
        return earliest


def absent_spans(
    absences: Iterable[RoleHolderAbsent], side: Side, role: str
) -> list[tuple[date, date]]:
    """The days (first and last, inclusive) the holder of ``role`` on ``side`` is away."""
    sides = (side, Side.EACH)
    return [(a.start, a.end) for a in absences if a.role == role and a.side in sides]


def is_absent(spans: Iterable[tuple[date, date]], day: date) -> bool:
    """Whether ``day`` falls in one of ``spans``."""
    return any(start <= day <= end for start, end in spans)


def _turn(spans: Sequence[tuple[date, date]], today: date) -> date | None:
    """The first day after ``today`` on which being in ``spans`` differs from today."""
    if not is_absent(spans, today):
        return min((start for start, _ in spans if start > today), default=None)
    last = today
    while True:  # the spans may overlap or follow on: the absence ends after all of them
        later = max(
            (end for start, end in spans if start <= last + _DAY and end > last), default=None
        )
        if later is None:
            return last + _DAY
        last = later


def change_day(
    absences: Sequence[RoleHolderAbsent], side: Side, roles: Iterable[str], today: date
) -> date | None:
    """The first day after ``today`` on which one of ``roles`` starts or stops being absent."""
    turns = (_turn(absent_spans(absences, side, role), today) for role in set(roles))
    return min((day for day in turns if day is not None), default=None)


__all__ = ["Schedule", "absent_spans", "change_day", "is_absent"]
