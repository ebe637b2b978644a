"""Cost per event and per stage of load + evaluate, as histories and ladders grow.

Each shape is a valid case whose history grows in one direction (issue 16):

* ``repeats``: the same outcome recorded again and again (one warning each);
* ``after-as-of``: events later than ``as_of`` (one warning each);
* ``risk``: risk assessments alternating between the Pan-Cheshire levels, so
  urgency rules open and close at every event;
* ``ladder``: a synthetic policy of N stages with one duty per stage, walked
  to its end, each stage ending unresolved and recorded.

For each size the script times ``load_history`` + `evaluate`, subtracts the
time of the same shape at its smallest (the concern alone: the fixed cost of
an evaluation, measured in the same run) and divides by the number of events
or stages.  Linear work gives a flat cost per unit; quadratic work grows with
the size.  ``--check`` exits 1 unless, for every shape, the largest cost per
unit is within ``--max-spread`` (3x) of the smallest.

    python benchmarks/bench_scaling.py            # 10 ... 10,000 events, 5 ... 500 stages
    python benchmarks/bench_scaling.py --quick    # 10 ... 1,000 events, 5 ... 50 stages
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import TYPE_CHECKING, Any, NamedTuple

from challenge_rules import evaluate, load_history, load_policy, shipped_policy

if TYPE_CHECKING:
    from collections.abc import Callable

    from challenge_rules.policy import Policy

START = datetime(2025, 3, 3, 9, tzinfo=UTC)
EVENTS = (10, 100, 1_000, 10_000)
STAGES = (5, 50, 500)
MAX_SPREAD = 3.0
# Each timing runs the job often enough to take at least this long, so that the
# difference from the fixed cost is not lost in the clock's noise.
MIN_SECONDS = 0.05


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _concern(policy: Policy) -> dict[str, Any]:
    role = policy.stages[0].participants[0].role
    return {
        "kind": "concern_raised",
        "id": "concern",
        "at": _stamp(START),
        "raising": {"role": role, "agency": "School"},
        "receiving": {"role": role, "agency": "GP practice"},
    }


def _history(policy: Policy, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"reference": "SCALE-1", "policy": policy.id, "events": [_concern(policy), *events]}


def _others(n: int) -> range:
    """The events besides the concern in a history of ``n`` events (0: the concern alone)."""
    return range(max(n - 1, 0))


def repeats(policy: Policy, n: int) -> tuple[dict[str, Any], datetime]:
    """The first stage's outcome recorded again and again: ``n`` events in all."""
    stage = policy.stages[0].id
    events = [
        {
            "kind": "discussion_held",
            "id": f"d{i}",
            "at": _stamp(START + timedelta(minutes=i + 1)),
            "stage": stage,
            "outcome": "unresolved",
        }
        for i in _others(n)
    ]
    return _history(policy, events), START + timedelta(days=30)


def after_as_of(policy: Policy, n: int) -> tuple[dict[str, Any], datetime]:
    """Events later than ``as_of``: ``n`` events in all."""
    as_of = START + timedelta(hours=1)
    events = [
        {
            "kind": "record_made",
            "id": f"r{i}",
            "at": _stamp(as_of + timedelta(minutes=i + 1)),
            "record": "childs_record",
            "side": "raising",
        }
        for i in _others(n)
    ]
    return _history(policy, events), as_of


def risk(policy: Policy, n: int) -> tuple[dict[str, Any], datetime]:
    """Risk assessments alternating between the policy's levels: ``n`` events in all."""
    levels = [level.id for level in policy.risk_levels]
    events = [
        {
            "kind": "risk_assessed",
            "id": f"k{i}",
            "at": _stamp(START + timedelta(minutes=i + 1)),
            "level": levels[i % len(levels)],
        }
        for i in _others(n)
    ]
    return _history(policy, events), START + timedelta(days=30)


def ladder_policy(stages: int) -> Policy:
    """HIPS with its first stage repeated ``stages`` times, one duty per stage."""
    source = files("challenge_rules").joinpath("policies", "hips.json")
    document = json.loads(source.read_text(encoding="utf-8"))
    template = document["stages"][0]
    duty = next(d for d in document["duties"] if d["id"] == "document-stage-1")
    document["stages"] = []
    document["duties"] = []
    for i in range(stages):
        stage = copy.deepcopy(template)
        stage["id"] = f"stage-{i + 1}"
        stage["name"] = f"Stage {i + 1}"
        stage["counts_from"] = "stage_entered"
        if i == stages - 1:
            stage["on_unresolved"] = None
        document["stages"].append(stage)
        document["duties"].append(
            copy.deepcopy(duty)
            | {
                "id": f"document-stage-{i + 1}",
                "trigger": {"on": "stage_concluded", "stages": [stage["id"]]},
            }
        )
    document["gaps"] = []  # they point into the stages and duties replaced here
    document["fallbacks"] = [f for f in document["fallbacks"] if not f.get("stages")]
    document["urgency"] = [
        u for u in document["urgency"] if not u.get("stages") and not u.get("skip_to")
    ]
    return load_policy(document)


def ladder(policy: Policy, n: int) -> tuple[dict[str, Any], datetime]:
    """Every stage of the ladder ends unresolved and is recorded."""
    events: list[dict[str, Any]] = []
    for i, stage in enumerate(policy.stages[:n]):
        at = START + timedelta(hours=i + 1)
        events.append(
            {
                "kind": "discussion_held",
                "id": f"d{i}",
                "at": _stamp(at),
                "stage": stage.id,
                "outcome": "unresolved",
            }
        )
        events.append(
            {
                "kind": "record_made",
                "id": f"r{i}",
                "at": _stamp(at + timedelta(minutes=30)),
                "record": "childs_record",
                "side": "raising",
                "stage": stage.id,
            }
        )
    return _history(policy, events), START + timedelta(days=60)


def seconds_per_run(job: Callable[[], object], repeat: int) -> float:
    """The best of ``repeat`` timings of ``job``, each run often enough to be measurable."""
    job()  # warm the caches (calendars, deadlines) outside the timing
    loops = 1
    while True:
        began = time.perf_counter()
        for _ in range(loops):
            job()
        if time.perf_counter() - began >= MIN_SECONDS:
            break
        loops *= 2
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        for _ in range(loops):
            job()
        best = min(best, (time.perf_counter() - began) / loops)
    return best


def _job(policy: Policy, document: dict[str, Any], as_of: datetime) -> Callable[[], object]:
    return lambda: evaluate(policy, load_history(document), as_of)


class Shape(NamedTuple):
    """A case that grows: its policy (or one built for each size) and its history."""

    policy: Policy | Callable[[int], Policy]
    history: Callable[[Policy, int], tuple[dict[str, Any], datetime]]
    sizes: tuple[int, ...]
    unit: str


def measure(name: str, shape: Shape, repeat: int) -> float:
    """Print the cost per unit at each size; return the spread (largest / smallest)."""
    policy, history, sizes, unit = shape
    costs = []
    for size in sizes:
        used = policy(size) if callable(policy) else policy
        document, as_of = history(used, size)
        empty, _ = history(used, 0)
        fixed = seconds_per_run(_job(used, empty, as_of), repeat)
        total = seconds_per_run(_job(used, document, as_of), repeat)
        cost = max(total - fixed, 0.0) / size
        costs.append(cost)
        print(
            f"  {name:<12} {size:>6,} {unit}s: {total * 1e3:9.2f} ms, {cost * 1e6:7.2f} us/{unit}"
        )
    spread = max(costs) / min(costs) if min(costs) > 0 else float("inf")
    print(f"  {name:<12} spread: {spread:.1f}x (target <= {MAX_SPREAD:.0f}x)")
    return spread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="up to 1,000 events and 50 stages")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="exit 1 if a spread is too wide")
    parser.add_argument("--max-spread", type=float, default=MAX_SPREAD)
    parser.add_argument("--shapes", default="repeats,after-as-of,risk,ladder")
    args = parser.parse_args(argv)
    events = EVENTS[:-1] if args.quick else EVENTS
    stages = STAGES[:-1] if args.quick else STAGES
    hips, cheshire = shipped_policy("hips"), shipped_policy("pan-cheshire")
    print("load_history + evaluate, less the same shape with the concern alone")
    shapes = {
        "repeats": Shape(hips, repeats, events, "event"),
        "after-as-of": Shape(hips, after_as_of, events, "event"),
        "risk": Shape(cheshire, risk, events, "event"),
        "ladder": Shape(ladder_policy, ladder, stages, "stage"),
    }
    spreads = {name: measure(name, shapes[name], args.repeat) for name in args.shapes.split(",")}
    wide = [name for name, spread in spreads.items() if spread > args.max_spread]
    if args.check and wide:
        print(f"cost per unit is not flat for: {', '.join(wide)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
