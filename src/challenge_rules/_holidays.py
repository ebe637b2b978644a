"""Bank-holiday reference data: workalendar's rules plus this library's corrections.

The England-and-Wales list is workalendar 17.0.0's ``UnitedKingdom`` calendar,
reduced to the days on which a bank holiday is *observed* (GOV.UK lists only
weekdays: when Christmas Day falls on a Saturday it lists the Monday substitute
day, and it never lists Easter Sunday), then corrected with the additions and
removals below. Nothing here is on the evaluator's hot path: `calendar` builds
its working-day index from these lists once per year and calendar.

For the years most cases fall in (`TABLE_YEARS`), the corrected list is read
from `challenge_rules._bank_holidays`, a table generated from the same rules
and corrections by `table_source` (``python scripts/generate_data.py``), so
that evaluating a case does not import workalendar (~35 ms); the test suite
checks the table against workalendar year by year, and fails when it is stale.
Every other year is computed from workalendar, as the table was.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Final

ENGLAND_AND_WALES: Final = "england-and-wales"
NONE: Final = "none"
REGIONS: Final[tuple[str, ...]] = (ENGLAND_AND_WALES, NONE)

# Corrections to workalendar 17.0.0's UnitedKingdom, checked year by year
# against GOV.UK's official list (https://www.gov.uk/bank-holidays) for
# 2018-2027; the earlier entries are special days announced by royal
# proclamation. A special bank holiday announced after a release goes here in
# the next release (partnerships can use a policy's extra_closures meanwhile).
ADDITIONS: Final[dict[str, frozenset[date]]] = {
    ENGLAND_AND_WALES: frozenset(
        {
            # Early May bank holiday moved to VE Day's 50th anniversary.
            date(1995, 5, 8),
            # Coronation of King Charles III (GOV.UK 2023 list; workalendar
            # 17.0.0 does not have it).
            date(2023, 5, 8),
        }
    ),
    NONE: frozenset(),
}
REMOVALS: Final[dict[str, frozenset[date]]] = {
    ENGLAND_AND_WALES: frozenset(
        {
            # The 1995 Early May bank holiday moved to 8 May (above).
            date(1995, 5, 1),
        }
    ),
    NONE: frozenset(),
}

# The bank-holiday rules behind workalendar's calendar are exact from 1978 on
# (the first Early May bank holiday). Earlier years get the same modern rules;
# documented as a limitation in docs/calendar.md.
MODERN_RULES_FROM: Final = 1978

TABLE_YEARS: Final = range(1990, 2061)
"""The years `challenge_rules._bank_holidays` lists."""


@functools.cache
def _united_kingdom() -> object:
    # Imported on first use: workalendar and its dependencies take ~0.1 s to
    # import, and most uses never need a year outside the cached ones.
    from workalendar.europe import UnitedKingdom  # noqa: PLC0415

    return UnitedKingdom()


# Unbounded, but the caller lets through only known regions and 300 years.
@functools.cache
def observed_bank_holidays(region: str, year: int) -> tuple[date, ...]:
    """Return the corrected, sorted bank holidays of a known ``region`` in ``year``.

    The caller checks ``region`` and ``year``; only weekdays are returned.
    """
    if region == ENGLAND_AND_WALES and year in TABLE_YEARS:
        from challenge_rules._bank_holidays import OBSERVED  # noqa: PLC0415 - only if asked

        return tuple(date.fromisoformat(f"{year}-{day}") for day in OBSERVED[year].split())
    return computed_bank_holidays(region, year)


def computed_bank_holidays(region: str, year: int) -> tuple[date, ...]:
    """`observed_bank_holidays` computed from workalendar's rules and the corrections above."""
    if region == NONE:
        return ()
    calendar = _united_kingdom()
    rule_days: set[date] = {
        day
        for day, _name in calendar.holidays(year)  # type: ignore[attr-defined]
        if day.weekday() < 5  # Monday to Friday
    }
    rule_days -= REMOVALS[region]
    rule_days |= {day for day in ADDITIONS[region] if day.year == year}
    return tuple(sorted(rule_days))


def table_source() -> str:
    """The text of `challenge_rules._bank_holidays`, computed afresh from workalendar."""
    from workalendar import __version__  # noqa: PLC0415 - see _united_kingdom

    rows = [
        f'    {year}: "{" ".join(day.strftime("%m-%d") for day in days)}",'
        for year in TABLE_YEARS
        for days in [computed_bank_holidays(ENGLAND_AND_WALES, year)]
    ]
    return "\n".join(
        [
            '"""England and Wales bank holidays, as `_holidays.computed_bank_holidays` gives them.',
            "",
            f"Generated from workalendar {__version__} and the corrections in `_holidays` by",
            "``python scripts/generate_data.py``: do not edit. Each year's observed days, MM-DD.",
            '"""',
            "",
            "from typing import Final",
            "",
            "OBSERVED: Final[dict[int, str]] = {",
            *rows,
            "}",
            "",
        ]
    )
