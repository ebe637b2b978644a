"""Reading and writing JSON: the strict reader and `to_json` against the json module.

The command line's JSON Lines mode reads each case with `parse_json` (strict:
it refuses duplicate property names, NaN, Infinity and deep nesting, and says
where) and writes each result with `to_json` and ``json.dumps``. On the same
synthetic partnership cases as ``bench_evaluate.py``, this times, interleaved
in one run:

* reading: ``json.loads`` (the baseline) and `parse_json` of every case;
* writing: ``json.dumps`` of every result's `to_json` data (the baseline) and
  `to_json` of every result.

It prints each ratio to its baseline (lower is better).

    python benchmarks/bench_json_io.py            # 20,000 cases
    python benchmarks/bench_json_io.py --quick    # 2,000 cases
"""

from __future__ import annotations

import argparse
import json
import random
from typing import TYPE_CHECKING

from bench_evaluate import best_of, make_case

from challenge_rules import evaluate, load_history, shipped_policy
from challenge_rules.reading import parse_json
from challenge_rules.report import to_json

if TYPE_CHECKING:
    from challenge_rules.evaluation import Evaluation


def _workload(count: int, names: str) -> tuple[list[str], list[Evaluation]]:
    """The cases as JSON text, and their evaluations; checks parse_json reads them right."""
    policies = {name: shipped_policy(name) for name in names.split(",")}
    rng = random.Random(20261123)
    cases = [make_case(rng, rng.choice(list(policies.values())), n) for n in range(count)]
    texts = [raw.decode() for raw, _ in cases]  # as the command line reads each line
    results = []
    for raw, as_of in cases:
        history = load_history(json.loads(raw))
        results.append(evaluate(policies[history.policy or ""], history, as_of))
    if any(parse_json(text) != (json.loads(text), ()) for text in texts):
        raise SystemExit("parse_json does not read the cases as json.loads does")
    return texts, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 cases instead of 20,000")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--policies", default="pan-cheshire,hips")
    args = parser.parse_args(argv)
    count = args.cases or (2_000 if args.quick else 20_000)
    texts, results = _workload(count, args.policies)
    data = [to_json(result) for result in results]

    def loads() -> None:
        for text in texts:
            json.loads(text)

    def strict() -> None:
        for text in texts:
            parse_json(text)

    def dumps() -> None:
        for item in data:
            json.dumps(item, separators=(",", ":"))

    def unstructure() -> None:
        for result in results:
            to_json(result)

    loaded, parsed, dumped, written = best_of([loads, strict, dumps, unstructure], args.repeat)
    size = sum(len(json.dumps(item, separators=(",", ":"))) for item in data)

    def per_case(seconds: float) -> str:
        return f"{seconds * 1e6 / count:8.1f} us/case"

    print(f"cases: {count:,}; results {size / count:,.0f} bytes each as JSON on average")
    print(f"json.loads:  {per_case(loaded)}")
    print(f"parse_json:  {per_case(parsed)}  ({parsed / loaded:.1f}x json.loads)")
    print(f"json.dumps:  {per_case(dumped)}")
    print(f"to_json:     {per_case(written)}  ({written / dumped:.1f}x json.dumps)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
