"""Shared test set-up: Hypothesis profiles, common fixtures, doctests in Markdown.

Hypothesis profiles (choose one with the environment variable
``HYPOTHESIS_PROFILE``; otherwise ``ci`` when ``CI`` is set, else ``dev``):

``dev``
    100 examples, fresh random data each run (failures are saved in
    ``.hypothesis/`` and replayed first next time).
``ci``
    50 examples, derandomized: the same examples on every run of the same code,
    so a red CI run reproduces and an unrelated change never turns CI red.
    Prints the ``@reproduce_failure`` blob of a failure. The ``too_slow`` health
    check is off, because it measures time on a shared 2-core machine.
``thorough``
    2000 examples, random: run it by hand before a release or after changing
    a strategy or the evaluator.

No profile has a deadline: unit tests here do not measure time.

Doctests in Markdown: every ``>>>`` example inside a fenced code block of
``README.md`` or ``docs/**/*.md`` is run, one test per file, from the
repository root (so paths in examples are the paths a reader types). Only
fenced blocks count, so the closing fence never reads as expected output.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

from _browser import browser  # noqa: F401 - the headless Chromium fixture, for every test module

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)


def _profile_name() -> str:
    chosen = os.environ.get("HYPOTHESIS_PROFILE", "").strip()
    if chosen:
        return chosen
    if os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}:
        return "ci"
    return "dev"


HYPOTHESIS_PROFILE = _profile_name()
settings.load_profile(HYPOTHESIS_PROFILE)


def pytest_report_header() -> str:
    chosen = settings.default
    return (
        f"hypothesis profile: {HYPOTHESIS_PROFILE} "
        f"(max_examples={chosen.max_examples}, derandomize={chosen.derandomize})"
    )


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The root of the challenge-rules working tree."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def seeds_dir(repo_root: Path) -> Path:
    """The shared seed documents beside the clone (``../shared/seeds``); skip if absent."""
    path = repo_root.parent / "shared" / "seeds"
    if not path.is_dir():
        pytest.skip(f"no seed documents at {path}")
    return path


# --- doctests in Markdown -------------------------------------------------------

_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})")


def fenced_code(text: str) -> str:
    """Keep only the contents of fenced code blocks; blank every other line.

    Line numbers are kept, so doctest reports point into the Markdown file, and
    fence lines become blank lines, which end an example's expected output.
    """
    kept: list[str] = []
    fence: str | None = None
    indent = 0
    for line in text.splitlines():
        if fence is None:
            opening = _FENCE_OPEN.match(line)
            if opening:
                fence, indent = opening["fence"], len(opening["indent"])
            kept.append("")
            continue
        stripped = line.strip()
        if stripped.startswith(fence) and set(stripped) == {fence[0]}:
            fence = None
            kept.append("")
            continue
        # A fence's contents lose up to the fence's own indentation (CommonMark).
        kept.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
    return "\n".join(kept) + "\n"


class MarkdownDoctestFailure(Exception):
    """Doctest examples in a Markdown file failed; the message is doctest's report."""


class MarkdownDoctestItem(pytest.Item):
    """All the ``>>>`` examples of one Markdown file, run in order with shared names."""

    def __init__(self, *, dtest: doctest.DocTest, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.dtest = dtest

    def runtest(self) -> None:
        flags = 0
        for name in self.config.getini("doctest_optionflags"):
            flags |= doctest.OPTIONFLAGS_BY_NAME.get(name, 0)
        runner = doctest.DocTestRunner(verbose=False, optionflags=flags)
        report: list[str] = []
        cwd = Path.cwd()
        os.chdir(REPO_ROOT)
        try:
            runner.run(self.dtest, out=report.append, clear_globs=False)
        finally:
            os.chdir(cwd)
        if runner.failures:
            raise MarkdownDoctestFailure("".join(report))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, MarkdownDoctestFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"[doctest] {self.name}"


class MarkdownDoctestFile(pytest.File):
    """A Markdown file whose fenced code blocks may hold doctest examples."""

    def collect(self) -> Iterator[MarkdownDoctestItem]:
        text = self.path.read_text(encoding="utf-8")
        test = doctest.DocTestParser().get_doctest(
            fenced_code(text),
            globs={"__name__": "__main__"},
            name=self.path.relative_to(REPO_ROOT).as_posix(),
            filename=str(self.path),
            lineno=0,
        )
        if test.examples:
            yield MarkdownDoctestItem.from_parent(self, name=self.path.name, dtest=test)


class _MarkdownDoctests:
    """Collects README.md and docs/**/*.md (registered globally by `pytest_configure`)."""

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        # Sphinx's configuration is no test module (--doctest-modules would import it).
        if collection_path == REPO_ROOT / "docs" / "conf.py":
            return True
        # Without the server extra the service package cannot be imported (tests/test_service.py
        # says so, as a skip).
        service = REPO_ROOT / "src" / "challenge_rules" / "service"
        if collection_path == service and importlib.util.find_spec("starlette") is None:
            return True
        return None

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> MarkdownDoctestFile | None:
        if file_path.suffix != ".md":
            return None
        wanted = file_path == REPO_ROOT / "README.md" or (REPO_ROOT / "docs") in file_path.parents
        if not wanted:
            return None
        return MarkdownDoctestFile.from_parent(parent, path=file_path)


def pytest_configure(config: pytest.Config) -> None:
    # A conftest's collection hooks see only its own directory; README.md and
    # docs/ are outside tests/, so the collector is registered as a plugin.
    name = "challenge-rules-markdown-doctests"
    if not config.pluginmanager.has_plugin(name):
        config.pluginmanager.register(_MarkdownDoctests(), name)
