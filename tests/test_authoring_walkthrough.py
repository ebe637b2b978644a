"""docs/authoring.md, performed step by step, so the walkthrough cannot drift.

The walkthrough is run as a script, in a temporary folder, in the order the
page gives its steps:

- every ``console`` block is one command: ``$ cp SOURCE TARGET`` copies a file
  of this repository into the folder; ``$ challenge-rules ...`` runs the
  command (`challenge_rules.cli.main`), and what it prints must match the lines
  shown under it. A line ``...`` stands for any number of lines, and a line
  ending in ``...`` for any line that starts with what comes before it;
- ``<!-- walkthrough: exit N -->`` before a console block: the command's exit
  status must be N (otherwise 0);
- ``<!-- walkthrough: replace in FILE -->`` before a ``json`` block, then
  ``<!-- walkthrough: with -->`` before another: the first block's text, which
  must occur exactly once in FILE, is replaced by the second's (an edit a
  reader makes by hand);
- ``<!-- walkthrough: undo -->``: the previous replacement is reversed (the
  reader puts the mistake right);
- ``<!-- walkthrough: check in FILE -->`` before a ``json`` block: the block's
  text occurs in FILE as it stands.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from challenge_rules.cli import main
from challenge_rules.loading import load_policy
from challenge_rules.reading import read_json
from challenge_rules.scenarios import render_outcome, run_file, uncovered_clauses

if TYPE_CHECKING:
    import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DOC = REPO_ROOT / "docs" / "authoring.md"

_TOKEN = re.compile(
    r"<!-- walkthrough: (?P<marker>[^>]*?) -->"
    r"|^```(?P<lang>[a-z]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


class Step(NamedTuple):
    kind: str  # "run", "copy", "replace", "undo" or "check"
    line: int
    file: str = ""
    text: str = ""
    replacement: str = ""
    expected: tuple[str, ...] = ()
    exit_code: int = 0


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _steps(text: str) -> list[Step]:
    steps: list[Step] = []
    marker = ""
    pending: Step | None = None
    for match in _TOKEN.finditer(text):
        line = _line(text, match.start())
        if match["marker"] is not None:
            if match["marker"].strip() == "undo":
                steps.append(Step("undo", line))
            else:
                marker = match["marker"].strip()
            continue
        lang, body = match["lang"], match["body"]
        if lang == "console":
            steps.append(_command(body, line, marker))
        elif marker.startswith("replace in "):
            pending = Step("replace", line, file=marker.removeprefix("replace in "), text=body)
        elif marker == "with":
            assert pending is not None, f"docs/authoring.md:{line}: 'with' without 'replace in'"
            steps.append(pending._replace(replacement=body))
            pending = None
        elif marker.startswith("check in "):
            steps.append(Step("check", line, file=marker.removeprefix("check in "), text=body))
        marker = ""
    assert pending is None, "a 'replace in' block has no 'with' block"
    return steps


def _command(body: str, line: int, marker: str) -> Step:
    command, *output = body.rstrip("\n").split("\n")
    assert command.startswith("$ "), f"docs/authoring.md:{line}: no '$ ' command"
    words = command[2:].split()
    if words[0] == "cp":
        assert len(words) == 3, f"docs/authoring.md:{line}: cp SOURCE TARGET"
        return Step("copy", line, file=words[2], text=words[1])
    assert words[0] == "challenge-rules", f"docs/authoring.md:{line}: {command}"
    exit_code = int(marker.removeprefix("exit ")) if marker.startswith("exit ") else 0
    return Step("run", line, text=command[2:], expected=tuple(output), exit_code=exit_code)


def _matches(expected: tuple[str, ...], actual: list[str]) -> bool:
    """Whether ``actual`` lines match ``expected``, with ``...`` as described above."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(_matches(rest, actual[i:]) for i in range(len(actual) + 1))
    if not actual:
        return False
    if head.endswith("...") and actual[0].startswith(head[:-3]):
        return _matches(rest, actual[1:])
    return head == actual[0] and _matches(rest, actual[1:])


def _test_via_api(words: list[str]) -> tuple[int, str]:
    """What ``challenge-rules test FILE [--coverage]`` prints, built from the Python API."""
    files = [w for w in words if not w.startswith("--")]
    out: list[str] = []
    passed = failed = 0
    for name in files:
        result = run_file(name)
        passed += sum(o.passed for o in result.outcomes)
        failed += sum(not o.passed for o in result.outcomes)
        out.append(render_outcome(result))
        if "--coverage" in words:
            document = read_json(Path(name))
            assert isinstance(document, dict)
            reference = document["policy"]
            local = Path(name).parent / reference
            policy = load_policy(local if local.suffix == ".json" else reference)
            uncovered = uncovered_clauses(policy, result.outcomes)
            listed = ", ".join(uncovered) if uncovered else "none"
            out.append(f"{name}: rule clauses no scenario names: {listed}")
    out.append(f"{passed} passed, {failed} failed")
    return (1 if failed else 0), "\n".join(out) + "\n"


def _walk(folder: Path, capsys: pytest.CaptureFixture[str], *, test_command_via_api: bool) -> None:
    text = DOC.read_text(encoding="utf-8")
    steps = _steps(text)
    assert [s.kind for s in steps].count("run") == 10, "the walkthrough has lost its commands"
    undo: list[tuple[Path, str]] = []
    for step in steps:
        where = f"docs/authoring.md:{step.line}"
        if step.kind == "copy":
            shutil.copyfile(REPO_ROOT / step.text, folder / step.file)
        elif step.kind in {"replace", "check"}:
            path = folder / step.file
            content = path.read_text(encoding="utf-8")
            count = content.count(step.text)
            if step.kind == "check":
                assert count >= 1, f"{where}: not in {step.file}:\n{step.text}"
                continue
            assert count == 1, f"{where}: found {count} times in {step.file}:\n{step.text}"
            undo.append((path, content))
            path.write_text(content.replace(step.text, step.replacement), encoding="utf-8")
        elif step.kind == "undo":
            path, content = undo.pop()
            path.write_text(content, encoding="utf-8")
        else:
            words = step.text.split()
            capsys.readouterr()
            if test_command_via_api and words[1] == "test":
                code, out = _test_via_api(words[2:])
            else:
                code = main(words[1:])
                out = capsys.readouterr().out
            actual = out.rstrip("\n").split("\n")
            shown = "\n".join(step.expected)
            assert _matches(step.expected, actual), (
                f"{where}: `{step.text}` printed\n{out}\nbut the page shows\n{shown}"
            )
            assert code == step.exit_code, f"{where}: `{step.text}` exited {code}"


def test_the_walkthrough_matches_what_the_commands_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _walk(tmp_path, capsys, test_command_via_api=True)


def test_the_walkthrough_through_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _walk(tmp_path, capsys, test_command_via_api=False)


def test_the_matcher() -> None:
    assert _matches(("a", "...", "d"), ["a", "b", "c", "d"])
    assert _matches(("a", "...", "b"), ["a", "b"])
    assert _matches(("ab...",), ["abc"])
    assert not _matches(("a", "d"), ["a", "b", "d"])
    assert not _matches(("a",), ["a", "b"])


def test_the_precommit_snippet_names_real_hooks() -> None:
    text = DOC.read_text(encoding="utf-8")
    snippet = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert snippet is not None, "the page has no .pre-commit-config.yaml snippet"
    named = set(re.findall(r"- id: (\S+)", snippet[1]))
    hooks = (REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    defined = set(re.findall(r"^- id: (\S+)", hooks, re.MULTILINE))
    assert named, "the snippet names no hook"
    assert named <= defined
    assert "challenge-rules-validate" in named
    assert "challenge-rules-test" in named
