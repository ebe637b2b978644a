"""Development tasks: ``nox -l`` lists them, ``nox`` runs the default ones.

Each session gets its own virtualenv and installs only what it needs, with
plain pip. CI runs the same checks directly in one virtualenv (see ``.ci/run``), not through nox.
"""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING

import nox

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).parent
SRC = ROOT / "src" / "challenge_rules"
DOCS = ROOT / "docs"
BENCHMARKS = ROOT / "benchmarks"

SUPPORTED = ["3.11", "3.12", "3.13"]

DEFAULT_SESSIONS: list[str] = []
nox.options.sessions = DEFAULT_SESSIONS

# tests-3.12 and tests-3.13 are skipped, not failed, where that Python is missing.
nox.options.error_on_missing_interpreters = False

# Run against the installed wheel (here and in .ci/run): are the data files in
# it, and does the package read its own copy of the schemas (the repository's
# schemas/, put into the wheel by the build)?
WHEEL_SMOKE_TEST = """
from importlib.resources import files
from challenge_rules import shipped_policy
from challenge_rules._resources import schema_files, schema_folder
package = files("challenge_rules")
for folder in ("schemas", "policies"):
    names = [each.name for each in package.joinpath(folder).iterdir()]
    assert any(name.endswith(".json") for name in names), (folder, names)
assert str(schema_folder()) == str(package / "schemas"), schema_folder()
assert {"policy", "history", "evaluation"} <= set(schema_files()), list(schema_files())
assert shipped_policy("hips").id == "hips"
"""


def session(
    *, default: bool = True, python: str | list[str] | None = None, **kwargs: object
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a nox session, and add it to the default list unless told not to.

    ``python=None`` (the default) runs the session on the Python running nox.
    """

    def _session(fn: Callable[..., None]) -> Callable[..., None]:
        if default:
            DEFAULT_SESSIONS.append(str(kwargs.get("name", fn.__name__)))
        return nox.session(python=python, **kwargs)(fn)  # type: ignore[call-overload,no-any-return]

    return _session


@session(python=SUPPORTED)
def tests(session: nox.Session) -> None:
    """Run the test suite, with branch coverage, on each supported Python.

    Positional arguments go to pytest, e.g. ``nox -s tests -- -k calendar -x``.
    """
    # Editable, like the README's command: --doctest-modules imports src/ itself,
    # and the installed package must be that same source.
    session.install("-e", f"{ROOT}[test]")
    session.run(
        "python",
        "-m",
        "pytest",
        "--cov=challenge_rules",
        "--cov-branch",
        "--cov-report=term-missing:skip-covered",
        # The gate is [tool.coverage.report] fail_under in pyproject.toml, shared with CI.
        *session.posargs,
    )


@session(tags=["style"])
def style(session: nox.Session) -> None:
    """Lint with ruff, and check that ruff format would change nothing."""
    session.install("ruff")
    session.run("ruff", "check", *session.posargs, str(ROOT))
    session.run("ruff", "format", "--check", str(ROOT))


@session()
def typing(session: nox.Session) -> None:
    """Type-check the package with mypy --strict (config in pyproject.toml)."""
    # [server]: the service package imports Starlette and uvicorn, which ship their types.
    session.install("mypy", "types-jsonschema", "nox", "-e", f"{ROOT}[testing,server]")
    session.run("mypy", *session.posargs, str(SRC), str(ROOT / "noxfile.py"))


@session(tags=["docs"])
@nox.parametrize("builder", [nox.param(name, id=name) for name in ["html", "doctest"]])
def docs(session: nox.Session, builder: str) -> None:
    """Build the documentation with one Sphinx builder; any warning fails it.

    ``nox -s docs`` runs both builders. To keep the HTML, pass an output
    directory: ``nox -s "docs(html)" -- docs/_build/html``.
    """
    # [testing]: autodoc imports challenge_rules.testing, which needs Hypothesis.
    session.install("-e", f"{ROOT}[docs,testing]")
    with TemporaryDirectory() as tmpdir:
        outdir = session.posargs or [str(Path(tmpdir) / builder)]
        session.run(
            "python",
            "-m",
            "sphinx",
            "-b",
            builder,
            "-W",
            "--keep-going",
            "-T",
            "-q",
            str(DOCS),
            *outdir,
        )


@session(tags=["build"])
def build(session: nox.Session) -> None:
    """Build the sdist and wheel, check their metadata, and smoke-test the wheel."""
    session.install("build", "twine")
    with TemporaryDirectory() as tmpdir:
        session.run("python", "-m", "build", str(ROOT), "--outdir", tmpdir)
        dists = sorted(str(path) for path in Path(tmpdir).iterdir())
        session.run("twine", "check", "--strict", *dists)
        wheel = next(path for path in dists if path.endswith(".whl"))
        # The version rarely changes between builds: force pip to take this wheel.
        session.install("--force-reinstall", wheel)
        session.run("python", "-c", WHEEL_SMOKE_TEST)
        session.run("challenge-rules", "--help", silent=True)


@session(default=False)
def benchmarks(session: nox.Session) -> None:
    """Run every benchmarks/bench_*.py (with --quick unless arguments are given).

    ``nox -s benchmarks -- --repeat 9`` passes ``--repeat 9`` to each script
    instead of ``--quick``.
    """
    # bench_service.py starts the service and calls it: the server extra and httpx (in
    # the bench extra, with the check-jsonschema that bench_startup.py compares validate with).
    session.install(f"{ROOT}[server,bench]")
    scripts = sorted(BENCHMARKS.glob("bench_*.py"))
    if not scripts:
        session.skip("no benchmarks/bench_*.py yet")
    arguments = session.posargs or ["--quick"]
    for script in scripts:
        session.run("python", str(script), *arguments)
