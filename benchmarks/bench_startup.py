"""Benchmark: how long the command line and the import take to answer, from a cold process.

Run ``python benchmarks/bench_startup.py`` (``--quick`` for fewer rounds).
Each command runs as a new process, again and again, the commands taking
turns so that whatever else the machine is doing falls on all of them alike:

- ``python -c pass``: the interpreter alone (the baseline, not ours to change);
- ``python -c "import challenge_rules"``;
- ``challenge-rules evaluate`` of one shipped example case, as of a fixed moment;
- ``challenge-rules validate`` of one shipped policy file, and
  ``check-jsonschema --schemafile schemas/policy.schema.json`` of the same
  file (the schema alone: ``validate`` also checks the rules a schema cannot
  express), when check-jsonschema is installed (the ``bench`` extra).

A timing is the best round (the least disturbed), reported with the median
and the slowest so the spread shows; ``net`` is the best round less the
interpreter's best round in the same run. ``--check`` exits 1 when a target
is missed: the import and ``evaluate`` within ``--import-ms`` and
``--evaluate-ms`` of wall time (best round, the interpreter's start
included: the time a person waits), and ``validate`` faster than
check-jsonschema.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from shutil import which
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "examples" / "cases" / "pan-cheshire-step1-overdue.json"
AS_OF = "2026-06-22T09:00:00+01:00"
SCHEMA = ROOT / "schemas" / "policy.schema.json"
# Runs the command as the installed console script does.
CLI = "import sys; from challenge_rules.cli import main; sys.exit(main())"


def _script(name: str) -> str | None:
    """A console script installed beside this interpreter (a venv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else which(name)


def commands(policy: Path) -> dict[str, list[str]]:
    python = sys.executable
    cli = [python, "-c", CLI]
    found = {
        "python -c pass": [python, "-c", "pass"],
        "import attrs": [python, "-c", "import attrs"],
        "import challenge_rules": [python, "-c", "import challenge_rules"],
        "challenge-rules evaluate": [*cli, "evaluate", str(CASE), "--as-of", AS_OF],
        "challenge-rules validate": [*cli, "validate", str(policy)],
    }
    checker = _script("check-jsonschema")
    if checker is not None:
        found["check-jsonschema"] = [checker, "--schemafile", str(SCHEMA), str(policy)]
    return found


# Prints the seconds attrs spends making the package's classes while it is imported: the
# cost of its values being frozen attrs classes, which no change short of that one removes.
ATTRS_CLASSES = """
import time
from attr import _make
spent = [0.0, 0]
def timed(method):
    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start
            spent[1] += method.__name__ == "build_class"
    return run
_make._ClassBuilder.__init__ = timed(_make._ClassBuilder.__init__)
_make._ClassBuilder.build_class = timed(_make._ClassBuilder.build_class)
import challenge_rules
print(spent[0], spent[1])
"""


def attrs_classes(rounds: int) -> tuple[float, int]:
    """The least time attrs took to make the package's classes in a fresh import, and how many."""
    runs = []
    for _ in range(rounds):
        done = subprocess.run(  # noqa: S603 - this interpreter, our own script
            [sys.executable, "-c", ATTRS_CLASSES],
            capture_output=True,
            text=True,
            check=True,
            env=ENVIRONMENT,
        )
        seconds, classes = done.stdout.split()
        runs.append((float(seconds), int(classes)))
    return min(runs)


# Bytecode caches written and read, as in an installed package (pip compiles a wheel's
# modules as it installs them): without them every run would time Python's compiler.
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def time_once(command: Sequence[str]) -> tuple[float, float]:
    """The wall time and the CPU time (user + system) of one run of ``command``."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own commands
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=ENVIRONMENT
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        print(f"FAILED ({done.returncode}): {' '.join(command)}\n{done.stderr.decode()}")
        sys.exit(1)
    return elapsed, _children_cpu() - cpu


def measure(named: dict[str, list[str]], rounds: int) -> dict[str, list[tuple[float, float]]]:
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in named}
    for command in named.values():
        time_once(command)  # first: the file cache warm, the bytecode cache written
    for _ in range(rounds):
        for name, command in named.items():
            times[name].append(time_once(command))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of --repeat")
    parser.add_argument("--repeat", type=int, default=30, help="rounds of every command")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--import-ms", type=float, default=100.0)
    parser.add_argument("--evaluate-ms", type=float, default=150.0)
    parser.add_argument("--policy", default="hips", help="the shipped policy to validate")
    args = parser.parse_args(argv)
    policy = ROOT / "src" / "challenge_rules" / "policies" / f"{args.policy}.json"
    rounds = 5 if args.quick else args.repeat
    named = commands(policy)
    times = measure(named, rounds)
    best = {name: min(wall for wall, _ in values) for name, values in times.items()}
    interpreter = best["python -c pass"]
    print(f"{rounds} rounds of each command, taking turns; milliseconds")
    print(f"{'command':<26} {'best':>7} {'net':>7} {'median':>7} {'slowest':>8} {'best cpu':>9}")
    for name, values in times.items():
        walls = [wall for wall, _ in values]
        net = best[name] - interpreter
        cpu = min(used for _, used in values)
        print(
            f"{name:<26} {best[name] * 1e3:7.1f} {net * 1e3:7.1f} "
            f"{statistics.median(walls) * 1e3:7.1f} {max(walls) * 1e3:8.1f} {cpu * 1e3:9.1f}"
        )
    building, classes = attrs_classes(rounds)
    imported = best["import challenge_rules"] - best["import attrs"]
    print(
        f"of import challenge_rules less import attrs ({imported * 1e3:.1f} ms), attrs making "
        f"the {classes} classes took {building * 1e3:.1f} ms (best of {rounds})"
    )
    missed = []
    if best["import challenge_rules"] * 1e3 > args.import_ms:
        missed.append(f"import challenge_rules over {args.import_ms:g} ms")
    if best["challenge-rules evaluate"] * 1e3 > args.evaluate_ms:
        missed.append(f"challenge-rules evaluate over {args.evaluate_ms:g} ms")
    if "check-jsonschema" in best:
        ratio = best["check-jsonschema"] / best["challenge-rules validate"]
        print(f"validate is {ratio:.2f}x as fast as check-jsonschema on {policy.name}")
        if ratio <= 1:
            missed.append("challenge-rules validate not faster than check-jsonschema")
    else:
        print("check-jsonschema is not installed (pip install -e '.[bench]'): not compared")
        if args.check:
            missed.append("check-jsonschema missing: validate not compared")
    for line in missed:
        print(f"MISSED: {line}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
