"""What a fresh process loads: the heavy dependencies only when a command needs them.

Timings live in benchmarks/bench_startup.py; this checks the causes instead, so
that an eager import creeping back in fails here, whatever the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from challenge_rules.cli import _subcommand_names, build_parser

REPO = Path(__file__).parents[1]
CASE = REPO / "examples" / "cases" / "pan-cheshire-step1-overdue.json"
AS_OF = "2026-06-22T09:00:00+01:00"


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter has imported once ``code`` has run."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(  # noqa: S603 - this interpreter, the test's own code
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_importing_the_package_loads_no_heavy_dependency() -> None:
    loaded = packages(loaded_after("import challenge_rules"))
    assert not loaded & {"cattrs", "jsonschema", "referencing", "workalendar"}


def test_evaluating_a_case_under_a_shipped_policy_checks_no_schema() -> None:
    code = (
        "import contextlib, io\n"
        "from challenge_rules.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['evaluate', {str(CASE)!r}, '--as-of', {AS_OF!r}]) == 0\n"
    )
    loaded = loaded_after(code)
    # The shipped policy is trusted, the history takes the fast path, 2026 is in the table,
    # and the outputs evaluate does not write are not loaded.
    assert not packages(loaded) & {"jsonschema", "referencing", "workalendar"}
    assert "cattrs" in packages(loaded)
    outputs = {"diagram", "scenarios", "table", "changes", "policydiff", "render", "caseload"}
    assert not {f"challenge_rules.{name}" for name in outputs} & loaded


@pytest.mark.parametrize("year", [1989, 2061])
def test_a_year_outside_the_table_still_uses_workalendar(year: int) -> None:
    code = "from challenge_rules.calendar import bank_holidays\nbank_holidays({!r}, {})\n"
    assert "workalendar" not in packages(loaded_after(code.format("none", year)))
    assert "workalendar" in packages(loaded_after(code.format("england-and-wales", year)))


def test_the_help_still_lists_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "challenge_rules", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    names = _subcommand_names(build_parser())
    assert names
    for name in names:
        assert name in done.stdout
