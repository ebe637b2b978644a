"""The one matcher of expected deadlines and texts, for the testing kit and scenario files.

The table is the documented semantics (docs/testing.md, "Matching a deadline"):
each row is a deadline, what is expected of it, and whether they match.  The
last tests check that `testing.assert_requires` and `scenarios.compare` both
follow it, so the two can never disagree again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import attrs
import pytest

from challenge_rules._matching import due_matches, last_day_on_time, mentions, parse_due
from challenge_rules.calendar import Deadline
from challenge_rules.scenarios import compare
from challenge_rules.testing import assert_requires
from challenge_rules.testing._assertions import _example_evaluation

if TYPE_CHECKING:
    from challenge_rules.evaluation import Evaluation

BST = timezone(timedelta(hours=1))
LONDON = ZoneInfo("Europe/London")

DAY = Deadline(at=datetime(2026, 6, 20, 0, 0, tzinfo=BST), day=date(2026, 6, 19))
HOURS = Deadline(at=datetime(2026, 6, 19, 15, 0, tzinfo=BST))
MIDNIGHT = Deadline(at=datetime(2026, 6, 20, 0, 0, tzinfo=BST))
# 01:30 in the repeated hour of the autumn clock change, second time round (GMT).
FOLD = Deadline(at=datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=LONDON))

MATCHES = [
    # (deadline, expected, matches?, why)
    (DAY, date(2026, 6, 19), True, "a day deadline's last day on time"),
    (DAY, date(2026, 6, 20), False, "the day after is late"),
    (HOURS, date(2026, 6, 19), True, "an hour deadline's local day"),
    (HOURS, date(2026, 6, 18), False, "not the day before"),
    (MIDNIGHT, date(2026, 6, 20), True, "a midnight hour deadline is on time on the day it starts"),
    (MIDNIGHT, date(2026, 6, 19), False, "not the day before it"),
    (HOURS, datetime(2026, 6, 19, 15, 0, tzinfo=BST), True, "the instant itself"),
    (HOURS, datetime(2026, 6, 19, 14, 0, tzinfo=UTC), True, "the same instant in UTC"),
    (HOURS, datetime(2026, 6, 19, 15, 0, 1, tzinfo=BST), False, "a second later"),
    (HOURS, datetime(2026, 6, 19, 15, 0), False, "no UTC offset: no instant"),  # noqa: DTZ001
    (DAY, datetime(2026, 6, 20, 0, 0, tzinfo=BST), True, "a day deadline's instant is its end"),
    (FOLD, datetime(2026, 10, 25, 1, 30, tzinfo=UTC), True, "the repeated hour, as an instant"),
    (FOLD, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), False, "the first 01:30 is another instant"),
    (None, date(2026, 6, 19), False, "no due date matches no date"),
    (None, datetime(2026, 6, 19, 15, 0, tzinfo=BST), False, "nor any instant"),
]


@pytest.mark.parametrize(("due", "expected", "matches", "why"), MATCHES)
def test_due_matches(due: Deadline | None, expected: date, matches: bool, why: str) -> None:
    assert due_matches(expected, due) is matches, why


@pytest.mark.parametrize(
    ("due", "day"),
    [(DAY, date(2026, 6, 19)), (HOURS, date(2026, 6, 19)), (MIDNIGHT, date(2026, 6, 20))],
)
def test_last_day_on_time(due: Deadline, day: date) -> None:
    assert last_day_on_time(due) == day


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2026-06-19", date(2026, 6, 19)),
        ("2026-06-19T15:00:00+01:00", datetime(2026, 6, 19, 15, 0, tzinfo=BST)),
    ],
)
def test_parse_due(text: str, parsed: date) -> None:
    assert parse_due(text) == parsed
    assert type(parse_due(text)) is type(parsed)


def test_parse_due_refuses_other_text() -> None:
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_due("next week")


@pytest.mark.parametrize(
    ("text", "words", "matches"),
    [
        ("Discuss with the other line manager", "LINE MANAGER", True),
        ("Straße", "STRASSE", True),  # casefold, not lower
        ("Discuss", "escalate", False),
    ],
)
def test_mentions(text: str, words: str, matches: bool) -> None:
    assert mentions(text, words) is matches


def _evaluation(due: Deadline | None) -> Evaluation:
    """The testing kit's example evaluation, its one action due at ``due``."""
    example = _example_evaluation()
    (action,) = example.actions
    return attrs.evolve(example, actions=(attrs.evolve(action, due=due),))


@pytest.mark.parametrize(("due", "expected", "matches", "why"), MATCHES)
def test_the_kit_and_scenarios_agree(
    due: Deadline | None, expected: date, matches: bool, why: str
) -> None:
    evaluation = _evaluation(due)
    try:
        assert_requires(evaluation, due_by=expected)
        kit = True
    except AssertionError:
        kit = False
    found = compare(
        {"actions_include": [{"id": "stage:step-2", "due": expected.isoformat()}]}, evaluation
    )
    assert kit is matches, why
    assert (found == ()) is matches, why
