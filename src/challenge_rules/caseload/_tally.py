"""Counting without keeping the cases: histograms of whole working days.

Every duration the caseload report summarises is a whole number of working
days, so a histogram (days -> how many cases) holds everything needed for the
exact median, 90th percentile and maximum. Its size is bounded by the range of
days seen (a few hundred at most), never by the number of cases.
"""

from __future__ import annotations

import math
from collections import Counter


class DayHistogram:
    """How many values fell on each whole number of working days (mutable)."""

    __slots__ = ("_counts", "_total")

    def __init__(self) -> None:
        self._counts: Counter[int] = Counter()
        self._total = 0

    def add(self, days: int) -> None:
        """Count one value."""
        self._counts[days] += 1
        self._total += 1

    @property
    def count(self) -> int:
        """How many values were counted."""
        return self._total

    def percentile(self, percent: int) -> int | None:
        """The nearest-rank percentile: the least value with ``percent``% of values at or below it.

        The median is ``percentile(50)``: the lower of the two middle values
        when there is an even number of them. None when nothing was counted.
        """
        if not self._total:
            return None
        rank = max(1, math.ceil(percent * self._total / 100))
        seen = 0
        for days in sorted(self._counts):
            seen += self._counts[days]
            if seen >= rank:
                return days
        raise AssertionError(rank)  # pragma: no cover - ranks never exceed the total

    @property
    def maximum(self) -> int | None:
        """The largest value counted (None when nothing was counted)."""
        return max(self._counts) if self._counts else None

    def at_most(self, days: int) -> int:
        """How many values were ``days`` or fewer."""
        return sum(n for value, n in self._counts.items() if value <= days)

    def items(self) -> list[tuple[int, int]]:
        """(days, how many) pairs in order of days."""
        return sorted(self._counts.items())


__all__ = ["DayHistogram"]
