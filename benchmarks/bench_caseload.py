"""The caseload report over 100,000 generated cases: speed and peak memory.

The cases are `bench_evaluate.make_case`'s synthetic Pan-Cheshire histories,
generated as they are read (a fixed seed, so every pass sees the same cases)
and never held: a caseload streams through `build_report` one case at a time.
In the same run it measures:

* the baseline: generate, load and evaluate every case, keeping nothing;
* the job: the same, through `build_report`, which also summarises each case
  and counts it into the report's aggregates;
* peak memory (tracemalloc) of the job at ``--small`` cases and at ``--cases``.

It prints cases per second, the job's time as a ratio of the baseline's (what
the report adds to evaluating), and the ratio of the two memory peaks. Memory
must not grow with the number of cases beyond the aggregates, so with
``--check`` the script exits 1 if the peak at ``--cases`` is more than
``--max-memory-ratio`` times the peak at ``--small`` (or the time ratio is over
``--max-time-ratio``).

    python benchmarks/bench_caseload.py             # 100,000 cases against 10,000
    python benchmarks/bench_caseload.py --quick     # 20,000 against 5,000
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import tracemalloc
from datetime import datetime
from typing import TYPE_CHECKING

from bench_evaluate import make_case

from challenge_rules import evaluate, load_history, shipped_policy
from challenge_rules.caseload import build_report

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from challenge_rules import CaseHistory, Policy

SEED = 20261202
# After every generated case (they start from 2024 and run for up to ~3 years).
AS_OF = datetime.fromisoformat("2027-06-01T09:00:00+01:00")


def cases(policy: Policy, count: int) -> Iterator[CaseHistory]:
    """``count`` generated cases, made as they are read."""
    rng = random.Random(SEED)
    for number in range(count):
        raw, _ = make_case(rng, policy, number)
        yield load_history(json.loads(raw))


def best(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(function: Callable[[], object]) -> int:
    """The peak of memory allocated while ``function`` runs, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 cases against 5,000")
    parser.add_argument("--cases", type=int, default=None, help="default: 100,000")
    parser.add_argument(
        "--small",
        type=int,
        default=None,
        help="default: a tenth of --cases (a quarter with --quick)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="timing rounds (best is kept)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a limit is exceeded")
    parser.add_argument("--max-memory-ratio", type=float, default=1.5)
    parser.add_argument(
        "--list-limit",
        type=int,
        default=None,
        help="the report's bound on listed cases (default: 500, 50 with --quick, so the "
        "lists are full at both sizes and the comparison is of what grows)",
    )
    parser.add_argument("--max-time-ratio", type=float, default=2.0)
    args = parser.parse_args(argv)
    count = args.cases or (20_000 if args.quick else 100_000)
    small = args.small or max(1, count // (4 if args.quick else 10))
    policy = shipped_policy("pan-cheshire")
    build_report(policy, cases(policy, 200), AS_OF)  # warm the caches outside the timing

    def baseline() -> None:
        for history in cases(policy, count):
            evaluate(policy, history, AS_OF)

    def job() -> None:
        build_report(policy, cases(policy, count), AS_OF)

    plain = best(baseline, args.repeat)
    ours = best(job, args.repeat)
    limit = args.list_limit or (50 if args.quick else 500)

    def reporting(n: int) -> Callable[[], object]:
        return lambda: build_report(policy, cases(policy, n), AS_OF, list_limit=limit)

    # After the timed runs, the evaluator's own bounded caches are as full as these
    # cases make them: what grows from here is the report's.
    peaks = {n: peak_memory(reporting(n)) for n in (small, count)}
    memory_ratio = peaks[count] / peaks[small]
    time_ratio = ours / plain
    print(f"cases: {count:,} generated Pan-Cheshire histories, as of {AS_OF:%Y-%m-%d}")
    print(f"generate + load + evaluate:   {count / plain:9,.0f} cases/s")
    print(
        f"  + summarise and aggregate:  {count / ours:9,.0f} cases/s "
        f"({time_ratio:.2f}x the time; limit {args.max_time_ratio:.2f}x)"
    )
    for n, peak in peaks.items():
        print(f"peak memory at {n:>7,} cases: {peak / 1e6:6.2f} MB")
    print(
        f"memory ratio: {memory_ratio:.2f}x for {count // small}x the cases "
        f"(lists of at most {limit:,} cases; limit {args.max_memory_ratio:.2f}x)"
    )
    if args.check and (memory_ratio > args.max_memory_ratio or time_ratio > args.max_time_ratio):
        print("a limit was exceeded", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
