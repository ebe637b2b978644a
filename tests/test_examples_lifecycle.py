"""examples/lifecycle: diff, replay over a small caseload, and render, as its README shows them.

Every ``console`` block of the README is one command, run in a copy of the
folder; what it prints must be what the README shows, and its exit status
what the README says (``diff`` exits 1: the policies differ).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from challenge_rules.cli import main
from challenge_rules.loading import load_policy, shipped_policy
from challenge_rules.policydiff import diff

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FOLDER = Path(__file__).resolve().parents[1] / "examples" / "lifecycle"
README = FOLDER / "README.md"
COMMAND = re.compile(
    r"^```console\n\$ (?P<command>[^\n]*)\n(?P<output>.*?)^```$", re.MULTILINE | re.DOTALL
)
EXIT = {"diff": 1, "replay": 0, "render": 0}


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "lifecycle"
    shutil.copytree(FOLDER, copy)
    monkeypatch.chdir(copy)
    return copy


def test_the_readme_shows_what_the_commands_print(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = list(COMMAND.finditer(README.read_text(encoding="utf-8")))
    assert [m["command"].split()[1] for m in commands] == ["diff", "replay", "render"]
    for match in commands:
        words = match["command"].split()
        capsys.readouterr()
        code = main(words[1:])
        out = capsys.readouterr().out
        assert out == match["output"], f"`{match['command']}` printed:\n{out}"
        assert code == EXIT[words[1]]
    assert (example / "pan-cheshire-revised.html").is_file()


def test_the_revision_is_a_shorter_timescale_and_a_new_duty() -> None:
    changes = diff(
        shipped_policy("pan-cheshire"), load_policy(FOLDER / "pan-cheshire-revised.json")
    )
    paths = {c.path for c in changes.changes}
    assert ("stages", "step-1", "timescale") in paths
    assert ("duties", "tell-raiser-step-1") in paths


def test_the_rendered_revision_in_chromium(
    example: Path, browser: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    from _browser import render  # noqa: PLC0415

    page = example / "revised.html"
    assert main(["render", "pan-cheshire-revised.json", "-o", str(page)]) == 0
    shown = render(browser, page, example / "revised.png")
    assert shown.console_errors == ()
    text = " ".join(shown.text.split())
    assert "within 3 working days (a guideline) from being notified of the escalation" in text
    assert "Tell the practitioner who raised the concern the outcome of Step 1." in text
    assert "The line manager tells the practitioner who raised the concern" in text
    assert capsys.readouterr().err == ""
