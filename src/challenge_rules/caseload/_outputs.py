"""The caseload report as text and as CSV files.

Both render the same `Table` values (see `_build`), so every figure is computed
once. The CSV files open in a spreadsheet: UTF-8 with a byte order mark (so
Excel reads it as UTF-8), a header row, and text that a spreadsheet would take
for a formula prefixed with ``'``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Final, Self, TextIO

from challenge_rules._csv import safe_cell

if TYPE_CHECKING:
    from types import TracebackType

    from challenge_rules.caseload._build import CaseloadReport, Cell, Table
    from challenge_rules.caseload._rows import BreachRow, CaseRow

CASE_COLUMNS: Final = (
    "reference",
    "status",
    "stage",
    "highest_stage",
    "raised",
    "closed",
    "raising_agency",
    "raising_sector",
    "receiving_agency",
    "receiving_sector",
    "area",
    "nature",
    "topics",
    "subject",
    "working_days_to_resolution",
    "breaches",
    "last_event",
    "idle_working_days",
    "past_ladder_end",
    "step_overdue",
    "reached_partnership_step",
    "partnership_recorded",
)
BREACH_COLUMNS: Final = (
    "reference",
    "breach",
    "kind",
    "stage",
    "responsible",
    "due",
    "done",
    "late_working_days",
)


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    return str(value)


def _safe(value: object) -> object:
    # A cell a spreadsheet would run as a formula is kept as text (one rule: _csv).
    return safe_cell(value) if isinstance(value, str) else value


def _flag(value: bool | None) -> str:
    return {True: "yes", False: "no", None: ""}[value]


def case_cells(row: CaseRow) -> tuple[object, ...]:
    """The cells of one case's row of ``cases.csv``, in `CASE_COLUMNS` order."""
    return (
        row.reference,
        row.status.value,
        row.stage or "",
        row.highest or "",
        row.raised.isoformat(),
        row.closed.isoformat() if row.closed else "",
        row.raising_agency,
        row.raising_sector or "",
        row.receiving_agency,
        row.receiving_sector or "",
        row.area or "",
        row.nature,
        ";".join(row.topics),
        row.subject or "",
        "" if row.working_days_to_resolution is None else row.working_days_to_resolution,
        len(row.breaches),
        row.last_event.isoformat(),
        row.idle_working_days,
        _flag(row.past_ladder_end),
        _flag(row.step_overdue),
        row.partnership_step.isoformat() if row.partnership_step else "",
        _flag(row.partnership_recorded) if row.partnership_step else "",
    )


def breach_cells(row: BreachRow) -> tuple[object, ...]:
    """The cells of one breach's row of ``breaches.csv``, in `BREACH_COLUMNS` order."""
    return (
        row.reference,
        row.breach,
        row.kind,
        row.stage or "",
        row.responsible,
        row.due.isoformat(),
        row.done.isoformat() if row.done else "",
        row.late_working_days,
    )


class CaseWriter:
    """Writes ``cases.csv`` and ``breaches.csv`` into a folder, a case at a time.

    Use it as a context manager and pass it as ``on_case`` to `build_report`,
    so rows are written as cases stream past rather than kept.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._streams: list[TextIO] = []

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        cases = (self.folder / "cases.csv").open("w", encoding="utf-8-sig", newline="")
        breaches = (self.folder / "breaches.csv").open("w", encoding="utf-8-sig", newline="")
        self._streams = [cases, breaches]
        self._cases = csv.writer(cases)
        self._breaches = csv.writer(breaches)
        self._cases.writerow(CASE_COLUMNS)
        self._breaches.writerow(BREACH_COLUMNS)
        return self

    def __call__(self, row: CaseRow) -> None:
        self._cases.writerow([_safe(c) for c in case_cells(row)])
        for breach in row.breaches:
            self._breaches.writerow([_safe(c) for c in breach_cells(breach)])

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for stream in self._streams:
            stream.close()


def write_tables(report: CaseloadReport, folder: str | Path) -> list[Path]:
    """Write each aggregate table to ``folder/<table id>.csv``; the paths written."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for table in report.tables:
        path = target / f"{table.id}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(table.columns)
            writer.writerows([_safe(c) for c in row] for row in table.rows)
        written.append(path)
    return written


def _render_table(table: Table) -> list[str]:
    cells = [table.columns, *[tuple(_cell(c) for c in row) for row in table.rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.columns))]
    lines = [table.title, "-" * len(table.title)]
    if not table.rows:
        lines.append("  (none)")
    else:
        for number, row in enumerate(cells):
            lines.append(
                "  "
                + "  ".join(
                    text.ljust(width) if i == 0 or number == 0 else text.rjust(width)
                    for i, (text, width) in enumerate(zip(row, widths, strict=True))
                ).rstrip()
            )
    if table.note:
        lines.append(f"  {table.note}")
    return lines


def heading(report: CaseloadReport) -> str:
    """The report's first line: the policy, the period and the moment."""
    period = ""
    if report.period_from or report.period_to:
        start = report.period_from.isoformat() if report.period_from else "the start"
        end = report.period_to.isoformat() if report.period_to else "now"
        period = f", concerns raised from {start} to {end}"
    return (
        f"Caseload report: {report.policy_title} (version {report.policy_version}){period}, "
        f"as of {report.as_of.isoformat(timespec='minutes')}"
    )


def render_text(report: CaseloadReport) -> str:
    """The report as plain text, a table after another."""
    lines = [heading(report), ""]
    lines += [
        (
            f"{report.read} read, {report.refused} refused, {report.outside_period} outside "
            f"the period, {report.counted} counted."
        ),
        "",
    ]
    for note in report.notes:
        lines += [f"Note: {note}"]
    if report.notes:
        lines.append("")
    for table in report.tables:
        if table.id == "input":
            continue
        lines += [*_render_table(table), ""]
    return "\n".join(lines)


__all__ = [
    "BREACH_COLUMNS",
    "CASE_COLUMNS",
    "CaseWriter",
    "breach_cells",
    "case_cells",
    "heading",
    "render_text",
    "write_tables",
]
