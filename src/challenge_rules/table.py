"""Evaluations as table rows, for spreadsheets and reporting databases (CSV).

One row per required action and one per breach, each carrying its case's
reference, policy, ``as_of``, status and stage, and what the concern is about
(agencies, sectors, area, topics, nature, subject), so a sheet can be filtered
and grouped without joining anything back. A case with neither gets one
``case`` row; a case that could not be evaluated gets one ``error`` row.
Rows hold no personal data: evaluations have none.

>>> from challenge_rules import evaluate, load_history, shipped_policy
>>> from datetime import datetime
>>> history = load_history("examples/cases/pan-cheshire-step1-overdue.json")
>>> evaluation = evaluate(
...     shipped_policy(history.policy), history, datetime.fromisoformat("2026-06-30T09:00:00+01:00")
... )
>>> [(row["row"], row["id"]) for row in rows(evaluation)][-1]
('breach', 'stage:step-1')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, TextIO

import attrs

from challenge_rules._csv import write_rows
from challenge_rules.errors import InvalidInput
from challenge_rules.report import from_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

    from challenge_rules.evaluation import Action, Addressee, Breach, Evaluation

COLUMNS: Final = (
    "reference",
    "policy",
    "as_of",
    "status",
    "stage",
    "urgent",
    "raising_agency",
    "raising_sector",
    "receiving_agency",
    "receiving_sector",
    "area",
    "topics",
    "nature",
    "subject",
    "next_change_at",
    "row",
    "id",
    "kind",
    "what",
    "who",
    "due_at",
    "due_day",
    "due_soon_from",
    "due_soon",
    "late_working_days",
    "done_at",
    "clause",
    "error",
)
"""The columns, in order; every row has each (``""`` where it does not apply)."""

Row = dict[str, str]


def _who(who: tuple[Addressee, ...]) -> str:
    return "; ".join(str(addressee) for addressee in who)


def _instant(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat()


def _case(evaluation: Evaluation) -> Row:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        reference=evaluation.reference,
        policy=evaluation.policy,
        as_of=evaluation.as_of.isoformat(),
        status=str(evaluation.status),
        stage=evaluation.stage or "",
        urgent="true" if evaluation.urgent else "false",
        next_change_at=_instant(evaluation.next_change_at),
        row="case",
    )
    concern = evaluation.concern
    if concern is not None:
        row.update(
            raising_agency=concern.raising_agency,
            raising_sector=concern.raising_sector or "",
            receiving_agency=concern.receiving_agency,
            receiving_sector=concern.receiving_sector or "",
            area=concern.area or "",
            topics=";".join(concern.topics),
            nature=str(concern.nature),
            subject="" if concern.subject is None else str(concern.subject),
        )
    return row


def _item(case: Row, name: str, item: Action | Breach) -> Row:
    row = dict(case)
    row.update(
        row=name,
        id=item.id,
        kind=item.kind,
        what=item.what,
        who=_who(item.who),
        clause=item.why.clause,
        stage=item.stage or case["stage"],
    )
    if item.due is not None:
        row.update(
            due_at=item.due.at.isoformat(),
            due_day=item.due.day.isoformat() if item.due.day else "",
        )
    return row


def rows(evaluation: Evaluation) -> Iterator[Row]:
    """The rows of one evaluation: its actions, then its breaches (or one ``case`` row)."""
    case = _case(evaluation)
    if not evaluation.actions and not evaluation.breaches:
        yield case
        return
    for action in evaluation.actions:
        row = _item(case, "action", action)
        row.update(
            due_soon_from=_instant(action.due_soon_from),
            due_soon="true" if action.due_soon else "false",
        )
        yield row
    for breach in evaluation.breaches:
        row = _item(case, "breach", breach)
        row.update(
            late_working_days=str(breach.late.working_days),
            done_at=breach.done_at.isoformat() if breach.done_at else "",
        )
        yield row


def error_row(reference: str, message: str) -> Row:
    """The row for a case that could not be evaluated (``reference``: where it came from)."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(reference=reference, row="error", error=message)
    return row


def _error_line(error: object, source: str) -> Row:
    details = error if isinstance(error, dict) else {}
    problems = details.get("problems")
    problems = problems if isinstance(problems, list) else []
    first = problems[0].get("message") if problems and isinstance(problems[0], dict) else None
    noun = "problem" if len(problems) == 1 else "problems"
    message = f"{len(problems)} {noun}" + (f", first: {first}" if first else "")
    where = details.get("source")
    return error_row(where if isinstance(where, str) else source, message)


def result_rows(document: object, source: str) -> list[Row]:
    """The rows of one line of ``challenge-rules evaluate --jsonl`` output, as parsed JSON.

    A line is an evaluation (``schemas/evaluation.schema.json``), the error
    object written for a case that could not be evaluated, or the ``skipped``
    record written for a blank input line (no rows: it was no case). Raises
    `challenge_rules.errors.InvalidInput` (every problem, located in
    ``source``) for anything else.
    """
    if isinstance(document, dict) and set(document) == {"error"}:
        return [_error_line(document["error"], source)]
    if isinstance(document, dict) and set(document) == {"skipped"}:
        return []
    try:  # from_json runs the evaluation schema itself; the source is all we add
        evaluation = from_json(document)
    except InvalidInput as error:
        raise attrs.evolve(error, source=source) from None
    return list(rows(evaluation))


def write_csv(table: Iterable[Row], stream: TextIO) -> int:
    """Write a header and ``table``'s rows as CSV (RFC 4180 quoting); return the row count.

    A cell a spreadsheet would run as a formula (one that begins with any of
    `challenge_rules._csv.FORMULA_STARTS`) is written with a leading apostrophe.
    """
    return write_rows(stream, COLUMNS, table)


__all__ = ["COLUMNS", "Row", "error_row", "result_rows", "rows", "write_csv"]
