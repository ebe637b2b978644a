"""The building blocks of the strategies: cheap draws, timescales and moments.

`timescales` and `moments` are public (`challenge_rules.testing` re-exports
them); the underscored helpers are shared by `_policies` and `_histories`.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Final, TypeVar
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from challenge_rules.calendar import Firmness, Governs, Timescale, Unit
from challenge_rules.policy import Side

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from hypothesis.strategies import SearchStrategy


_T = TypeVar("_T")

_LONDON: Final = ZoneInfo("Europe/London")
_FIRST_DAY: Final = date(2023, 1, 1)
_LAST_DAY: Final = date(2028, 12, 31)

# -- small building blocks -------------------------------------------------
#
# The strategies draw with a handful of cached primitives (integers, booleans,
# one text strategy) rather than building new strategies for every choice:
# Hypothesis validates each new strategy object, and a policy makes hundreds
# of choices.

_PHRASES: Final = (
    "Discuss the concern with the other practitioner",
    "Notify your line manager",
    "Escalate to the designated safeguarding lead",
    "Arrange a resolution meeting",
    "Record the disagreement and the outcome on the child's record",
    "Confirm the agreed outcome in writing",
    "Refer to the delegated safeguarding partners using Appendix A",
    "Tell the workers involved of the outcome",
    "Share the learning with the partnership",
    "Contact the front door",
    "Step 1",
    "Stage 2: line managers",
    "Head of service",
    "Within 48 hours (Day 1-2)",
    "Réunion de résolution",
    "Professional challenge and escalation procedure",
)
_LETTERS: Final = string.ascii_letters + "éèâôüçñ'\u2019-"  # \u2019: a typographic apostrophe


class _Words:
    """Names, titles and notes, from a seed drawn once per policy.

    The wording never changes what the evaluator does, so it is made from a
    seed (one choice, shrinking to seed 0) rather than from hundreds of
    choices: Hypothesis then spends its effort on the policy's structure.
    """

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)  # noqa: S311 - test data, not cryptography

    def text(self) -> str:
        """A stock phrase or, now and then, random words (with some accents)."""
        rng = self._random
        if rng.random() < 0.8:
            return rng.choice(_PHRASES)
        words = (
            "".join(rng.choice(_LETTERS) for _ in range(rng.randint(1, 10)))
            for _ in range(rng.randint(1, 6))
        )
        return " ".join(words)

    def note(self) -> str | None:
        """``None`` or a text."""
        return self.text() if self._random.random() < 0.5 else None


def _words(draw: st.DrawFn) -> _Words:
    return _Words(draw(st.integers(0, 2**32 - 1)))


def _pick(draw: st.DrawFn, values: Sequence[_T]) -> _T:
    """One of ``values`` (shrinking towards the first)."""
    return values[draw(st.integers(0, len(values) - 1))]


def _maybe(draw: st.DrawFn, make: Callable[[], _T]) -> _T | None:
    """``None`` or a value from ``make`` (shrinking towards ``None``)."""
    return make() if draw(st.booleans()) else None


def _chosen(
    draw: st.DrawFn, values: Sequence[_T], *, min_size: int = 0, max_size: int | None = None
) -> list[_T]:
    """Distinct values of ``values`` (by position), in a drawn order."""
    high = len(values) if max_size is None else min(max_size, len(values))
    remaining = list(range(len(values)))
    picked = [
        remaining.pop(draw(st.integers(0, len(remaining) - 1)))
        for _ in range(draw(st.integers(min(min_size, high), high)))
    ]
    return [values[i] for i in picked]


def _some(
    draw: st.DrawFn, values: Sequence[_T], *, min_size: int = 0, max_size: int | None = None
) -> tuple[_T, ...]:
    """Distinct values of ``values``, in their given order (a sub-sequence)."""
    picked = _chosen(draw, range(len(values)), min_size=min_size, max_size=max_size)
    return tuple(values[i] for i in sorted(picked))


_SIDES: Final = (Side.RAISING, Side.RECEIVING, Side.EACH, Side.PARTNERSHIP)
_TWO_SIDES: Final = (Side.RAISING, Side.RECEIVING)
# The values events give these fields (policies match on them, histories draw them).
_MEETINGS: Final = ("resolution", "inter_agency", "professionals", "strategy")
_RECORDS: Final = ("childs_record", "agency_record", "partnership_record")
_TOLD: Final = ("workers", "line_managers", "earlier_parties", "all_parties", "raiser")
_RANGES: Final = {
    Unit.WORKING_DAYS: (1, 20),
    Unit.CALENDAR_DAYS: (1, 60),
    Unit.HOURS: (1, 168),
    Unit.MONTHS: (1, 3),
}


_SPAN_UNITS: Final = (*_RANGES, Unit.SAME_DAY)


def _plain(draw: st.DrawFn, units: Sequence[Unit]) -> Timescale:
    unit = _pick(draw, units)
    if unit not in _RANGES:
        return Timescale(unit)
    low, high = _RANGES[unit]
    return Timescale(unit, draw(st.integers(low, high)))


def _timescale(draw: st.DrawFn, units: Sequence[Unit] = tuple(Unit)) -> Timescale:
    timescale = _plain(draw, units)
    # Now and then, what loosely worded timescales add (one in four of each).
    extras: dict[str, object] = {}
    if draw(st.integers(0, 3)) == 0:
        if timescale.unit is Unit.IMMEDIATELY:
            extras["tolerance"] = _plain(draw, _SPAN_UNITS)
        elif timescale.unit is Unit.WITHOUT_DELAY:
            extras["expect_within"] = _plain(draw, _SPAN_UNITS)
        else:
            extras["alternative"] = _plain(draw, _SPAN_UNITS)
            extras["governs"] = _pick(draw, tuple(Governs))
    if draw(st.integers(0, 3)) == 0:
        extras["firmness"] = _pick(draw, tuple(Firmness))
    return attrs.evolve(timescale, **extras) if extras else timescale  # type: ignore[arg-type]


@st.composite
def _timescales(draw: st.DrawFn, units: tuple[Unit, ...]) -> Timescale:
    return _timescale(draw, units)


def timescales(units: Iterable[Unit | str] | None = None) -> SearchStrategy[Timescale]:
    """Valid timescales in ``units`` (default: every unit).

    Working days 1-20, calendar days 1-60, hours 1-168, months 1-3; ``same_day``,
    ``immediately`` and ``without_delay`` take no amount. Some have what loosely
    worded timescales add: a second reading (``alternative``, ``governs``), a
    ``tolerance`` for ``immediately``, an ``expect_within`` for ``without_delay``,
    a ``firmness``.

    >>> from hypothesis import find
    >>> find(timescales(["hours"]), lambda t: t.amount > 47)
    Timescale(unit=<Unit.HOURS: 'hours'>, amount=48, ...)
    """
    chosen = tuple(Unit) if units is None else tuple(Unit(u) for u in units)
    if not chosen:
        raise ValueError("units must name at least one unit")
    return _timescales(chosen)


# -- moments ----------------------------------------------------------------

_OTHER_OFFSETS: Final = tuple(
    timedelta(minutes=m) for m in (-720, -300, -210, 0, 60, 120, 330, 345, 840)
)


def _clock_changes(year: int) -> tuple[datetime, ...]:
    """The UK's clock changes in ``year``: 01:00 UTC on the last Sundays of March and October."""
    changes = []
    for month in (3, 10):
        last = date(year, month, 31)
        sunday = last - timedelta(days=(last.weekday() + 1) % 7)
        changes.append(datetime.combine(sunday, time(1), tzinfo=UTC))
    return tuple(changes)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=_LONDON).astimezone(UTC)


def _instant(draw: st.DrawFn, first: date, last: date) -> datetime:
    """A UTC instant on a London date in [first, last], often where off-by-one bugs live."""
    how = _pick(draw, ("any", "midnight", "clock-change", "office-hours", "any"))
    if how == "clock-change":
        change = _pick(draw, _clock_changes(draw(st.integers(first.year, last.year))))
        moment = change + timedelta(minutes=draw(st.integers(-180, 180)))
    else:
        day = first + timedelta(days=draw(st.integers(0, (last - first).days)))
        if how == "midnight":
            near = draw(st.integers(-1, 1)) if draw(st.booleans()) else 0
            seconds = near if near or draw(st.booleans()) else draw(st.integers(-5400, 5400))
            moment = _local_midnight(day) + timedelta(seconds=seconds)
        elif how == "office-hours":
            local = datetime.combine(day, time(9), tzinfo=_LONDON)
            moment = local.astimezone(UTC) + timedelta(minutes=draw(st.integers(0, 8 * 60)))
        else:
            moment = _local_midnight(day) + timedelta(seconds=draw(st.integers(0, 86_399)))
    low = _local_midnight(first)
    high = _local_midnight(last + timedelta(days=1)) - timedelta(seconds=1)
    return min(max(moment, low), high)


def _render(draw: st.DrawFn, instant: datetime) -> datetime:
    """``instant`` with a UTC offset, as a case system might write it."""
    how = _pick(draw, ("london", "utc", "other", "london"))
    if how == "utc":
        return instant.astimezone(UTC)
    if how == "london":
        offset = instant.astimezone(_LONDON).utcoffset() or timedelta()
    else:
        offset = _pick(draw, _OTHER_OFFSETS)
    return instant.astimezone(timezone(offset))


@st.composite
def _moments(draw: st.DrawFn, first: date, last: date) -> datetime:
    return _render(draw, _instant(draw, first, last))


def moments(min_value: date = _FIRST_DAY, max_value: date = _LAST_DAY) -> SearchStrategy[datetime]:
    """Aware timestamps whose London date is from ``min_value`` to ``max_value``.

    Biased towards the moments where date arithmetic goes wrong: around local
    midnight (to the second), around the UK clock changes, in office hours.
    Offsets are mostly the London offset in force (``+00:00`` or ``+01:00``),
    sometimes UTC and sometimes offsets far from London (``-12:00``, ``+05:45``,
    ``+14:00``), always in whole minutes, as ISO 8601 writes them.

    >>> from datetime import date
    >>> from hypothesis import Phase, find, settings
    >>> first_found = settings(phases=[Phase.generate], database=None)  # no shrinking
    >>> moment = find(moments(date(2026, 3, 29), date(2026, 3, 29)), bool, settings=first_found)
    >>> moment.utcoffset() is not None
    True
    """
    if max_value < min_value:
        raise ValueError("max_value is before min_value")
    return _moments(min_value, max_value)


__all__ = ["moments", "timescales"]
