"""Fixed-offset instants sharing one tzinfo object per offset (`challenge_rules._instants`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from challenge_rules._instants import fixed_offset, is_shared_offset, shared_offset

LONDON = ZoneInfo("Europe/London")


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2),  # noqa: DTZ001 - naive bounds for Hypothesis
        max_value=datetime(2199, 12, 30),  # noqa: DTZ001
        timezones=st.sampled_from(
            [UTC, LONDON, ZoneInfo("America/New_York"), timezone(timedelta(hours=5, minutes=30))]
        ),
    )
)
def test_the_same_instant_and_offset_with_one_shared_tzinfo(moment: datetime) -> None:
    shared = shared_offset(moment)
    # The same instant, asked in UTC: PEP 495 makes a ZoneInfo time inside a
    # clock-change gap or the repeated autumn hour compare unequal to every time
    # in another zone, so `shared == moment` would ask about the zone, not the instant.
    assert shared.astimezone(UTC) == moment.astimezone(UTC)
    assert shared.utcoffset() == moment.utcoffset()
    assert is_shared_offset(shared)
    assert type(shared.tzinfo) is timezone
    # Every time with that offset gets the very same object: cheap comparisons.
    again = shared_offset(datetime.fromisoformat(moment.isoformat()))
    assert again.tzinfo is shared.tzinfo
    assert shared_offset(shared) is shared
    assert fixed_offset(moment).tzinfo is shared.tzinfo


def test_parsed_times_are_not_shared_until_restated() -> None:
    parsed = datetime.fromisoformat("2026-06-08T09:30:00+01:00")
    assert not is_shared_offset(parsed)
    assert is_shared_offset(shared_offset(parsed))


def test_a_naive_time_is_never_taken_for_a_shared_one() -> None:
    assert not is_shared_offset(datetime(2026, 6, 8, 9, 30))  # noqa: DTZ001 - the point


def test_the_repeated_autumn_hour_keeps_its_order() -> None:
    # 01:30 BST comes an hour before 01:30 GMT on 26 October 2025; as ZoneInfo datetimes
    # (fold 0 and 1) they compare equal by wall clock; restated, they are in order.
    first = datetime(2025, 10, 26, 1, 30, tzinfo=LONDON)
    second = datetime(2025, 10, 26, 1, 30, fold=1, tzinfo=LONDON)
    assert not first < second
    assert shared_offset(first) < shared_offset(second)
    assert shared_offset(second) - shared_offset(first) == timedelta(hours=1)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1999, 4, 4, 2, 0, tzinfo=ZoneInfo("America/New_York")),  # in the spring gap
        datetime(1967, 3, 19, 2, 0, tzinfo=LONDON),  # in the spring gap
        datetime(2000, 10, 29, 1, 0, fold=1, tzinfo=LONDON),  # the repeated hour, second time
    ],
)
def test_times_in_clock_change_gaps_and_folds_keep_their_instant(moment: datetime) -> None:
    # The moments Hypothesis found: the same instant and offset, restated.
    shared = shared_offset(moment)
    assert shared.astimezone(UTC) == moment.astimezone(UTC)
    assert shared.utcoffset() == moment.utcoffset()
