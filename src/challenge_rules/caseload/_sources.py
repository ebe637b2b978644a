"""Where a caseload comes from: JSON Lines, a folder of history files, or an escalation log.

`read_cases` yields each case's history, or a `Refused` saying where it was and
why it could not be read, one at a time: nothing is read ahead, so a caseload
of any size streams through in bounded memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from challenge_rules.caseload._caselog import read_log
from challenge_rules.caseload._errors import InvalidCaseload
from challenge_rules.errors import (
    ChallengeRulesError,
    InvalidHistory,
    InvalidInput,
    InvalidJSON,
    Problem,
)
from challenge_rules.loading import load_history, load_history_line
from challenge_rules.reading import read_lines

if TYPE_CHECKING:
    from collections.abc import Iterator

    from challenge_rules.caseload._caselog import ColumnMapping
    from challenge_rules.history import CaseHistory
    from challenge_rules.policy import Policy


@frozen
class Refused:
    """A case (or log row) that was read but could not be used, and why."""

    source: str
    """Where it was: ``cases.jsonl:12``, ``log.csv row 7`` or a file's path."""
    error: ChallengeRulesError

    def __str__(self) -> str:
        error = self.error
        if isinstance(error, InvalidInput) and error.source is None:
            error = attrs.evolve(error, source=self.source)
        return str(error)


def is_log(path: str | Path) -> bool:
    """Whether ``path`` is read as an escalation log (a ``.csv`` file)."""
    return str(path).lower().endswith(".csv")


def _lines(name: str) -> Iterator[CaseHistory | Refused]:
    try:
        for line in read_lines(name):
            if line.blank:
                continue
            try:
                yield load_history_line(line)
            except InvalidHistory as error:
                yield Refused(line.source, error)
    except InvalidJSON as error:
        raise InvalidCaseload(problems=error.problems, source=error.source) from None


def _file(path: Path) -> CaseHistory | Refused:
    try:
        return load_history(path)
    except InvalidInput as error:
        return Refused(str(path), error)


def read_cases(
    source: str | Path, policy: Policy, *, mapping: ColumnMapping | None = None
) -> Iterator[CaseHistory | Refused]:
    """Every case in ``source``, in order.

    ``source`` is a JSON Lines file (``.jsonl``, or ``-`` for standard input)
    of one history a line, a folder of history ``.json`` files (in name order),
    one history file, or an escalation log (``.csv``, read with ``mapping``,
    see `load_mapping`). Raises `InvalidInput` only for a source that cannot
    be read at all; each bad case is yielded as a `Refused`.
    """
    name = str(source)
    path = Path(source)
    if name == "-" or name.lower().endswith((".jsonl", ".ndjson")):
        if name != "-" and not path.is_file():
            raise InvalidCaseload(problems=(Problem(message="no such file"),), source=name)
        yield from _lines(name)
    elif is_log(name):
        for where, result in read_log(path, policy, mapping):
            yield Refused(where, result) if isinstance(result, InvalidInput) else result
    elif path.is_dir():
        for child in sorted(path.glob("*.json")):
            yield _file(child)
    elif path.is_file():
        yield _file(path)
    else:
        raise InvalidCaseload(
            problems=(
                Problem(
                    message="no such file or folder",
                    expected="a .jsonl file, a folder of history .json files, or a .csv log",
                ),
            ),
            source=name,
        )


__all__ = ["Refused", "is_log", "read_cases"]
