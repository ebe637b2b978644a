"""Working days, deadlines and lateness on a partnership's calendar.

A `WorkingCalendar` knows which local dates are working days (Monday to
Friday, less bank holidays and the partnership's own closure days) in one IANA
time zone. Everything day-granular is computed on *local dates* and only then
turned into an instant, so the clock changes never move a deadline by a day.

Counting convention: a timescale of N working days ends at the end of the Nth
working day after the local date of the trigger; the trigger's own day is
never counted. Calendar-day and month timescales that end on a closed day roll
forward to the end of the next working day. Hour timescales are elapsed real
hours. See ``docs/calendar.md`` for the reasons and worked examples.

Working-day arithmetic is on the evaluator's hot path, so each calendar keeps a
sorted array of working-day ordinals per year, built on first use and shared by
all calendars with the same holidays and closures: adding working days is a
bisection and an index, counting them two bisections.
"""

from __future__ import annotations

import enum
import functools
from array import array
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import field, frozen

from challenge_rules import _holidays
from challenge_rules._construct import constructor
from challenge_rules._instants import fixed_offset
from challenge_rules._zones import depends_on_host
from challenge_rules.errors import CalendarError

if TYPE_CHECKING:
    from collections.abc import Iterable

MIN_DATE: Final = date(1900, 1, 1)
"""The first date a calendar can place."""
MAX_DATE: Final = date(2199, 12, 31)
"""The last date a calendar can place."""
HOLIDAY_CALENDARS: Final[tuple[str, ...]] = _holidays.REGIONS
"""The names `working_calendar` accepts for ``holidays``."""

_FIRST_YEAR: Final = MIN_DATE.year
_NO_TIME: Final = timedelta()
"""Made once: lateness compares with it for every late item, and making one is not cheap."""
_LAST_YEAR: Final = MAX_DATE.year
_YEARS: Final = MAX_DATE.year - MIN_DATE.year + 1
_RANGE: Final = f"a date from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"
_AWARE: Final = "an ISO 8601 timestamp with an offset such as 2026-06-08T09:30:00+01:00"
_DAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


class Unit(enum.StrEnum):
    """What a timescale's amount counts."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"
    MONTHS = "months"
    """Calendar months."""
    SAME_DAY = "same_day"
    """By the end of the trigger's local working day (the next one if it is closed)."""
    IMMEDIATELY = "immediately"
    """Due at the trigger moment itself, or within the timescale's ``tolerance``."""
    WITHOUT_DELAY = "without_delay"
    """As soon as possible: urgent, with no fixed deadline (or the ``expect_within`` one)."""


class Firmness(enum.StrEnum):
    """How firm a timescale is: what lateness against it means."""

    FIRM = "firm"
    """A deadline: being late is a breach of the source's rule."""
    INDICATIVE = "indicative"
    """A guideline (the source calls its timescales indicative): late is overdue against it."""


class Governs(enum.StrEnum):
    """Which of a timescale's two readings (its own and its ``alternative``) sets the deadline."""

    FIRST = "first"
    """The timescale's own unit and amount; the alternative is only shown."""
    SOONER = "sooner"
    """Whichever of the two ends first."""
    LATER = "later"
    """Whichever of the two ends last."""


_COUNTED: Final = frozenset({Unit.WORKING_DAYS, Unit.CALENDAR_DAYS, Unit.HOURS, Unit.MONTHS})
_NOUNS: Final = {
    Unit.WORKING_DAYS: ("working day", "working days"),
    Unit.CALENDAR_DAYS: ("calendar day", "calendar days"),
    Unit.HOURS: ("hour", "hours"),
    Unit.MONTHS: ("calendar month", "calendar months"),
}
_NO_DEADLINE: Final = frozenset({Unit.IMMEDIATELY, Unit.WITHOUT_DELAY})
"""Units that cannot be a plain span (an alternative, a tolerance, an expectation)."""


_E = TypeVar("_E", bound=enum.Enum)


def _member(kind: type[_E], value: _E | str, message: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise CalendarError(
            message=message,
            value=repr(value),
            expected="one of: " + ", ".join(str(member.value) for member in kind),
        ) from None


def _to_unit(value: Unit | str) -> Unit:
    return _member(Unit, value, "unknown timescale unit")


def _to_governs(value: Governs | str | None) -> Governs | None:
    return (
        None if value is None else _member(Governs, value, "unknown reading to govern a timescale")
    )


def _to_firmness(value: Firmness | str | None) -> Firmness | None:
    return None if value is None else _member(Firmness, value, "unknown timescale firmness")


def _span(name: str, span: Timescale | None, unit: Unit, only: Unit | None = None) -> None:
    """Check the nested timescale ``name`` is a plain span, allowed with ``unit``."""
    if span is None:
        return
    if only is not None and unit is not only:
        raise CalendarError(
            message=f"{name} is only for a timescale in {only.value}",
            value=unit.value,
            expected=only.value,
            hint=f"leave {name} out",
        )
    if span.unit in _NO_DEADLINE or not span.plain:
        raise CalendarError(
            message=f"{name} must be a plain timescale",
            value=repr(span),
            expected="a unit with a fixed end (working_days, calendar_days, hours, months or "
            "same_day) and an amount, with no alternative, tolerance, expectation or firmness",
        )


@frozen
class Timescale:
    """How long someone has to act: an amount of a `Unit`.

    ``amount`` must be at least 1 for working days, calendar days, hours and
    months, and 0 (the default) for ``same_day``, ``immediately`` and
    ``without_delay``.

    The other fields say what words such as "immediately", "without delay",
    "within 48 hours (two working days)" and "timescales are indicative" mean,
    each a plain timescale (no fields of its own beyond unit and amount):

    - ``alternative`` and ``governs``: the same time limit given in a second
      unit, and which of the two sets the deadline (both or neither given);
    - ``tolerance`` (``immediately`` only): how long "immediately" allows,
      e.g. the same working day; ``None`` leaves it to the policy's default;
    - ``expect_within`` (``without_delay`` only): the deadline the policy
      sets for an action the source wants without delay (lateness against it
      is drift, not a breach of the source); ``None``: the policy's default;
    - ``firmness``: ``None`` leaves it to the track's or the policy's.
    """

    unit: Unit = field(converter=_to_unit)
    amount: int = 0
    alternative: Timescale | None = None
    governs: Governs | None = field(default=None, converter=_to_governs)
    tolerance: Timescale | None = None
    expect_within: Timescale | None = None
    firmness: Firmness | None = field(default=None, converter=_to_firmness)

    # Cached: deadlines are on the hot path, and ask this of every timescale.
    @functools.cached_property
    def plain(self) -> bool:
        """Whether it is a unit and an amount only."""
        return (
            self.alternative is None
            and self.governs is None
            and self.tolerance is None
            and self.expect_within is None
            and self.firmness is None
        )

    @functools.cached_property
    def _bare(self) -> Timescale:
        """Its unit and amount alone (itself, if plain): the reading its own deadline is of."""
        return self if self.plain else Timescale(self.unit, self.amount)

    @functools.cached_property
    def _hours(self) -> timedelta:
        """Its amount as hours elapsed (for a timescale in hours); making one is not cheap."""
        return timedelta(hours=self.amount)

    def __attrs_post_init__(self) -> None:
        self._check_amount()
        if (self.alternative is None) != (self.governs is None):
            raise CalendarError(
                message="an alternative timescale needs governs, and governs an alternative",
                value=f"alternative={self.alternative!r}, governs={self.governs!r}",
                expected="both or neither",
                hint='say which governs: "first", "sooner" or "later"',
            )
        if self.alternative is not None and self.unit in _NO_DEADLINE:
            raise CalendarError(
                message=f"a {self.unit.value} timescale has no alternative reading",
                value=self.unit.value,
                expected="a unit with a fixed end",
                hint="leave the alternative out",
            )
        _span("the alternative", self.alternative, self.unit)
        _span("a tolerance", self.tolerance, self.unit, Unit.IMMEDIATELY)
        _span("expect_within", self.expect_within, self.unit, Unit.WITHOUT_DELAY)

    def _check_amount(self) -> None:
        amount: object = self.amount
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise CalendarError(
                message="timescale amount is not a whole number",
                value=repr(amount),
                expected="an integer",
            )
        if self.unit in _COUNTED and amount < 1:
            raise CalendarError(
                message=f"a timescale in {self.unit.value} needs a positive amount",
                value=str(amount),
                expected="an integer of at least 1",
            )
        if self.unit not in _COUNTED and amount != 0:
            raise CalendarError(
                message=f"a {self.unit.value} timescale takes no amount",
                value=str(amount),
                expected="0",
                hint="leave the amount out",
            )

    def __str__(self) -> str:
        text = self._words()
        if self.alternative is not None:
            other = self.alternative._words()  # noqa: SLF001 - the same class
            if self.governs is Governs.FIRST:
                text += f" ({other})"
            else:
                text += f" or {other}, whichever is {self.governs}"
        return text

    def _words(self) -> str:
        if self.unit is Unit.SAME_DAY:
            return "the same working day"
        if self.unit is Unit.IMMEDIATELY:
            return "immediately"
        if self.unit is Unit.WITHOUT_DELAY:
            return "without delay"
        singular, plural = _NOUNS[self.unit]
        return f"{self.amount} {singular if self.amount == 1 else plural}"


# Enum members bound once: reading one through its class costs a metaclass lookup
# on Python 3.11, and deadlines are computed for every action of every case.
_UNIT_CALENDAR_DAYS = Unit.CALENDAR_DAYS
_UNIT_HOURS = Unit.HOURS
_UNIT_IMMEDIATELY = Unit.IMMEDIATELY
_UNIT_MONTHS = Unit.MONTHS
_UNIT_SAME_DAY = Unit.SAME_DAY
_UNIT_WORKING_DAYS = Unit.WORKING_DAYS
_UNIT_WITHOUT_DELAY = Unit.WITHOUT_DELAY
_GOVERNS_SOONER = Governs.SOONER
_GOVERNS_LATER = Governs.LATER


def _format_day(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _format_instant(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta()
    sign = "-" if offset < timedelta() else "+"
    minutes, seconds = divmod(int(abs(offset).total_seconds()), 60)
    zone = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}" + (f":{seconds:02d}" if seconds else "")
    clock = "%H:%M:%S" if moment.second or moment.microsecond else "%H:%M"
    return f"{moment.strftime('%Y-%m-%d ' + clock)} {zone}"


def _is_aware(moment: object) -> bool:
    if not isinstance(moment, datetime):
        return False
    # A fixed offset (what parsed timestamps carry) is aware; asking it is cheaper.
    zone = moment.tzinfo
    return type(zone) is timezone or (zone is not None and moment.utcoffset() is not None)


def _naive(value: object) -> CalendarError:
    if isinstance(value, datetime):
        return CalendarError(
            message="timestamp has no UTC offset",
            value=value.isoformat(),
            expected=_AWARE,
            hint="give the offset in force where it happened (+01:00 in BST, Z for UTC)",
        )
    return CalendarError(message="not a timestamp", value=repr(value), expected=_AWARE)


@frozen(weakref_slot=False)  # built by _construct.constructor
class Deadline:
    """When something falls due.

    One rule for every unit: ``at`` is the instant the time allowed runs
    out. Done at or before ``at`` is on time; any later is late (see
    `WorkingCalendar.lateness`, the one place that decides). For day-granular
    timescales ``day`` is the last local day that is on time and ``at`` is the
    midnight that ends it. For hours ``day`` is None and ``at`` is the trigger
    plus that many hours; for ``immediately``, the trigger itself.
    """

    at: datetime
    day: date | None = None

    def __attrs_post_init__(self) -> None:
        if not _is_aware(self.at):
            raise _naive(self.at)
        day: object = self.day
        if day is not None and (isinstance(day, datetime) or not isinstance(day, date)):
            raise CalendarError(message="not a date", value=repr(day), expected="a date or None")

    def __str__(self) -> str:
        if self.day is not None:
            return f"end of {_format_day(self.day)}"
        return _format_instant(self.at)


@frozen(weakref_slot=False)  # built by _construct.constructor
class Lateness:
    """How late something was.

    ``working_days`` counts the working days after the deadline's last on-time
    local day (for hour deadlines: after the local date of the deadline), up to
    and including the local date of the late moment; it is 0 when something is
    late on the same day. ``elapsed`` is the real time since the deadline.
    """

    working_days: int
    elapsed: timedelta

    def __attrs_post_init__(self) -> None:
        if self.working_days < 0 or self.elapsed < _NO_TIME:
            raise CalendarError(
                message="lateness cannot be negative",
                value=f"{self.working_days} working days, {self.elapsed}",
                expected="a non-negative count and duration",
            )


# Deadlines and lateness built per case, without the frozen __init__'s cost (see _construct).
_DEADLINE: Final = constructor(Deadline)
_LATENESS: Final = constructor(Lateness)


def _not_a_date(value: object) -> CalendarError:
    hint = None
    if isinstance(value, datetime):
        hint = "use WorkingCalendar.local_date(moment) to get a timestamp's local date"
    return CalendarError(message="not a date", value=repr(value), expected="a date", hint=hint)


def _out_of_range(value: date) -> CalendarError:
    return CalendarError(
        message="date is outside the supported range", value=value.isoformat(), expected=_RANGE
    )


def _result_out_of_range(what: str) -> CalendarError:
    return CalendarError(
        message="the result falls outside the supported range",
        value=what,
        expected=f"a result from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}",
    )


def _day_index(day: object) -> int:
    """Check ``day`` is a date (not a datetime) in range; return its year's block index."""
    if type(day) is date or (isinstance(day, date) and not isinstance(day, datetime)):
        index = day.year - _FIRST_YEAR
        if 0 <= index < _YEARS:
            return index
        raise _out_of_range(day)
    raise _not_a_date(day)


def _check_count(n: object) -> int:
    if type(n) is int:
        return n
    if isinstance(n, int) and not isinstance(n, bool):
        return int(n)
    raise CalendarError(message="not a whole number of days", value=repr(n), expected="an integer")


class _WorkingDays:
    """Sorted working-day ordinals, one array per year, each built on first use.

    Shared by every calendar with the same holidays and closures (the time zone
    does not change which dates are working days).
    """

    __slots__ = ("_blocks", "_closures", "_region")

    def __init__(self, region: str, closures: frozenset[date]) -> None:
        self._region = region
        by_year: dict[int, set[int]] = {}
        for day in closures:
            by_year.setdefault(day.year, set()).add(day.toordinal())
        self._closures = {year: frozenset(days) for year, days in by_year.items()}
        self._blocks: list[array[int] | None] = [None] * _YEARS

    def block(self, index: int, what: str) -> array[int]:
        """Return the working-day ordinals of year ``_FIRST_YEAR + index`` (built on first use)."""
        if not 0 <= index < _YEARS:
            raise _result_out_of_range(what)
        days = self._blocks[index]
        if days is None:
            year = _FIRST_YEAR + index
            closed = {
                day.toordinal() for day in _holidays.observed_bank_holidays(self._region, year)
            }
            closed |= self._closures.get(year, frozenset())
            first = date(year, 1, 1).toordinal()
            end = date(year + 1, 1, 1).toordinal()
            # Ordinal 1 (1 Jan 0001) was a Monday, so ordinal % 7 is 1..5 on weekdays.
            days = array("I", [o for o in range(first, end) if 0 < o % 7 < 6 and o not in closed])
            self._blocks[index] = days
        return days

    def is_working(self, day: date) -> bool:
        if type(day) is not date or not 0 <= (index := day.year - _FIRST_YEAR) < _YEARS:
            index = _day_index(day)
        days = self._blocks[index]
        if days is None:
            days = self.block(index, "")
        ordinal = day.toordinal()
        i = bisect_left(days, ordinal)
        return i < len(days) and days[i] == ordinal

    def add(self, day: date, n: int) -> date:
        # The hot path: plain in-range dates and ints skip the full checks.
        if type(day) is not date or not 0 <= (index := day.year - _FIRST_YEAR) < _YEARS:
            index = _day_index(day)
        if type(n) is not int:
            n = _check_count(n)
        days = self._blocks[index]
        if days is None:
            days = self.block(index, "")
        ordinal = day.toordinal()
        if n >= 0:
            # n == 0 asks for the first working day >= day, n > 0 for the nth > day.
            k = bisect_right(days, ordinal) + n - 1 if n else bisect_left(days, ordinal)
            while k >= len(days):
                k -= len(days)
                index += 1
                days = self._blocks[index] if index < _YEARS else None
                if days is None:
                    days = self.block(index, f"{n} working days from {day.isoformat()}")
        else:
            k = bisect_left(days, ordinal) + n
            while k < 0:
                index -= 1
                days = self._blocks[index] if index >= 0 else None
                if days is None:
                    days = self.block(index, f"{-n} working days before {day.isoformat()}")
                k += len(days)
        return date.fromordinal(days[k])

    def between(self, start: date, end: date) -> int:
        # As `add`: plain in-range dates skip the full checks, built years the call.
        if type(start) is not date or not 0 <= (first := start.year - _FIRST_YEAR) < _YEARS:
            first = _day_index(start)
        if type(end) is not date or not 0 <= (last := end.year - _FIRST_YEAR) < _YEARS:
            last = _day_index(end)
        if end <= start:
            return 0
        start_days = self._blocks[first] or self.block(first, "")
        end_days = self._blocks[last] or self.block(last, "")
        if first == last:
            return bisect_right(end_days, end.toordinal()) - bisect_right(
                start_days, start.toordinal()
            )
        count = len(start_days) - bisect_right(start_days, start.toordinal())
        count += sum(len(self.block(index, "")) for index in range(first + 1, last))
        return count + bisect_right(end_days, end.toordinal())


@functools.lru_cache(maxsize=256)
def _working_days(region: str, closures: frozenset[date]) -> _WorkingDays:
    return _WorkingDays(region, closures)


def _zone(name: object) -> ZoneInfo:
    if isinstance(name, str) and depends_on_host(name):
        raise CalendarError(
            message="a time zone whose meaning depends on the machine",
            value=repr(name),
            expected="a tz database zone name that means the same everywhere, e.g. Europe/London",
            hint="name the partnership's own zone, not the machine's setting or a copy of a zone",
        )
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise CalendarError(
        message="unknown time zone",
        value=repr(name),
        expected="an IANA time zone name such as Europe/London",
        hint="names are case-sensitive; see the tz database's list of zone names",
    )


def _check_region(name: str) -> str:
    # Typed str for callers, but checked as any object: policies come from JSON.
    value: object = name
    if isinstance(value, str) and value in HOLIDAY_CALENDARS:
        return value
    raise CalendarError(
        message="unknown holiday calendar",
        value=repr(value),
        expected="one of: " + ", ".join(HOLIDAY_CALENDARS),
    )


def _closure_set(value: Iterable[date]) -> frozenset[date]:
    try:
        items: list[object] = list(value)
    except TypeError:
        raise CalendarError(
            message="extra closures are not a list of dates",
            value=repr(value),
            expected="a list of dates",
        ) from None
    for item in items:
        _day_index(item)
    return frozenset(item for item in items if isinstance(item, date))


_MAX_CACHED_DEADLINES: Final = 65_536
_RESOLUTION: Final = timedelta(microseconds=1)


# Deadlines fall on few distinct days, and the zone conversions are the slow part.
@functools.lru_cache(maxsize=8192)
def _start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Return the first instant whose local date in ``zone`` is ``day`` (or later)."""
    wall = datetime.combine(day, time(), tzinfo=zone)
    start = wall.astimezone(UTC)
    local = start.astimezone(zone)
    if local.replace(tzinfo=None) == wall.replace(tzinfo=None):
        return local
    # Local midnight falls in a gap (clocks jumped over it, which never happens
    # in Europe/London): the day starts at the transition. For a gap, fold=0
    # maps to an instant at or after the transition, so search the day before
    # it to the second; tz database transitions are on whole seconds.
    low = int(start.timestamp()) - 86_400
    high = int(start.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).date() >= day:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, zone)


def _add_months(day: date, months: int) -> date:
    total = day.month - 1 + months
    year = day.year + total // 12
    if year > MAX_DATE.year:
        raise _result_out_of_range(f"{months} calendar months after {day.isoformat()}")
    month = total % 12 + 1
    # Clamp to the month's last day: 31 January + 1 month is 28 or 29 February.
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date(year, month, min(day.day, (following - date(year, month, 1)).days))


@frozen(cache_hash=True)
class WorkingCalendar:
    """Which local dates are working days, and deadlines counted on them.

    Build one with `working_calendar`, which caches instances. ``time_zone``
    is an IANA name; ``holidays`` is one of `HOLIDAY_CALENDARS`;
    ``extra_closures`` are the partnership's own closure days (and special
    bank holidays announced after this library's release). Every day argument
    must be a `datetime.date` from 1900-01-01 to 2199-12-31 and every moment an
    aware `datetime.datetime`; anything else raises `CalendarError`.

    A calendar is immutable and holds no cache of its own.  What it works out
    is memoised outside it, each cache bounded and keyed on everything the
    answer depends on: the working days of each year (built on first use,
    shared by the calendars with the same holidays and closures, at most
    256 holiday and closure sets), the start of each local day (8,192) and
    day-granular deadlines (65,536, keyed on the calendar's working days and
    zone, the start day and the timescale).
    """

    time_zone: str = "Europe/London"
    holidays: str = field(default=_holidays.ENGLAND_AND_WALES, converter=_check_region)
    extra_closures: frozenset[date] = field(default=frozenset(), converter=_closure_set)
    _zone: ZoneInfo = field(init=False, eq=False, repr=False)
    _days: _WorkingDays = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Frozen attrs classes set derived fields this way (see attrs docs).
        object.__setattr__(self, "_zone", _zone(self.time_zone))
        object.__setattr__(self, "_days", _working_days(self.holidays, self.extra_closures))

    def is_working_day(self, day: date) -> bool:
        """Tell whether ``day`` is a weekday that is neither a bank holiday nor a closure."""
        return self._days.is_working(day)

    def add_working_days(self, day: date, n: int) -> date:
        """Count ``n`` working days from ``day``.

        For n >= 1, the nth working day strictly after ``day`` (``day`` itself
        is never counted, working day or not); for n == 0, ``day`` if it is a
        working day, else the next working day; for n < 0, counting back, the -nth working
        day strictly before ``day``.
        """
        return self._days.add(day, n)

    def next_working_day(self, day: date) -> date:
        """Return the first working day on or after ``day``."""
        return self._days.add(day, 0)

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days d with start < d <= end (0 if end <= start)."""
        return self._days.between(start, end)

    def _local(self, moment: datetime) -> datetime:
        # A datetime with a fixed offset (every moment the engine holds) is aware: no call.
        if (type(moment) is not datetime or type(moment.tzinfo) is not timezone) and (
            not _is_aware(moment)
        ):
            raise _naive(moment)
        try:
            local = moment.astimezone(self._zone)
        except OverflowError:
            raise _out_of_range_moment(moment) from None
        if not _FIRST_YEAR <= local.year <= _LAST_YEAR:  # the range is whole years
            raise _out_of_range_moment(moment)
        return local

    def local_time(self, moment: datetime) -> datetime:
        """Return the same instant as local time in this calendar's zone, with a fixed offset."""
        return fixed_offset(self._local(moment))

    def local_date(self, moment: datetime) -> date:
        """Return the date ``moment`` fell on in this calendar's time zone."""
        return self._local(moment).date()

    def end_of_day(self, day: date) -> datetime:
        """Return the local midnight that starts the day after ``day``, as an aware datetime.

        Computed on the local date first, so it is right across clock changes.
        """
        _day_index(day)
        return _start_of_day(date.fromordinal(day.toordinal() + 1), self._zone)

    def deadline(self, trigger: datetime, timescale: Timescale) -> Deadline:
        """Return when something triggered at ``trigger`` falls due under ``timescale``.

        Working days: the end of the nth working day after the trigger's local
        date. Calendar days and months: the end of that local date (months
        clamp to the month's last day), rolled forward to the end of the next
        working day if it is closed. Same day: the end of the trigger's local
        date, or of the next working day if it is closed. Hours: exactly that
        many elapsed hours later. Immediately: the trigger itself, or the end
        of its ``tolerance``. Without delay: the end of its ``expect_within``
        (with none there is no deadline, a `CalendarError`: see `due`). With an
        ``alternative``, the deadline of the reading that ``governs``.
        """
        unit = timescale.unit
        if not timescale.plain:
            return self._deadline_of(trigger, timescale)
        local = self._local(trigger)
        amount = timescale.amount
        if unit is _UNIT_IMMEDIATELY:
            return _DEADLINE(at=fixed_offset(local), day=None)
        if unit is _UNIT_WITHOUT_DELAY:
            raise _no_deadline(timescale)
        if unit is _UNIT_HOURS:
            # Elapsed time: add in UTC (aware arithmetic in one zone is wall-clock).
            try:
                at = self._local(local.astimezone(UTC) + timescale._hours)  # noqa: SLF001
            except OverflowError:
                raise _result_out_of_range(f"{timescale} after {trigger.isoformat()}") from None
            return _DEADLINE(at=fixed_offset(at), day=None)
        return _day_deadline(self._days, self._zone, local.date(), unit, amount)

    def _deadline_of(self, trigger: datetime, timescale: Timescale) -> Deadline:
        """The deadline of a timescale with more than a unit and an amount."""
        unit = timescale.unit
        own = timescale._bare  # noqa: SLF001 - the same class
        if timescale.alternative is not None:
            own_due = self.deadline(trigger, own)
            other = self.deadline(trigger, timescale.alternative)
            governs = timescale.governs
            if governs is _GOVERNS_SOONER:
                return other if other.at < own_due.at else own_due
            if governs is _GOVERNS_LATER:
                return other if other.at > own_due.at else own_due
            return own_due
        if unit is _UNIT_IMMEDIATELY and timescale.tolerance is not None:
            return self.deadline(trigger, timescale.tolerance)
        if unit is _UNIT_WITHOUT_DELAY and timescale.expect_within is not None:
            return self.deadline(trigger, timescale.expect_within)
        # Only firmness is set: it does not move the deadline.
        return self.deadline(trigger, own)

    def due(self, trigger: datetime, timescale: Timescale) -> Deadline | None:
        """Like `deadline`, but None for a timescale with no deadline (bare ``without_delay``)."""
        if timescale.unit is _UNIT_WITHOUT_DELAY and timescale.expect_within is None:
            return None
        return self.deadline(trigger, timescale)

    def lateness(self, deadline: Deadline, moment: datetime) -> Lateness | None:
        """Say how late ``moment`` is for ``deadline``.

        None if it is on time: at or before ``deadline.at``, whatever the
        unit (see `Deadline`). This is the one place that rule is applied.
        """
        when = self._local(moment).date()
        if type(moment.tzinfo) is timezone and type(deadline.at.tzinfo) is timezone:
            elapsed = moment - deadline.at  # fixed offsets: plain arithmetic is exact
        else:
            # Compare in UTC: comparisons within one tzinfo ignore the fold.
            elapsed = moment.astimezone(UTC) - deadline.at.astimezone(UTC)
        if elapsed <= _NO_TIME:
            return None
        last_on_time = deadline.day if deadline.day is not None else self.local_date(deadline.at)
        return _LATENESS(
            working_days=self._days.between(last_on_time, when),
            elapsed=elapsed,
        )

    def ahead_of(self, deadline: Deadline, span: Timescale) -> datetime:
        """Return the instant ``span`` before ``deadline``: when its last ``span`` begins.

        Counted back the way `deadline` counts forward. Hours: that many
        elapsed hours before ``deadline.at``. The other units count back from
        the deadline's last on-time local day (for an hour deadline, the local
        date of ``deadline.at``, as `lateness` does): the end of the nth
        working day before it, of the day n calendar days (or n calendar
        months) before it, or for same day the start of that last day. So one
        working day ahead of "end of Thursday" is the start of Thursday, and
        of "end of Monday", the end of the Friday before.
        """
        unit = span.unit
        if not span.plain or unit in _NO_DEADLINE:
            raise CalendarError(
                message="a span to count back is a plain timescale with a fixed length",
                value=repr(span),
                expected="working_days, calendar_days, hours, months or same_day",
            )
        if unit is _UNIT_HOURS:
            try:
                back = deadline.at.astimezone(UTC) - span._hours  # noqa: SLF001
            except OverflowError:
                raise _result_out_of_range(f"{span} before {deadline.at.isoformat()}") from None
            return self.local_time(back)
        last = deadline.day if deadline.day is not None else self.local_date(deadline.at)
        # Counting back past the first day the calendar knows stops there.
        floor = MIN_DATE.toordinal()
        try:
            if unit is _UNIT_WORKING_DAYS:
                day = self._days.add(last, -span.amount)
            elif unit is _UNIT_CALENDAR_DAYS:
                day = date.fromordinal(max(floor, last.toordinal() - span.amount))
            elif unit is _UNIT_MONTHS:
                day = _add_months(last, -span.amount)
            else:  # same day
                day = date.fromordinal(last.toordinal() - 1)
        except (CalendarError, ValueError):
            day = MIN_DATE
        return fixed_offset(self.end_of_day(max(day, MIN_DATE)))

    def late_from(self, deadline: Deadline) -> datetime:
        """Return the first instant that is late for ``deadline``, as `lateness` decides.

        That is the microsecond (the resolution of a timestamp) after
        ``deadline.at``: ``deadline.at`` itself is still on time.
        """
        at = deadline.at
        if type(at.tzinfo) is timezone:  # a fixed offset (every engine deadline): exact
            return at + _RESOLUTION
        return self.local_time(at.astimezone(UTC) + _RESOLUTION)


# Deadlines repeat across cases (a caseload's triggers fall on few distinct
# days), and the zone conversions are the slow part: memoised here, outside the
# frozen calendar, keyed on everything the answer depends on (the working days
# and the zone are shared objects, hashed by identity: a fresh but equal one
# only misses the cache), bounded, least recently used first out.
@functools.lru_cache(maxsize=_MAX_CACHED_DEADLINES)
def _day_deadline(
    days: _WorkingDays, zone: ZoneInfo, start: date, unit: Unit, amount: int
) -> Deadline:
    """The deadline of a day-granular timescale started on the local date ``start``."""
    if unit is _UNIT_WORKING_DAYS:
        day = days.add(start, amount)
    elif unit is _UNIT_SAME_DAY:
        day = days.add(start, 0)
    elif unit is _UNIT_CALENDAR_DAYS:
        ordinal = start.toordinal() + amount
        if ordinal > MAX_DATE.toordinal():
            raise _result_out_of_range(f"{Timescale(unit, amount)} after {start.isoformat()}")
        day = days.add(date.fromordinal(ordinal), 0)
    else:
        day = days.add(_add_months(start, amount), 0)
    _day_index(day)
    return _DEADLINE(
        at=fixed_offset(_start_of_day(date.fromordinal(day.toordinal() + 1), zone)), day=day
    )


def _no_deadline(timescale: Timescale) -> CalendarError:
    return CalendarError(
        message="a without_delay timescale has no deadline",
        value=repr(timescale),
        expected="a timescale with a fixed end, or without_delay with expect_within",
        hint="use WorkingCalendar.due, which gives None for no deadline",
    )


def _out_of_range_moment(moment: datetime) -> CalendarError:
    return CalendarError(
        message="timestamp is outside the supported range",
        value=moment.isoformat(),
        expected=f"a timestamp whose local date is {_RANGE[2:]}",
    )


@functools.lru_cache(maxsize=256)
def _cached_calendar(time_zone: str, holidays: str, closures: frozenset[date]) -> WorkingCalendar:
    return WorkingCalendar(time_zone=time_zone, holidays=holidays, extra_closures=closures)


def working_calendar(
    time_zone: str = "Europe/London",
    holidays: str = _holidays.ENGLAND_AND_WALES,
    extra_closures: Iterable[date] = (),
) -> WorkingCalendar:
    """Return the (cached) calendar for a time zone, holiday list and closure days.

    Raises `CalendarError` for an unknown time zone or holiday list, and for
    closures that are not dates in the supported range.
    """
    _zone(time_zone)
    return _cached_calendar(time_zone, _check_region(holidays), _closure_set(extra_closures))


def bank_holidays(region: str, year: int) -> tuple[date, ...]:
    """Return the bank holidays observed in ``region`` in ``year``, sorted.

    This is the library's corrected list: for England and Wales it equals the
    official GOV.UK list for the years it covers (only weekdays are listed: a
    holiday falling at a weekend is listed as its substitute day).
    """
    region = _check_region(region)
    if isinstance(year, bool) or not isinstance(year, int):
        raise CalendarError(message="not a year", value=repr(year), expected="an integer year")
    if not MIN_DATE.year <= year <= MAX_DATE.year:
        raise CalendarError(
            message="year is outside the supported range",
            value=str(year),
            expected=f"a year from {MIN_DATE.year} to {MAX_DATE.year}",
        )
    return _holidays.observed_bank_holidays(region, year)


__all__ = [
    "HOLIDAY_CALENDARS",
    "MAX_DATE",
    "MIN_DATE",
    "Deadline",
    "Firmness",
    "Governs",
    "Lateness",
    "Timescale",
    "Unit",
    "WorkingCalendar",
    "bank_holidays",
    "working_calendar",
]
