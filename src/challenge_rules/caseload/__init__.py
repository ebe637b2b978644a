"""The caseload report: a partnership's escalations across many cases.

`build_report` evaluates each case of a caseload under one policy at one
moment and counts what a business manager's quarterly quality-assurance paper
needs: concerns raised and where they stand, by month or quarter, by agency,
sector, area, topic and nature; stages reached and working days in each;
time to resolution; breaches by stage, duty and agency; drift; and the
partnership's own record of escalations. It streams: each case is evaluated,
counted and let go, so memory holds only the aggregates (see
``docs/caseload.md``).

The report renders as text (`render_text`), as CSV files (`write_tables`, with
`CaseWriter` for one row a case and a breach) and as a self-contained HTML page
(`render_html`, with the ``report`` extra). Cases come from `read_cases`: JSON
Lines, a folder of history files, or an escalation log (CSV, mapped by a
`ColumnMapping`: `load_mapping`, `default_mapping`).

A report carries no personal data: cases are named by their opaque reference,
parties by agency, and nothing else of a history, or of a log's other
columns, is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from challenge_rules._engine import evaluate
from challenge_rules.caseload._build import (
    RESOLUTION_BANDS,
    Caseload,
    CaseloadReport,
    Grouping,
    Table,
    period_key,
)
from challenge_rules.caseload._caselog import (
    ColumnMapping,
    default_mapping,
    load_mapping,
    mapping_from,
)
from challenge_rules.caseload._errors import MissingExtra
from challenge_rules.caseload._html import render_html, require_html
from challenge_rules.caseload._outputs import (
    BREACH_COLUMNS,
    CASE_COLUMNS,
    CaseWriter,
    render_text,
    write_tables,
)
from challenge_rules.caseload._rows import BreachRow, CaseRow, StageSpell, summarise
from challenge_rules.caseload._sources import Refused, is_log, read_cases
from challenge_rules.errors import InvalidHistory

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import date, datetime

    from challenge_rules.history import CaseHistory
    from challenge_rules.policy import Policy

DUTIES_NOT_RECORDED = (
    "An escalation log records steps and outcomes, not the duties around them (records, "
    "confirmations): breaches of duties are not counted, and whether the partnership "
    "recorded an escalation is not known."
)


def build_report(  # noqa: PLR0913 - the report's settings, all keyword-only
    policy: Policy,
    cases: Iterable[CaseHistory | Refused],
    as_of: datetime,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    grouping: Grouping = "month",
    idle_days: int = 10,
    list_limit: int = 500,
    duties_recorded: bool = True,
    on_case: Callable[[CaseRow], None] | None = None,
    on_refused: Callable[[Refused], None] | None = None,
) -> CaseloadReport:
    """Evaluate every case at ``as_of`` under ``policy`` and report on the caseload.

    ``period_from`` and ``period_to`` (local dates, both included) keep the
    concerns raised in that period; the others are counted as outside it.
    ``grouping`` is ``"month"`` or ``"quarter"``; an open case with no event
    for ``idle_days`` working days is drifting. ``duties_recorded=False`` is
    for sources that do not record duties (escalation logs, see
    `summarise`). ``on_case`` is called with the row of each counted case and
    ``on_refused`` with each case that cannot be evaluated (a `Refused`),
    so a caller can write them out as they come. ``cases`` is read once.
    """
    caseload = Caseload(
        policy,
        as_of,
        period_from=period_from,
        period_to=period_to,
        grouping=grouping,
        idle_days=idle_days,
        list_limit=list_limit,
    )
    calendar = policy.working_calendar()
    for case in cases:
        if isinstance(case, Refused):
            caseload.refuse()
            if on_refused is not None:
                on_refused(case)
            continue
        try:
            evaluation = evaluate(policy, case, as_of)
        except InvalidHistory as error:
            caseload.refuse()
            if on_refused is not None:
                on_refused(Refused(f"case {case.reference}", error))
            continue
        row = summarise(
            policy=policy,
            calendar=calendar,
            history=case,
            evaluation=evaluation,
            steps=caseload.steps,
            duties_recorded=duties_recorded,
        )
        if caseload.add(row) and on_case is not None:
            on_case(row)
    return caseload.report(notes=() if duties_recorded else (DUTIES_NOT_RECORDED,))


__all__ = [
    "BREACH_COLUMNS",
    "CASE_COLUMNS",
    "DUTIES_NOT_RECORDED",
    "RESOLUTION_BANDS",
    "BreachRow",
    "CaseRow",
    "CaseWriter",
    "Caseload",
    "CaseloadReport",
    "ColumnMapping",
    "Grouping",
    "MissingExtra",
    "Refused",
    "StageSpell",
    "Table",
    "build_report",
    "default_mapping",
    "is_log",
    "load_mapping",
    "mapping_from",
    "period_key",
    "read_cases",
    "render_html",
    "render_text",
    "require_html",
    "summarise",
    "write_tables",
]
