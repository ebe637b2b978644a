"""The example caseload: what its script makes, and the commands the docs show."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from challenge_rules.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "caseload"


def test_the_committed_caseload_is_what_its_script_makes() -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter, a committed script
        [sys.executable, str(EXAMPLE / "make_caseload.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_the_example_is_synthetic() -> None:
    text = (EXAMPLE / "pan-cheshire-caseload.jsonl").read_text(encoding="utf-8")
    references = set(re.findall(r'"reference":"([^"]+)"', text))
    assert len(references) == 120
    assert all(re.fullmatch(r"PC-SYN-\d{4}", r) for r in references)


def _commands(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [
        line.strip()
        for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL)
        for line in block.splitlines()
        if "challenge-rules report" in line
    ]


@pytest.mark.parametrize("document", ["README.md", "docs/caseload.md", "docs/cli.md"])
def test_the_report_commands_the_docs_show_work(
    document: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = _commands(REPO / document)
    assert commands
    monkeypatch.chdir(REPO)
    for command in commands:
        argv = command.split("challenge-rules ", 1)[1].split()
        if "--output" in argv:
            argv[argv.index("--output") + 1] = str(tmp_path / argv[argv.index("--output") + 1])
        status = main(argv)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        expected = 1 if "escalation-log.csv" in command else 0  # two bad rows, on purpose
        assert status == expected, err
