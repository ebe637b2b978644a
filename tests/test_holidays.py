"""The generated bank-holiday table (`challenge_rules._bank_holidays`) and workalendar."""

from __future__ import annotations

from pathlib import Path

import pytest

from challenge_rules import _bank_holidays, _holidays


@pytest.mark.parametrize("year", _holidays.TABLE_YEARS)
def test_the_table_equals_workalendar_with_the_corrections(year: int) -> None:
    region = _holidays.ENGLAND_AND_WALES
    assert _holidays.observed_bank_holidays(region, year) == _holidays.computed_bank_holidays(
        region, year
    )


def test_the_table_is_not_stale() -> None:
    # Fails when workalendar's rules or the corrections change: the table is generated again.
    written = Path(_bank_holidays.__file__).read_text(encoding="utf-8")
    assert written == _holidays.table_source(), "stale: run python scripts/generate_data.py"
    assert set(_bank_holidays.OBSERVED) == set(_holidays.TABLE_YEARS)


@pytest.mark.parametrize(
    "year", [1900, _holidays.TABLE_YEARS[0] - 1, _holidays.TABLE_YEARS[-1] + 1, 2199]
)
def test_other_years_are_computed(year: int) -> None:
    region = _holidays.ENGLAND_AND_WALES
    computed = _holidays.computed_bank_holidays(region, year)
    assert computed
    assert _holidays.observed_bank_holidays(region, year) == computed


def test_no_holidays_is_none_in_every_year() -> None:
    assert _holidays.observed_bank_holidays(_holidays.NONE, 2026) == ()
    assert _holidays.computed_bank_holidays(_holidays.NONE, 2026) == ()
