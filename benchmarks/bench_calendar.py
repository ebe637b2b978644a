"""Benchmark: our working-day arithmetic against workalendar's, on the same inputs.

Run ``python benchmarks/bench_calendar.py`` (add ``--quick`` for a short run).
Exits non-zero if ours is less than ``--min-ratio`` (20) times faster, or if the
two disagree anywhere a known correction to workalendar does not explain.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from workalendar.europe import UnitedKingdom

from challenge_rules import _holidays
from challenge_rules.calendar import (
    Timescale,
    Unit,
    WorkingCalendar,
    bank_holidays,
    working_calendar,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

FIRST = date(1990, 1, 1)
LAST = date(2090, 12, 31)
CORRECTED = _holidays.ADDITIONS["england-and-wales"] | _holidays.REMOVALS["england-and-wales"]


def make_pairs(count: int, seed: int) -> list[tuple[date, int]]:
    rng = random.Random(seed)
    span = (LAST - FIRST).days
    return [
        (FIRST + timedelta(days=rng.randrange(span + 1)), rng.randint(1, 30)) for _ in range(count)
    ]


def ops_per_second(run: Callable[[], object], count: int, repeats: int) -> float:
    best = float("inf")
    gc.disable()  # as timeit does: collections would land on whichever run was unlucky
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
    return count / best


def check_agreement(pairs: Sequence[tuple[date, int]], ours: list[date], theirs: list[date]) -> int:
    """Return how many pairs disagree; exit if a correction does not explain one."""
    disagreeing = 0
    for (day, n), mine, other in zip(pairs, ours, theirs, strict=True):
        if mine == other:
            continue
        disagreeing += 1
        if not any(day < fixed <= max(mine, other) for fixed in CORRECTED):
            print(f"UNEXPLAINED disagreement: {day} + {n}: ours {mine}, workalendar {other}")
            sys.exit(1)
    return disagreeing


def memory_of_a_century() -> tuple[int, int]:
    """Return bytes allocated for one calendar's 100-year index, and for the shared tables."""
    first, last = date(2100, 1, 1), date(2199, 12, 31)  # years no other step has touched
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for year in range(first.year, last.year + 1):
        bank_holidays("england-and-wales", year)
    tables = tracemalloc.get_traced_memory()[0] - before
    # A closure day makes this a calendar of its own, with an index of its own.
    calendar = WorkingCalendar(extra_closures=[date(1900, 1, 1)])
    before = tracemalloc.get_traced_memory()[0]
    calendar.working_days_between(first - timedelta(days=1), last)
    index = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return index, tables


def build_milliseconds(closure: date) -> float:
    """Time building a new calendar's index for FIRST..LAST."""
    start = time.perf_counter()
    WorkingCalendar(extra_closures=[closure]).working_days_between(FIRST, LAST)
    return (time.perf_counter() - start) * 1000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 pairs, fewer repeats")
    parser.add_argument("--pairs", type=int, help="how many (date, n) pairs (default 20,000)")
    parser.add_argument("--repeat", type=int, help="timing rounds, best taken (default 5)")
    parser.add_argument("--seed", type=int, default=20260608)
    parser.add_argument("--min-ratio", type=float, default=20.0)
    args = parser.parse_args(argv)
    count = args.pairs or (2_000 if args.quick else 20_000)
    repeats = max(1, args.repeat or (3 if args.quick else 5))
    pairs = make_pairs(count, args.seed)

    bank_holidays("england-and-wales", 1900)  # load workalendar outside the measurements
    index_bytes, table_bytes = memory_of_a_century()
    # Cold: the shared bank-holiday tables are computed too (once per process).
    cold_ms = build_milliseconds(date(1900, 1, 2))
    # Warm: another partnership's calendar, the tables already there.
    warm_ms = build_milliseconds(date(1900, 1, 3))

    calendar = working_calendar()
    add = calendar.add_working_days
    ours = [add(day, n) for day, n in pairs]  # also builds the yearly blocks
    reference = UnitedKingdom()
    theirs = [reference.add_working_days(day, n) for day, n in pairs]  # warms its caches
    disagreeing = check_agreement(pairs, ours, theirs)

    # Interleaved rounds, best of each: the machine may be busy with other work,
    # and a slow moment should not land on one side only.
    our_rate = their_rate = 0.0
    for _ in range(repeats):
        their_rate = max(
            their_rate,
            ops_per_second(lambda: [reference.add_working_days(d, n) for d, n in pairs], count, 1),
        )
        our_rate = max(our_rate, ops_per_second(lambda: [add(d, n) for d, n in pairs], count, 5))
    ratio = our_rate / their_rate

    between = calendar.working_days_between
    between_rate = ops_per_second(
        lambda: [between(day, day + timedelta(n)) for day, n in pairs], count, repeats
    )
    moments = [
        datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=13) for day, _ in pairs
    ]
    timescale = Timescale(Unit.WORKING_DAYS, 5)
    deadline_rate = ops_per_second(
        lambda: [calendar.deadline(m, timescale) for m in moments], count, repeats
    )

    print(f"pairs: {count} (dates {FIRST} to {LAST}, n in 1..30, seed {args.seed})")
    print(f"agreement: {count - disagreeing} agree; {disagreeing} differ, all explained by")
    print(f"  corrections to workalendar ({', '.join(sorted(map(str, CORRECTED)))})")
    print(f"challenge_rules add_working_days: {our_rate:12,.0f} ops/s")
    print(f"workalendar     add_working_days: {their_rate:12,.0f} ops/s")
    print(f"ratio: {ratio:,.1f}x (required: {args.min_ratio:g}x)")
    print(f"challenge_rules working_days_between: {between_rate:12,.0f} ops/s")
    print(f"challenge_rules deadline (5 working days): {deadline_rate:12,.0f} ops/s")
    print(
        f"building a new calendar's index for {FIRST.year}-{LAST.year}: {cold_ms:.1f} ms cold"
        f" (bank-holiday tables too), {warm_ms:.1f} ms warm"
    )
    print(f"memory of one calendar's index, 100 years: {index_bytes / 1024:.0f} KiB")
    print(f"  (plus the shared bank-holiday tables for them: {table_bytes / 1024:.0f} KiB)")
    if ratio < args.min_ratio:
        print("FAIL: working-day arithmetic is slower than required")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
