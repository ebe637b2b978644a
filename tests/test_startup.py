"""What a fresh process loads: the heavy dependencies only when a command needs them.

Timings live in benchmarks/bench_startup.py; this checks the causes instead, so
that an eager import creeping back in fails here, whatever the machine.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import challenge_rules
from challenge_rules.cli import _SUBCOMMANDS, _subcommand_names, build_parser, main

if TYPE_CHECKING:
    import argparse

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


def test_importing_the_package_loads_none_of_its_modules() -> None:
    # Each name of __all__ is imported on first use (the package's __getattr__).
    loaded = loaded_after("import challenge_rules")
    assert {name for name in loaded if name.startswith("challenge_rules.")} == set()
    bare = loaded_after("pass")
    assert packages(loaded - bare) <= {"challenge_rules", "__future__", "importlib", "warnings"}


def test_a_name_loads_its_own_module_and_what_that_imports() -> None:
    loaded = loaded_after("from challenge_rules import Problem")
    assert "challenge_rules.errors" in loaded
    assert not {"challenge_rules.loading", "challenge_rules._engine"} & loaded


@pytest.mark.parametrize("name", challenge_rules.__all__)
def test_every_exported_name_is_its_module_s_own(name: str) -> None:
    value = getattr(challenge_rules, name)
    module = sys.modules[challenge_rules._DEFINED_IN[name]]
    assert value is getattr(module, name)
    assert name in dir(challenge_rules)


def test_the_lazy_names_are_the_exported_names() -> None:
    assert set(challenge_rules._DEFINED_IN) == set(challenge_rules.__all__)
    assert len(challenge_rules.__all__) == len(set(challenge_rules.__all__))


def test_type_checkers_see_each_name_where_it_is_imported_from() -> None:
    # The imports under TYPE_CHECKING (what mypy and IDEs read) name the same modules.
    tree = ast.parse(Path(challenge_rules.__file__).read_text("utf-8"))
    guarded = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    declared = {
        alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom) and node.module != "typing"
        for alias in node.names
    }
    assert declared == challenge_rules._DEFINED_IN


def test_every_exported_name_imports_in_a_fresh_process() -> None:
    names = ", ".join(challenge_rules.__all__)
    loaded = loaded_after(f"from challenge_rules import {names}\nfrom challenge_rules import *")
    assert "challenge_rules.versions" in loaded


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'load_everything'"):
        challenge_rules.load_everything  # noqa: B018 - the lookup is the test
    assert not hasattr(challenge_rules, "__wrapped__")


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
    # Nor what only a file to check, a folder of versions or a misspelt name needs: the
    # policy rules (a trusted policy passed them), the schemas' messages, difflib.
    checking = {"_semantic", "_gaps", "_messages", "schemas", "versions"}
    assert not {f"challenge_rules.{name}" for name in checking} & loaded
    assert "difflib" not in loaded


def test_a_policy_file_is_still_checked_by_every_rule() -> None:
    policy = REPO / "src" / "challenge_rules" / "policies" / "hips.json"
    code = f"from challenge_rules.loading import load_policy\nload_policy({str(policy)!r})\n"
    loaded = loaded_after(code)
    assert {"challenge_rules._semantic", "challenge_rules.schemas"} <= loaded
    assert "jsonschema" in packages(loaded)


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


def test_each_subcommand_is_named_as_it_adds_itself() -> None:
    assert _subcommand_names(build_parser()) == tuple(_SUBCOMMANDS)
    for name in _SUBCOMMANDS:
        assert _subcommand_names(build_parser(only=name)) == (name,)


def _help(parser: argparse.ArgumentParser, words: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        parser.parse_args(words)
    return out.getvalue()


@pytest.mark.parametrize("name", list(_SUBCOMMANDS))
def test_a_subcommand_alone_helps_as_among_all(name: str) -> None:
    # main parses with the named subcommand's parser alone; its help lists every option.
    assert _help(build_parser(only=name), [name, "--help"]) == _help(
        build_parser(), [name, "--help"]
    )


@pytest.mark.parametrize(
    "words",
    [
        ["evaluate", "a.json", "b.json", "--as-of", AS_OF, "--format", "json"],
        ["evaluate", "-", "--jsonl", "--policy", "folder", "--policy-version", "2"],
        ["validate", "hips", "--kind", "policy", "--gaps"],
        ["replay", "cases.jsonl", "--policy", "a", "--against", "b", "--as-of", AS_OF],
        ["report", "cases.jsonl", "--policy", "hips", "--by", "quarter"],
    ],
)
def test_a_subcommand_alone_parses_as_among_all(words: list[str]) -> None:
    def parsed(parser: argparse.ArgumentParser) -> dict[str, object]:
        found = vars(parser.parse_args(words))
        return {k: v for k, v in found.items() if k != "usage_parser"}

    assert parsed(build_parser(only=words[0])) == parsed(build_parser())


def test_a_usage_error_is_told_the_same_way_with_one_subcommand_or_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["evaluate", "--as-of", "yesterday"]) == 2
    alone = capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["evaluate", "--as-of", "yesterday"])
    assert capsys.readouterr().err == alone
    assert main(["evalute"]) == 2
    assert 'did you mean "evaluate"' in capsys.readouterr().err
