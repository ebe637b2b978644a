"""The layering of the package, as docs/architecture.md's table of layers states it.

Every import in ``src/`` (module level, inside functions and under
``TYPE_CHECKING`` alike: each is a dependency) is read with `ast`, and:

- no import cycle among the package's modules;
- each module imports only its own layer or the layers above it in the table
  (so the values import no loading, engine or CLI module, and nothing below
  the entry points imports the CLI, the service or the package's ``__init__``);
- nothing in the package imports the testing kit (it needs Hypothesis);
- private modules are imported from outside the package only by tests (and
  benchmarks), and a
  subpackage's private modules only from inside that subpackage.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = "challenge_rules"
PAGE = ROOT / "docs" / "architecture.md"

# --- exceptions to the layering -------------------------------------------------------------
# A module being replaced can keep its old layer here while a change is merged (none now),
# and a module the table will hold once it lands can be listed as arriving; an import the
# layering tolerates is listed with why. Keep all three empty: each entry is a debt.
LEAVING: dict[str, str] = {}
ARRIVING: set[str] = set()
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


# --- the table and the imports -----------------------------------------------------------------


def layers(page: str) -> dict[str, tuple[int, str]]:
    """Module -> (rank, layer name) from the page's table: the first row is rank 0."""
    found: dict[str, tuple[int, str]] = {}
    rows = [line for line in page.splitlines() if line.startswith("| ") and "`" in line]
    for rank, row in enumerate(rows):
        name = row.split("|")[1].strip()
        for module in re.findall(r"`([\w.]+)`", row.split("|")[2]):
            found[module] = (rank, name)
    return found


def module_name(path: Path, base: Path = SRC) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, importer: str, modules: Iterable[str]) -> set[str]:
    """The package's modules that this module's code imports (full dotted names)."""
    known = set(modules)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the importer's package
                package = importer.split(".")[: -node.level or None]
                base = ".".join([*package, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            # `from challenge_rules import _wording` imports a module, not a name
            # of the package's __init__ (which every import runs first anyway).
            submodules = {f"{base}.{alias.name}" for alias in node.names} & known
            found |= submodules
            if len(submodules) < len(node.names):
                found.add(base)
    return {name for name in found if name in known and name != importer}


def graph(files: Mapping[str, Path]) -> dict[str, set[str]]:
    return {
        name: imported(ast.parse(path.read_text(encoding="utf-8")), name, files)
        for name, path in files.items()
    }


def short(module: str) -> str:
    """``challenge_rules.service._app`` -> ``service._app``; the package itself keeps its name."""
    return module.removeprefix(f"{PACKAGE}.") if module != PACKAGE else PACKAGE


def layer_of(module: str, table: Mapping[str, tuple[int, str]]) -> tuple[int, str] | None:
    """A module's layer: its own row, or its subpackage's (``service._app`` -> ``service``)."""
    name = short(module)
    names = {row: rank for rank, row in table.values()}
    if name in LEAVING:
        return names[LEAVING[name]], LEAVING[name]
    while name:
        if name in table:
            return table[name]
        name = name.rpartition(".")[0]
    return None


def reachable(edges: Mapping[str, set[str]], start: str) -> set[str]:
    """The modules ``start`` imports, directly or not."""
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(edges.get(module, ()))
    return seen


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import one another, directly or not."""
    reach = {module: reachable(edges, module) for module in edges}
    groups = {
        tuple(sorted({module} | {other for other in reach[module] if module in reach[other]}))
        for module in edges
        if module in reach[module]
    }
    return sorted(list(group) for group in groups)


def violations(edges: Mapping[str, set[str]], table: Mapping[str, tuple[int, str]]) -> list[str]:
    """Every import that breaks a rule, as ``importer -> imported: why``."""
    problems = []
    for importer, targets in sorted(edges.items()):
        own = layer_of(importer, table)
        for target in sorted(targets):
            if (short(importer), short(target)) in KNOWN_EXCEPTIONS:
                continue
            theirs = layer_of(target, table)
            if own is None or theirs is None:
                continue  # reported by test_every_module_has_a_layer
            if theirs[0] > own[0]:
                problems.append(
                    f"{short(importer)} ({own[1]}) -> {short(target)} ({theirs[1]}): "
                    "imports a layer below its own"
                )
            if short(target).split(".")[0] == "testing" and short(importer).split(".")[0] != (
                "testing"
            ):
                problems.append(f"{short(importer)} -> {short(target)}: imports the testing kit")
            problems.extend(private_problem(short(importer), short(target)))
    return problems


def private_problem(importer: str, target: str) -> list[str]:
    """A subpackage's private module imported from outside that subpackage."""
    package, _, leaf = target.rpartition(".")
    if package and leaf.startswith("_") and not (importer + ".").startswith(package + "."):
        return [f"{importer} -> {target}: a private module of {package}/, from outside it"]
    return []


def package_files() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((SRC / PACKAGE).rglob("*.py"))}


def with_exceptions_removed(edges: Mapping[str, set[str]]) -> dict[str, set[str]]:
    return {
        importer: {t for t in targets if (short(importer), short(t)) not in KNOWN_EXCEPTIONS}
        for importer, targets in edges.items()
    }


TABLE = layers(PAGE.read_text(encoding="utf-8"))
FILES = package_files()
EDGES = graph(FILES)


# --- the package as it is ----------------------------------------------------------------------


def test_the_page_has_the_table() -> None:
    ranks = {name: rank for rank, name in TABLE.values()}
    assert list(ranks) == [
        "foundations",
        "values",
        "model helpers",
        "reading, schemas, loading",
        "engine",
        "outputs",
        "entry points",
    ]
    assert ranks == dict(sorted(ranks.items(), key=lambda item: item[1]))


def test_every_module_has_a_layer() -> None:
    assert [short(m) for m in FILES if layer_of(m, TABLE) is None] == []


def test_every_module_of_the_table_exists() -> None:
    present = {short(m) for m in FILES}
    missing = {name for name in TABLE if name not in present and name not in ARRIVING}
    assert missing == set()
    assert not set(LEAVING) - present, "a module in LEAVING is gone: take it out"


def test_no_import_cycle() -> None:
    assert cycles(with_exceptions_removed(EDGES)) == []


def test_the_known_exceptions_still_exist() -> None:
    # An exception that no longer happens is taken out of the list, not kept.
    edges = {(short(a), short(b)) for a, targets in EDGES.items() for b in targets}
    assert edges >= KNOWN_EXCEPTIONS


def test_imports_follow_the_layers() -> None:
    assert violations(EDGES, TABLE) == []


# Outside the package and its tests. benchmarks/ is left out with the tests: a
# benchmark measures the internals it names (bench_calendar: `_holidays`' corrections).
OUTSIDE = ["docs", "examples"]


@pytest.mark.parametrize("folder", OUTSIDE)
def test_private_modules_are_not_imported_from_outside_the_package(folder: str) -> None:
    public = {m for m in FILES if not any(part.startswith("_") for part in m.split("."))}
    everything = set(FILES)
    found = [
        f"{path.relative_to(ROOT)} imports {target}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        for target in imported(ast.parse(path.read_text(encoding="utf-8")), "", everything) - public
    ]
    assert found == []


# --- the checks can fail -------------------------------------------------------------------------

SMALL_TABLE = layers(
    "| values | `policy`, `history` |\n| engine | `_engine` |\n| entry points | `cli` |\n"
)


def edges_of(
    pairs: Iterable[tuple[str, str]], base: Mapping[str, set[str]] | None = None
) -> dict[str, set[str]]:
    """``base`` (default: no modules) with these imports added."""
    found = {importer: set(targets) for importer, targets in (base or {}).items()}
    for importer, target in pairs:
        found.setdefault(f"{PACKAGE}.{importer}", set()).add(f"{PACKAGE}.{target}")
        found.setdefault(f"{PACKAGE}.{target}", set())
    return found


def test_a_new_cycle_is_found() -> None:
    edges = edges_of([("policy", "history")], EDGES)  # history imports policy already
    assert ["challenge_rules.history", "challenge_rules.policy"] in cycles(
        with_exceptions_removed(edges)
    )
    assert cycles(edges_of([("cli", "_engine"), ("_engine", "policy")])) == []
    three = edges_of([("policy", "history"), ("history", "_engine"), ("_engine", "policy")])
    assert len(cycles(three)) == 1


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("policy", "_engine")], "policy (values) -> _engine (engine): imports a layer below"),
        ([("_engine", "cli")], "_engine (engine) -> cli (entry points): imports a layer below"),
        ([("cli", "testing._policies")], "cli -> testing._policies: imports the testing kit"),
        (
            [("cli", "service._app")],
            "cli -> service._app: a private module of service/, from outside it",
        ),
    ],
)
def test_a_layer_violation_is_found(pairs: list[tuple[str, str]], message: str) -> None:
    table = SMALL_TABLE | {"testing": (2, "entry points"), "service": (2, "entry points")}
    assert any(found.startswith(message) for found in violations(edges_of(pairs), table))


def test_imports_are_read_whatever_their_form() -> None:
    code = (
        "import challenge_rules.policy\n"
        "from challenge_rules import _wording, evaluate\n"
        "from . import history\n"
        "def late():\n    from challenge_rules.service import _app\n"
        "if TYPE_CHECKING:\n    from challenge_rules.calendar import Deadline\n"
    )
    modules = [f"{PACKAGE}.{name}" for name in ("policy", "_wording", "history", "calendar")]
    modules += [f"{PACKAGE}.service._app"]
    # `from challenge_rules.service import _app` imports the module, not the package's names.
    found = imported(ast.parse(code), f"{PACKAGE}.report", [*modules, f"{PACKAGE}.service"])
    assert found == set(modules)


def test_a_private_import_from_outside_is_found(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text("from challenge_rules._engine import run\n", encoding="utf-8")
    tree = ast.parse(script.read_text(encoding="utf-8"))
    assert imported(tree, "", FILES) == {f"{PACKAGE}._engine"}
