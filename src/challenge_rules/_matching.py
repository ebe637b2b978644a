"""How an expected action or breach is matched: one semantics for the testing kit and scenarios.

`challenge_rules.testing`'s ``assert_*`` helpers and the scenario files'
``expect`` (`challenge_rules.scenarios.compare`) both ask "is this the
action I expected?"; both answer with these functions, so a test written
either way means the same thing.

* A due **date** is the last day on time: a day deadline's ``Deadline.day``,
  or for an hour deadline the local day (in the deadline's own offset) of its
  last instant on time, ``Deadline.at``.  So ``2026-06-19`` matches "end of
  19 June" and "by 15:00 on 19 June" alike.
* A due **date and time** is the deadline instant: ``Deadline.at``, compared
  as instants (a clock change's repeated hour is compared in UTC, as PEP 495
  would otherwise make it unequal to the same instant in another zone).  A
  date and time without a UTC offset names no instant, and matches nothing.
* Words an action's text must contain are compared case-insensitively
  (`str.casefold`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from challenge_rules.calendar import Deadline


def last_day_on_time(due: Deadline) -> date:
    """The last local day on which what is due is on time."""
    return due.day if due.day is not None else due.at.date()


def due_matches(wanted: date | datetime, due: Deadline | None) -> bool:
    """Whether ``due`` is the deadline ``wanted`` names (see the module's rules)."""
    if due is None:
        return False
    if isinstance(wanted, datetime):
        if wanted.utcoffset() is None:
            return False
        return due.at.astimezone(UTC) == wanted.astimezone(UTC)
    return last_day_on_time(due) == wanted


def parse_due(text: str) -> date | datetime:
    """A due date (``2026-06-19``) or date and time (``2026-06-19T17:00:00+01:00``) as written.

    Raises `ValueError` for text that is neither.
    """
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


def mentions(text: str, words: str) -> bool:
    """Whether ``text`` contains ``words``, ignoring case."""
    return words.casefold() in text.casefold()
