"""The strict readers' file handling: one wording for a file that cannot be read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from challenge_rules.errors import InvalidJSON
from challenge_rules.reading import Line, file_problem, read_document, read_lines

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("error", "message", "expected"),
    [
        (FileNotFoundError(2, "No such file or directory"), "file not found", "the path of a X"),
        (IsADirectoryError(21, "Is a directory"), "this is a folder, not a file", "a X"),
        (PermissionError(13, "Permission denied"), "cannot read the file: Permission denied", None),
    ],
)
def test_file_problem_names_what_went_wrong(
    error: OSError, message: str, expected: str | None
) -> None:
    problem = file_problem(error, expected="a X")
    assert (problem.message, problem.expected) == (message, expected)


def test_read_document_and_read_lines_word_a_missing_file_alike(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    _, (from_document,) = read_document(missing)
    with pytest.raises(InvalidJSON) as raised:
        list(read_lines(missing))
    (from_lines,) = raised.value.problems
    assert from_document.message == from_lines.message == "file not found"
    assert raised.value.source == str(missing)


def test_read_lines_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidJSON, match="this is a folder, not a file"):
        list(read_lines(tmp_path))


def test_read_lines_numbers_every_line_and_keeps_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b'{"a": 1}\n\n  \n\xff\n')
    lines = list(read_lines(path))
    assert [line.source for line in lines] == [f"{path}:{n}" for n in (1, 2, 3, 4)]
    assert [line.blank for line in lines] == [False, True, True, False]
    assert lines[3] == Line(f"{path}:4", b"\xff\n")
