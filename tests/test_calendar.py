"""Tests for the working-day calendar (challenge_rules.calendar)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from challenge_rules import _holidays
from challenge_rules.calendar import (
    HOLIDAY_CALENDARS,
    MAX_DATE,
    MIN_DATE,
    Deadline,
    Lateness,
    Timescale,
    Unit,
    WorkingCalendar,
    bank_holidays,
    working_calendar,
)
from challenge_rules.errors import CalendarError
from challenge_rules.testing import moments as kit_moments
from challenge_rules.testing import timescales as kit_timescales

LONDON = ZoneInfo("Europe/London")
GOV_UK = Path(__file__).parent / "data" / "gov_uk_bank_holidays_england_and_wales.json"
EW = working_calendar()


def _gov_uk() -> dict[str, list[dict[str, str]]]:
    document = json.loads(GOV_UK.read_text(encoding="utf-8"))
    assert document["source"] == "https://www.gov.uk/bank-holidays"
    return document["years"]


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, second: int = 0):
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def wd(n: int) -> Timescale:
    return Timescale(Unit.WORKING_DAYS, n)


# --- the official list ---------------------------------------------------------------------


@pytest.mark.parametrize("year", range(2018, 2028))
def test_bank_holidays_equal_the_official_gov_uk_list(year: int) -> None:
    official = tuple(date.fromisoformat(event["date"]) for event in _gov_uk()[str(year)])
    assert bank_holidays("england-and-wales", year) == official
    for day in official:
        assert not EW.is_working_day(day)


def test_gov_uk_table_covers_2018_to_2027() -> None:
    assert sorted(_gov_uk()) == [str(year) for year in range(2018, 2028)]


@pytest.mark.parametrize(
    ("day", "is_holiday"),
    [
        # Early May bank holiday 1995 moved to VE Day's 50th anniversary.
        (date(1995, 5, 8), True),
        (date(1995, 5, 1), False),
        # Specials workalendar already knows, kept by the corrections.
        (date(1999, 12, 31), True),
        (date(2011, 4, 29), True),
        (date(2012, 6, 4), True),
        (date(2012, 6, 5), True),
        (date(2012, 5, 28), False),
        # New Year's Day 2028 is a Saturday: substitute Monday 3 January.
        (date(2028, 1, 3), True),
    ],
)
def test_corrections_outside_the_official_window(day: date, is_holiday: bool) -> None:
    assert (day in bank_holidays("england-and-wales", day.year)) is is_holiday


def test_bank_holidays_are_weekdays_and_sorted_for_every_supported_year() -> None:
    for year in range(MIN_DATE.year, MAX_DATE.year + 1):
        days = bank_holidays("england-and-wales", year)
        assert list(days) == sorted(set(days))
        assert all(day.weekday() < 5 and day.year == year for day in days)


def test_none_calendar_is_weekends_only() -> None:
    calendar = working_calendar(holidays="none")
    assert bank_holidays("none", 2025) == ()
    assert calendar.is_working_day(date(2025, 12, 25))
    assert not calendar.is_working_day(date(2025, 12, 27))
    assert calendar.add_working_days(date(2025, 12, 24), 1) == date(2025, 12, 25)
    assert HOLIDAY_CALENDARS == ("england-and-wales", "none")


@pytest.mark.parametrize(
    ("region", "year"),
    [("scotland", 2025), ("England-and-Wales", 2025), ("england-and-wales", 1899)],
)
def test_bank_holidays_rejects_unknown_region_or_year(region: str, year: int) -> None:
    with pytest.raises(CalendarError) as caught:
        bank_holidays(region, year)
    assert "england-and-wales" in str(caught.value) or "1900" in str(caught.value)


# --- hand-checked deadlines -----------------------------------------------------------------

DEADLINES = [
    # Coronation: Fri 5 May 2023, 2 working days; Mon 8 May was the coronation bank
    # holiday, so Tue 9 and Wed 10 count.
    pytest.param(london(2023, 5, 5, 15), wd(2), date(2023, 5, 10), id="coronation-2023"),
    # Any time of the trigger day gives the same deadline (23:59 on Friday).
    pytest.param(london(2023, 5, 5, 23, 59), wd(2), date(2023, 5, 10), id="coronation-late"),
    # Christmas 2025 is Thu/Fri: from Wed 24 Dec the first working day is Mon 29 Dec.
    pytest.param(london(2025, 12, 24, 10), wd(1), date(2025, 12, 29), id="christmas-2025"),
    pytest.param(london(2025, 12, 24, 10), wd(2), date(2025, 12, 30), id="christmas-2025-2"),
    # Christmas 2026 is Friday, Boxing Day Saturday: substitute Mon 28 Dec.
    pytest.param(london(2026, 12, 24, 10), wd(1), date(2026, 12, 29), id="christmas-2026"),
    # Christmas 2027 is Saturday: substitutes Mon 27 and Tue 28 Dec.
    pytest.param(london(2027, 12, 24, 10), wd(1), date(2027, 12, 29), id="christmas-2027"),
    # ... and New Year's Day 2028 is Saturday: substitute Mon 3 Jan; 29, 30, 31 Dec,
    # then Tue 4 and Wed 5 Jan.
    pytest.param(london(2027, 12, 24, 10), wd(5), date(2028, 1, 5), id="new-year-2028"),
    # Christmas 2022 is Sunday: Boxing Day Mon 26, Christmas substitute Tue 27 Dec.
    pytest.param(london(2022, 12, 23, 10), wd(1), date(2022, 12, 28), id="christmas-2022"),
    # Easter 2024: Good Friday 29 Mar, Easter Monday 1 Apr (and BST from 31 Mar).
    pytest.param(london(2024, 3, 28, 10), wd(1), date(2024, 4, 2), id="easter-2024"),
    # Easter 2026: Good Friday 3 Apr, Easter Monday 6 Apr; Tue 7 and Wed 8 count.
    pytest.param(london(2026, 4, 2, 10), wd(2), date(2026, 4, 8), id="easter-2026"),
    # Spring bank holiday moved to Thu 2 Jun 2022 and the Platinum Jubilee Fri 3 Jun.
    pytest.param(london(2022, 6, 1, 10), wd(1), date(2022, 6, 6), id="jubilee-2022"),
    # The State Funeral of Queen Elizabeth II, Mon 19 Sep 2022.
    pytest.param(london(2022, 9, 16, 10), wd(1), date(2022, 9, 20), id="state-funeral-2022"),
    # Clocks go forward Sun 29 Mar 2026: the deadline is still the end of Monday.
    pytest.param(london(2026, 3, 27, 10), wd(1), date(2026, 3, 30), id="clocks-forward-2026"),
    # Clocks go back Sun 25 Oct 2026: likewise.
    pytest.param(london(2026, 10, 23, 10), wd(1), date(2026, 10, 26), id="clocks-back-2026"),
    # 23:30 UTC on Sunday 7 June 2026 is 00:30 BST on Monday 8 June: Monday is the
    # trigger day, so 1 working day is Tuesday (the UTC date would give Monday).
    pytest.param(
        datetime(2026, 6, 7, 23, 30, tzinfo=UTC), wd(1), date(2026, 6, 9), id="utc-sunday-night"
    ),
    # 00:30 local on Tuesday 9 June (still Monday in UTC) counts from Tuesday.
    pytest.param(london(2026, 6, 9, 0, 30), wd(1), date(2026, 6, 10), id="just-after-midnight"),
    # An offset other than the calendar's: 20:00 -05:00 on Mon 8 Jun is 02:00 BST Tue 9.
    pytest.param(
        datetime(2026, 6, 8, 20, tzinfo=timezone(timedelta(hours=-5))),
        wd(1),
        date(2026, 6, 10),
        id="other-offset",
    ),
    # 31 Jan 2026 + 1 month is Sat 28 Feb (clamped), rolled forward to Mon 2 Mar.
    pytest.param(
        london(2026, 1, 31, 9), Timescale(Unit.MONTHS, 1), date(2026, 3, 2), id="months-clamp"
    ),
    # 31 Jan 2028 + 1 month is Tue 29 Feb (leap year), a working day.
    pytest.param(
        london(2028, 1, 31, 9), Timescale(Unit.MONTHS, 1), date(2028, 2, 29), id="months-leap"
    ),
    # 27 Nov 2027 + 1 month is Mon 27 Dec, a Christmas substitute: rolls to Wed 29 Dec.
    pytest.param(
        london(2027, 11, 27, 9), Timescale(Unit.MONTHS, 1), date(2027, 12, 29), id="months-xmas"
    ),
    # 31 Oct 2026 + 12 months is Sun 31 Oct 2027, rolled forward to Mon 1 Nov.
    pytest.param(
        london(2026, 10, 31, 9), Timescale(Unit.MONTHS, 12), date(2027, 11, 1), id="months-year"
    ),
    # 3 calendar days from Mon 22 Dec 2025 is Christmas Day: rolls to Mon 29 Dec.
    pytest.param(
        london(2025, 12, 22, 9),
        Timescale(Unit.CALENDAR_DAYS, 3),
        date(2025, 12, 29),
        id="calendar-days-christmas",
    ),
    # 2 calendar days from Fri 27 Mar 2026 is Sun 29 Mar (clocks change): Mon 30 Mar.
    pytest.param(
        london(2026, 3, 27, 9),
        Timescale(Unit.CALENDAR_DAYS, 2),
        date(2026, 3, 30),
        id="calendar-days-clocks",
    ),
    # Same day on Saturday 6 June 2026: the end of the next working day, Monday.
    pytest.param(london(2026, 6, 6, 11), Timescale(Unit.SAME_DAY), date(2026, 6, 8), id="same-sat"),
    # Same day on a working day: the end of that day.
    pytest.param(
        london(2026, 6, 10, 16), Timescale(Unit.SAME_DAY), date(2026, 6, 10), id="same-weekday"
    ),
]


@pytest.mark.parametrize(("trigger", "timescale", "day"), DEADLINES)
def test_hand_checked_deadlines(trigger: datetime, timescale: Timescale, day: date) -> None:
    deadline = EW.deadline(trigger, timescale)
    assert deadline.day == day
    next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), LONDON)
    assert deadline.at == next_midnight
    # The instant carries London's offset then, as a fixed offset (see _instants.fixed_offset).
    assert deadline.at.utcoffset() == next_midnight.utcoffset()
    assert deadline.at.isoformat() == next_midnight.isoformat()


@pytest.mark.parametrize(
    ("trigger", "timescale", "at_utc"),
    [
        # 48 hours across the spring clock change is 48 elapsed hours: 12:00 GMT Saturday
        # is due 13:00 BST Monday, which is 12:00 UTC.
        (london(2026, 3, 28, 12), Timescale(Unit.HOURS, 48), datetime(2026, 3, 30, 12, tzinfo=UTC)),
        # Across the autumn change: 12:00 BST Saturday is due 11:00 GMT Monday.
        (
            london(2026, 10, 24, 12),
            Timescale(Unit.HOURS, 48),
            datetime(2026, 10, 26, 11, tzinfo=UTC),
        ),
        # Hours never roll forward: 24 hours from Friday noon ends on Saturday.
        (london(2026, 6, 5, 12), Timescale(Unit.HOURS, 24), datetime(2026, 6, 6, 11, tzinfo=UTC)),
        # Immediately: due at the trigger itself.
        (london(2026, 6, 6, 12), Timescale(Unit.IMMEDIATELY), datetime(2026, 6, 6, 11, tzinfo=UTC)),
    ],
)
def test_instant_deadlines(trigger: datetime, timescale: Timescale, at_utc: datetime) -> None:
    deadline = EW.deadline(trigger, timescale)
    assert deadline.day is None
    assert deadline.at == at_utc
    assert deadline.at.utcoffset() == at_utc.astimezone(LONDON).utcoffset()


def test_an_instant_in_the_repeated_autumn_hour_equals_itself_elsewhere() -> None:
    # 01:30 GMT on 27 Oct 2024 is the second 01:30 of that night in London (fold=1):
    # a ZoneInfo datetime there never compares equal to another zone's (PEP 495).
    deadline = EW.deadline(datetime(2024, 10, 27, 1, 30, tzinfo=UTC), Timescale(Unit.IMMEDIATELY))
    assert deadline.at == datetime.fromisoformat("2024-10-27T01:30:00+00:00")
    assert deadline.at.isoformat() == "2024-10-27T01:30:00+00:00"


def test_end_of_day_across_clock_changes() -> None:
    assert EW.end_of_day(date(2026, 3, 28)).isoformat() == "2026-03-29T00:00:00+00:00"
    assert EW.end_of_day(date(2026, 3, 29)).isoformat() == "2026-03-30T00:00:00+01:00"
    assert EW.end_of_day(date(2026, 10, 24)).isoformat() == "2026-10-25T00:00:00+01:00"
    assert EW.end_of_day(date(2026, 10, 25)).isoformat() == "2026-10-26T00:00:00+00:00"
    assert EW.end_of_day(MAX_DATE).isoformat() == "2200-01-01T00:00:00+00:00"


def test_end_of_day_when_local_midnight_does_not_exist() -> None:
    # Sao Paulo started summer time at midnight on 4 Nov 2018: that day began at 01:00.
    sao_paulo = working_calendar("America/Sao_Paulo", "none")
    assert sao_paulo.end_of_day(date(2018, 11, 3)).isoformat() == "2018-11-04T01:00:00-02:00"
    # Samoa skipped 30 Dec 2011 altogether: the 29th ended when the 31st began.
    samoa = working_calendar("Pacific/Apia", "none")
    assert samoa.end_of_day(date(2011, 12, 29)).isoformat() == "2011-12-31T00:00:00+14:00"


def test_local_date_uses_the_calendars_time_zone() -> None:
    assert EW.local_date(datetime(2026, 6, 7, 23, 30, tzinfo=UTC)) == date(2026, 6, 8)
    assert EW.local_date(datetime(2026, 1, 7, 23, 30, tzinfo=UTC)) == date(2026, 1, 7)
    utc = working_calendar("UTC")
    assert utc.local_date(london(2026, 6, 8, 0, 30)) == date(2026, 6, 7)


def test_extra_closures_move_deadlines() -> None:
    closed = working_calendar(extra_closures=[date(2023, 5, 9)])
    trigger = london(2023, 5, 5, 15)
    assert EW.deadline(trigger, wd(2)).day == date(2023, 5, 10)
    assert closed.deadline(trigger, wd(2)).day == date(2023, 5, 11)
    assert not closed.is_working_day(date(2023, 5, 9))
    # A special holiday announced after a release goes in as a closure meanwhile.
    month_end = working_calendar(extra_closures=[date(2026, 3, 2)])
    assert month_end.deadline(london(2026, 1, 31, 9), Timescale(Unit.MONTHS, 1)).day == date(
        2026, 3, 3
    )


def test_working_calendar_is_cached_on_normalized_arguments() -> None:
    days = [date(2026, 8, 3), date(2026, 8, 4)]
    first = working_calendar("Europe/London", "england-and-wales", days)
    assert working_calendar(extra_closures=reversed(days)) is first
    assert working_calendar(extra_closures=(*days, days[0])) is first
    assert first.extra_closures == frozenset(days)
    assert hash(first) == hash(WorkingCalendar(extra_closures=days))
    assert first == WorkingCalendar(extra_closures=days)
    assert working_calendar("UTC") != EW


def test_working_day_arithmetic_edges() -> None:
    saturday = date(2026, 6, 6)
    assert EW.add_working_days(saturday, 0) == date(2026, 6, 8)
    assert EW.add_working_days(date(2026, 6, 8), 0) == date(2026, 6, 8)
    assert EW.next_working_day(saturday) == date(2026, 6, 8)
    assert EW.add_working_days(saturday, 1) == date(2026, 6, 8)
    assert EW.add_working_days(saturday, -1) == date(2026, 6, 5)
    assert EW.add_working_days(date(2026, 6, 8), -1) == date(2026, 6, 5)
    # Across a year boundary both ways: 2 Jan 2026 is Friday, 1 Jan a holiday.
    assert EW.add_working_days(date(2026, 1, 2), -1) == date(2025, 12, 31)
    assert EW.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 2)
    assert EW.working_days_between(date(2025, 12, 24), date(2026, 1, 2)) == 4
    assert EW.working_days_between(date(2026, 1, 2), date(2025, 12, 24)) == 0
    assert EW.working_days_between(saturday, saturday) == 0
    # Long spans cross many yearly blocks.
    assert EW.working_days_between(date(1999, 12, 31), date(2100, 1, 1)) == sum(
        len(working_days_of(year)) for year in range(2000, 2100)
    ) + int(EW.is_working_day(date(2100, 1, 1)))
    assert EW.add_working_days(MIN_DATE, 1) == date(1900, 1, 2)
    assert EW.add_working_days(MAX_DATE, -1) == date(2199, 12, 30)


def working_days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    days = (first + timedelta(days=i) for i in range(366))
    return [day for day in days if day.year == year and EW.is_working_day(day)]


# --- lateness -------------------------------------------------------------------------------


def test_lateness_of_a_day_deadline() -> None:
    deadline = EW.deadline(london(2023, 5, 5, 15), wd(2))  # end of Wed 10 May 2023
    assert EW.lateness(deadline, london(2023, 5, 10, 23, 59, second=59)) is None
    # The midnight that ends Wed 10 May is the deadline's instant: still on time.
    assert EW.lateness(deadline, london(2023, 5, 11)) is None
    assert EW.lateness(deadline, london(2023, 5, 11, second=1)) == Lateness(1, timedelta(seconds=1))
    # Late on Saturday: Thu 11 and Fri 12 are the working days missed.
    assert EW.lateness(deadline, london(2023, 5, 13, 12)) == Lateness(
        2, timedelta(days=2, hours=12)
    )


def test_lateness_of_an_hour_deadline() -> None:
    deadline = EW.deadline(london(2026, 6, 8, 10), Timescale(Unit.HOURS, 4))  # 14:00 BST
    assert EW.lateness(deadline, datetime(2026, 6, 8, 12, 59, tzinfo=UTC)) is None
    late = EW.lateness(deadline, datetime(2026, 6, 8, 13, 30, tzinfo=UTC))
    assert late == Lateness(working_days=0, elapsed=timedelta(minutes=30))
    assert EW.lateness(deadline, london(2026, 6, 10, 9)) == Lateness(2, timedelta(hours=43))


def test_lateness_compares_instants_not_wall_clocks() -> None:
    # 01:30 occurs twice on 25 Oct 2026; the second (GMT) one is an hour later.
    first = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON)
    second = datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=LONDON)
    deadline = Deadline(at=second)
    assert EW.lateness(deadline, first.replace(minute=45)) is None
    # An instant deadline includes its last instant; a second later is late.
    assert EW.lateness(deadline, second) is None
    assert EW.lateness(deadline, second.astimezone(UTC) + timedelta(seconds=1)) == Lateness(
        0, timedelta(seconds=1)
    )


# --- values and their text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timescale", "text"),
    [
        (Timescale(Unit.WORKING_DAYS, 1), "1 working day"),
        (Timescale(Unit.WORKING_DAYS, 2), "2 working days"),
        (Timescale(Unit.CALENDAR_DAYS, 28), "28 calendar days"),
        (Timescale(Unit.HOURS, 48), "48 hours"),
        (Timescale(Unit.HOURS, 1), "1 hour"),
        (Timescale(Unit.MONTHS, 1), "1 calendar month"),
        (Timescale(Unit.MONTHS, 3), "3 calendar months"),
        (Timescale(Unit.SAME_DAY), "the same working day"),
        (Timescale(Unit.IMMEDIATELY), "immediately"),
        (Timescale("working_days", 5), "5 working days"),  # type: ignore[arg-type]
    ],
)
def test_timescale_text(timescale: Timescale, text: str) -> None:
    assert str(timescale) == text


@pytest.mark.parametrize(
    ("unit", "amount"),
    [
        (Unit.WORKING_DAYS, 0),
        (Unit.HOURS, -1),
        (Unit.MONTHS, 0),
        (Unit.CALENDAR_DAYS, -3),
        (Unit.SAME_DAY, 1),
        (Unit.IMMEDIATELY, 2),
        (Unit.WORKING_DAYS, 1.5),
        (Unit.WORKING_DAYS, True),
        ("fortnights", 1),
    ],
)
def test_timescale_validation(unit: Unit, amount: int) -> None:
    with pytest.raises(CalendarError):
        Timescale(unit, amount)


def test_deadline_text() -> None:
    assert str(EW.deadline(london(2023, 5, 5, 15), wd(2))) == "end of Wed 10 May 2023"
    hours = EW.deadline(london(2023, 5, 9, 8), Timescale(Unit.HOURS, 2))
    assert str(hours) == "2023-05-09 10:00 +01:00"
    assert (
        str(Deadline(at=datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC))) == "2026-01-05 09:00:30 +00:00"
    )


def test_deadline_and_lateness_validation() -> None:
    with pytest.raises(CalendarError, match="no UTC offset"):
        Deadline(at=datetime(2026, 1, 5, 9))  # noqa: DTZ001
    with pytest.raises(CalendarError):
        Deadline(at=london(2026, 1, 5), day=london(2026, 1, 4))
    with pytest.raises(CalendarError):
        Lateness(working_days=-1, elapsed=timedelta())


# --- bad input ------------------------------------------------------------------------------


def test_naive_datetime_is_rejected_naming_what_was_expected() -> None:
    naive = datetime(2026, 6, 8, 9, 30)  # noqa: DTZ001
    for call in (
        lambda: EW.local_date(naive),
        lambda: EW.deadline(naive, wd(1)),
        lambda: EW.lateness(Deadline(at=london(2026, 6, 8)), naive),
    ):
        with pytest.raises(CalendarError) as caught:
            call()
        assert caught.value.message == "timestamp has no UTC offset"
        assert caught.value.expected == (
            "an ISO 8601 timestamp with an offset such as 2026-06-08T09:30:00+01:00"
        )
        assert "2026-06-08T09:30:00" in str(caught.value)


@pytest.mark.parametrize(
    "name", ["Europe/Nowhere", "europe/london", "", "../etc/passwd", "a" * 300]
)
def test_bad_time_zone(name: str) -> None:
    with pytest.raises(CalendarError, match="IANA"):
        working_calendar(name)
    with pytest.raises(CalendarError):
        WorkingCalendar(time_zone=name)


def test_unknown_holiday_calendar_lists_the_valid_names() -> None:
    with pytest.raises(CalendarError, match="england-and-wales, none"):
        working_calendar(holidays="scotland")


@pytest.mark.parametrize(
    "call",
    [
        lambda: EW.is_working_day(date(1899, 12, 31)),
        lambda: EW.add_working_days(date(2200, 1, 1), 1),
        lambda: EW.add_working_days(date(2199, 12, 30), 2),
        lambda: EW.add_working_days(date(1900, 1, 2), -2),
        lambda: EW.add_working_days(date(2026, 1, 1), 10**9),
        lambda: EW.working_days_between(date(1800, 1, 1), date(2026, 1, 1)),
        lambda: EW.end_of_day(date(1, 1, 1)),
        lambda: EW.local_date(datetime(2200, 1, 1, 1, tzinfo=UTC)),
        lambda: EW.local_date(datetime.min.replace(tzinfo=UTC)),
        lambda: EW.deadline(datetime(2199, 12, 1, tzinfo=UTC), Timescale(Unit.MONTHS, 1)),
        lambda: EW.deadline(datetime(2199, 12, 1, tzinfo=UTC), Timescale(Unit.CALENDAR_DAYS, 40)),
        lambda: EW.deadline(datetime(2199, 12, 1, tzinfo=UTC), Timescale(Unit.HOURS, 10**6)),
        lambda: EW.deadline(datetime(2199, 12, 1, tzinfo=UTC), Timescale(Unit.HOURS, 10**15)),
        lambda: EW.deadline(datetime(2026, 1, 1, tzinfo=UTC), Timescale(Unit.MONTHS, 10**9)),
        lambda: working_calendar(extra_closures=[date(2200, 1, 1)]),
    ],
)
def test_out_of_range_raises_calendar_error(call: object) -> None:
    with pytest.raises(CalendarError, match="supported range"):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    "call",
    [
        lambda: EW.is_working_day(datetime(2026, 1, 5, tzinfo=UTC)),
        lambda: EW.add_working_days("2026-01-05", 1),
        lambda: EW.add_working_days(date(2026, 1, 5), 1.0),
        lambda: EW.working_days_between(date(2026, 1, 5), None),
        lambda: EW.local_date(date(2026, 1, 5)),
        lambda: working_calendar(extra_closures=["2026-01-05"]),
        lambda: working_calendar(extra_closures=[datetime(2026, 1, 5, tzinfo=UTC)]),
        lambda: working_calendar(extra_closures=5),
        lambda: working_calendar(time_zone=None),
        lambda: working_calendar(holidays=["none"]),
        lambda: bank_holidays("none", "2026"),
    ],
)
def test_wrong_types_raise_calendar_error(call: object) -> None:
    with pytest.raises(CalendarError):
        call()  # type: ignore[operator]


# --- laws -----------------------------------------------------------------------------------

DAYS = st.dates(date(1990, 1, 1), date(2090, 12, 31))
CLOSURES = st.frozensets(DAYS, max_size=6)
DAY_UNITS = st.sampled_from(
    [Unit.WORKING_DAYS, Unit.CALENDAR_DAYS, Unit.MONTHS, Unit.SAME_DAY],
)
ZONES = st.sampled_from([UTC, LONDON, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))])


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    day = draw(DAYS)
    seconds = draw(st.integers(0, 86_399))
    naive = datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)
    return naive.replace(tzinfo=draw(ZONES))


@st.composite
def timescales(draw: st.DrawFn, units: st.SearchStrategy[Unit] = DAY_UNITS) -> Timescale:
    unit = draw(units)
    if unit in {Unit.SAME_DAY, Unit.IMMEDIATELY}:
        return Timescale(unit)
    return Timescale(unit, draw(st.integers(1, 40 if unit is not Unit.MONTHS else 24)))


def slow_closed(calendar: WorkingCalendar, years: range) -> set[date]:
    closed = set(calendar.extra_closures)
    for year in years:
        closed.update(bank_holidays(calendar.holidays, year))
    return closed


def slow_add(day: date, n: int, closed: set[date]) -> date:
    """Step a day at a time, from the raw holiday set (no index)."""

    def working(candidate: date) -> bool:
        return candidate.weekday() < 5 and candidate not in closed

    if n == 0:
        while not working(day):
            day += timedelta(days=1)
        return day
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        remaining -= working(day)
    return day


@settings(deadline=None)
@given(day=DAYS, n=st.integers(-40, 40), closures=CLOSURES)
def test_add_working_days_agrees_with_a_day_by_day_reference(
    day: date, n: int, closures: frozenset[date]
) -> None:
    calendar = working_calendar(extra_closures=closures)
    closed = slow_closed(calendar, range(day.year - 1, day.year + 2))
    assert calendar.add_working_days(day, n) == slow_add(day, n, closed)
    assert calendar.is_working_day(day) == (day.weekday() < 5 and day not in closed)
    end = day + timedelta(days=abs(n) * 3)
    expected = sum(
        1
        for i in range(1, (end - day).days + 1)
        if (day + timedelta(days=i)).weekday() < 5 and day + timedelta(days=i) not in closed
    )
    assert calendar.working_days_between(day, end) == expected


@settings(deadline=None)
@given(day=DAYS, a=st.integers(1, 300), b=st.integers(1, 300))
def test_adding_working_days_composes(day: date, a: int, b: int) -> None:
    assert EW.add_working_days(day, a + b) == EW.add_working_days(EW.add_working_days(day, a), b)


@settings(deadline=None)
@given(day=DAYS, n=st.integers(1, 600))
def test_working_days_between_inverts_adding(day: date, n: int) -> None:
    later = EW.add_working_days(day, n)
    assert EW.working_days_between(day, later) == n
    # Going back n lands on the last working day on or before ``day``.
    assert EW.add_working_days(later, -n) == EW.add_working_days(day + timedelta(days=1), -1)


@settings(deadline=None)
@given(trigger=moments(), timescale=timescales(), closures=CLOSURES)
def test_day_deadlines_are_working_days_and_closures_never_make_them_earlier(
    trigger: datetime, timescale: Timescale, closures: frozenset[date]
) -> None:
    plain = EW.deadline(trigger, timescale)
    closed = working_calendar(extra_closures=closures)
    later = closed.deadline(trigger, timescale)
    assert plain.day is not None
    assert later.day is not None
    assert EW.is_working_day(plain.day)
    assert closed.is_working_day(later.day)
    assert later.day >= plain.day
    assert plain.day >= EW.local_date(trigger)
    assert plain.at == EW.end_of_day(plain.day)
    assert EW.local_date(plain.at) == plain.day + timedelta(days=1)
    assert EW.local_date(plain.at - timedelta(microseconds=1)) == plain.day


# Every unit with a deadline of its own (a bare without_delay has none: see `due`).
ANY_UNIT = st.sampled_from([unit for unit in Unit if unit is not Unit.WITHOUT_DELAY])


@settings(deadline=None)
@given(
    trigger=moments(),
    timescale=timescales(ANY_UNIT),
    offset=st.integers(-3 * 86_400, 3 * 86_400),
    zone=ZONES,
)
def test_lateness_is_none_exactly_when_on_time(
    trigger: datetime, timescale: Timescale, offset: int, zone: timezone
) -> None:
    deadline = EW.deadline(trigger, timescale)
    # Arithmetic and comparison in UTC: within one tzinfo both use the wall clock.
    at = deadline.at.astimezone(UTC)
    moment = (at + timedelta(seconds=offset)).astimezone(zone)
    lateness = EW.lateness(deadline, moment)
    # One rule for every unit: at or before the instant is on time, any later is late.
    on_time = moment.astimezone(UTC) <= at
    assert (lateness is None) == on_time
    if lateness is not None:
        assert lateness.elapsed == timedelta(seconds=offset)
        assert lateness.working_days >= 0


@settings(deadline=None)
@given(trigger=moments(), hours=st.integers(1, 24 * 400))
def test_hours_are_elapsed_hours(trigger: datetime, hours: int) -> None:
    deadline = EW.deadline(trigger, Timescale(Unit.HOURS, hours))
    assert deadline.at.astimezone(UTC) - trigger.astimezone(UTC) == timedelta(hours=hours)


def test_holiday_module_lists_only_known_regions() -> None:
    assert set(_holidays.ADDITIONS) == set(_holidays.REMOVALS) == set(HOLIDAY_CALENDARS)


@pytest.mark.parametrize("unit", list(Unit))
def test_the_deadline_instant_is_on_time_and_the_next_is_late_for_every_unit(unit: Unit) -> None:
    # Issue 16 (8): one rule for every unit; day deadlines used to make their instant late.
    if unit is Unit.WITHOUT_DELAY:  # its deadline is the one the policy expects
        timescale = Timescale(unit, expect_within=Timescale(Unit.WORKING_DAYS, 2))
    else:
        timescale = Timescale(unit, 0 if unit in {Unit.SAME_DAY, Unit.IMMEDIATELY} else 2)
    deadline = EW.deadline(london(2023, 5, 5, 15), timescale)
    assert EW.lateness(deadline, deadline.at) is None
    late = EW.lateness(deadline, deadline.at + timedelta(microseconds=1))
    assert late is not None
    assert late.elapsed == timedelta(microseconds=1)


def _plain_deadline(calendar: WorkingCalendar, trigger: datetime, timescale: Timescale) -> Deadline:
    """`WorkingCalendar.deadline` by its definition, each reading a fresh plain timescale."""
    unit, amount = timescale.unit, timescale.amount
    if timescale.alternative is not None:
        own = _plain_deadline(calendar, trigger, Timescale(unit, amount))
        other = _plain_deadline(calendar, trigger, timescale.alternative)
        sooner = other if other.at < own.at else own  # a tie: its own reading
        later = other if other.at > own.at else own
        return {"sooner": sooner, "later": later}.get(str(timescale.governs), own)
    inner = timescale.tolerance or timescale.expect_within
    if inner is not None:
        return _plain_deadline(calendar, trigger, inner)
    if unit is Unit.IMMEDIATELY:
        return Deadline(at=calendar.local_time(trigger))
    if unit is Unit.HOURS:
        return Deadline(at=calendar.local_time(trigger.astimezone(UTC) + timedelta(hours=amount)))
    day = _plain_day(calendar, calendar.local_date(trigger), unit, amount)
    return Deadline(at=calendar.end_of_day(day), day=day)


def _plain_day(calendar: WorkingCalendar, start: date, unit: Unit, amount: int) -> date:
    """The last on-time day of a day-granular plain timescale started on ``start``."""
    if unit is Unit.WORKING_DAYS:
        return calendar.add_working_days(start, amount)
    if unit is Unit.CALENDAR_DAYS:
        return calendar.next_working_day(start + timedelta(days=amount))
    if unit is Unit.MONTHS:
        month = start.month - 1 + amount
        year, month = start.year + month // 12, month % 12 + 1
        following = date(year + month // 12, month % 12 + 1, 1)
        last = (following - timedelta(days=1)).day
        return calendar.next_working_day(date(year, month, min(start.day, last)))
    return calendar.next_working_day(start)  # same day


@settings(max_examples=300)
@given(
    trigger=kit_moments(),
    timescale=kit_timescales(),
    zone=st.sampled_from(["Europe/London", "UTC", "America/New_York", "Australia/Lord_Howe"]),
)
def test_deadlines_equal_their_plain_definition(
    trigger: datetime, timescale: Timescale, zone: str
) -> None:
    # The calendar reads a timescale's own unit and amount, and its hours, once per
    # timescale and checks fixed offsets without a call: the same deadlines as reading
    # them afresh every time, to the offset.
    calendar = working_calendar(zone)
    if timescale.unit is Unit.WITHOUT_DELAY and timescale.expect_within is None:
        assert calendar.due(trigger, timescale) is None
        return
    found = calendar.deadline(trigger, timescale)
    expected = _plain_deadline(calendar, trigger, timescale)
    assert found == expected
    assert found.at.isoformat() == expected.at.isoformat()
    assert calendar.due(trigger, timescale) == found
