"""Instructions per case of load + evaluate, under callgrind: steady where wall time is not.

Wall-clock figures on a shared machine move by 2x with the other work on it;
``valgrind --tool=callgrind`` counts the instructions the interpreter runs,
which are the same from run to run (within about 1%: hash seeds, when the
collector runs) whatever else the machine is doing.  This script writes
`bench_evaluate.make_case`'s cases (Pan-Cheshire and HIPS) to a file, then,
for this tree and for each ``--against`` revision (its ``src`` exported with
``git archive`` into a temporary folder, run by the same interpreter),
counts the instructions of a child process that loads and evaluates the
first ``small`` and then the first ``large`` cases, each twice after the same
warm-up.  The difference divided by twice the difference in cases is the
cost of one case, start-up and warm-up cancelled out.

    python benchmarks/bench_instructions.py                     # this tree
    python benchmarks/bench_instructions.py --against f6c140b   # and an older version

With ``--check`` the script fails if this tree costs more instructions per
case than the first ``--against`` revision times ``--max-ratio``.  It needs
valgrind (Debian's ``valgrind`` package) and, for ``--against``, git.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys
from datetime import datetime
import challenge_rules as cr
cases_file, count = sys.argv[1], int(sys.argv[2])
def policy(name):
    # Older versions name a shipped policy by id in load_policy.
    finder = getattr(cr, "shipped_policy", None) or cr.load_policy
    return finder(name)
policies = {name: policy(name) for name in ("pan-cheshire", "hips")}
with open(cases_file, encoding="utf-8") as lines:
    cases = [json.loads(line) for line in lines]
cases = [(case["raw"].encode(), datetime.fromisoformat(case["as_of"])) for case in cases]
def run(items):
    for raw, as_of in items:
        history = cr.load_history(json.loads(raw))
        cr.evaluate(policies[history.policy], history, as_of)
run(cases[:200])  # every lazily built table built before the count matters
for _ in range(2):
    run(cases[:count])
"""

_COLLECTED = re.compile(r"Collected : (\d+)")


def write_cases(path: Path, count: int) -> None:
    """``count`` of bench_evaluate's cases, alternately Pan-Cheshire and HIPS, as JSON lines."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_evaluate import make_case  # noqa: PLC0415 - a sibling script, not a package

    from challenge_rules import shipped_policy  # noqa: PLC0415 - only to write the cases

    rng = random.Random(2024)
    policies = [shipped_policy("pan-cheshire"), shipped_policy("hips")]
    with path.open("w", encoding="utf-8") as file:
        for number in range(count):
            raw, as_of = make_case(rng, policies[number % 2], number)
            file.write(json.dumps({"raw": raw.decode(), "as_of": as_of.isoformat()}) + "\n")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (Debian: apt-get install {name})")
    return found


def instructions(src: Path, cases: Path, count: int, folder: Path) -> int:
    """Instructions callgrind counts for the child over ``count`` cases, from ``src``."""
    environment = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"}
    out = folder / "callgrind.out"
    completed = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            _tool("valgrind"),
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-c",
            CHILD,
            str(cases),
            str(count),
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    found = _COLLECTED.search(completed.stderr)
    if completed.returncode != 0 or found is None:
        tail = completed.stderr.strip().splitlines()[-5:]
        raise SystemExit(f"the count for {src} failed: " + " / ".join(tail))
    out.unlink(missing_ok=True)
    return int(found.group(1))


def per_case(src: Path, cases: Path, small: int, large: int, folder: Path) -> float:
    """Instructions per case for the tree at ``src``."""
    low = instructions(src, cases, small, folder)
    high = instructions(src, cases, large, folder)
    return (high - low) / (2 * (large - small))


def export(revision: str, folder: Path) -> Path:
    """The ``src`` folder of ``revision``, exported (with the rest of its tree) into ``folder``.

    The whole tree, since a version may read data files from beside ``src``.
    """
    archive = subprocess.run(  # noqa: S603 - git, on this repository
        [_tool("git"), "-C", str(ROOT), "archive", "--format=tar", revision],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise SystemExit(f"git archive {revision} failed: {archive.stderr.decode().strip()}")
    target = folder / revision.replace("/", "_")
    target.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tree:
        tree.extractall(target, filter="data")
    return target / "src"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", action="append", default=[], metavar="REV")
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=600)
    parser.add_argument("--quick", action="store_true", help="100 and 300 cases")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--max-ratio", type=float, default=1.0)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None and not args.check:
        # `nox -s benchmarks` runs every script: without valgrind this one has nothing to say.
        print("skipped: valgrind is not installed (Debian: apt-get install valgrind)")
        return 0
    small, large = (100, 300) if args.quick else (args.small, args.large)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        cases = folder / "cases.jsonl"
        write_cases(cases, max(large, 200))
        figures = {"this tree": per_case(ROOT / "src", cases, small, large, folder)}
        for revision in args.against:
            figures[revision] = per_case(export(revision, folder), cases, small, large, folder)
    ours = figures["this tree"]
    print(f"instructions per case of load_history + evaluate ({small} and {large} cases):")
    for label, figure in figures.items():
        print(f"  {label:<12} {figure:12,.0f}  ({figure / ours:.3f}x this tree)")
    if args.check and args.against:
        limit = figures[args.against[0]] * args.max_ratio
        if ours > limit:
            print(f"this tree costs {ours:,.0f} > {limit:,.0f} per case", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
