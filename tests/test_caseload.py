"""The caseload report's figures, against a small caseload counted by hand.

The caseload is in ``caseload_cases.py``. Working days (weekdays: no bank
holidays in June and July 2026), counted by hand:

- A: raised Mon 1 Jun, resolved Tue 2 Jun: 1 working day to resolution, 1 at
  the practitioners' stage.
- B: raised Mon 1 Jun 09:00, practitioners met Fri 5 Jun (48 hours ended Wed 3
  Jun 09:00: late by 2 working days, Thu and Fri); Step 1 from Fri 5 Jun to its
  resolution on Fri 12 Jun (5 working days, due by the end of Fri 12 Jun: in
  time). 9 working days to resolution; 4 at the practitioners, 5 at Step 1.
- C: at Step 1 since Tue 9 Jun (due end of Tue 16 Jun): 24 working days late on
  Mon 20 Jul, and 29 working days without an event.
- D: practitioners Mon 15 - Tue 16 Jun (1), Step 1 Tue 16 - Mon 22 Jun (4),
  Step 2 Mon 22 Jun - Fri 10 Jul (14). Pan-Cheshire counts Step 2's 12 and
  Step 3's 18 working days from the concern (its "Day 8-13", "Day 14-19"): due
  Wed 1 Jul and Thu 9 Jul, so Step 2 ended 7 working days late and Step 3 is 7
  working days late on Mon 20 Jul. Last event Mon 13 Jul: 5 working days idle.
- E: a complaint (not applicable); F: withdrawn Thu 4 Jun (1 day at the
  practitioners); G: raised in May (outside the period); H: refused.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseload_cases import AS_OF, DOCUMENTS, PERIOD_FROM, histories
from challenge_rules import CaseHistory, Policy, evaluate, load_history, shipped_policy
from challenge_rules.caseload import (
    BREACH_COLUMNS,
    CASE_COLUMNS,
    Caseload,
    CaseloadReport,
    CaseRow,
    CaseWriter,
    Refused,
    Table,
    build_report,
    period_key,
    render_text,
    summarise,
    write_tables,
)
from challenge_rules.caseload._tally import DayHistogram
from challenge_rules.testing import as_of_moments, policies
from challenge_rules.testing import histories as history_strategy

if TYPE_CHECKING:
    from pathlib import Path

POLICY = shipped_policy("pan-cheshire")


@pytest.fixture(scope="module")
def report() -> CaseloadReport:
    return build_report(POLICY, histories(), AS_OF, period_from=PERIOD_FROM)


# (table, row key, column, the figure counted by hand)
FIGURES = [
    ("input", "read", "count", 8),
    ("input", "refused", "count", 1),
    ("input", "outside the period", "count", 1),
    ("input", "counted", "count", 6),
    ("status", "raised", "cases", 6),
    ("status", "open", "cases", 2),
    ("status", "resolved", "cases", 2),
    ("status", "withdrawn", "cases", 1),
    ("status", "not_applicable", "cases", 1),
    ("status", "redirected", "cases", 0),
    ("status", "closed", "cases", 0),
    ("periods", "2026-06", "raised", 6),
    ("periods", "2026-06", "resolved", 2),
    ("periods", "2026-06", "withdrawn", 1),
    ("periods", "2026-06", "open at end", 2),
    ("periods", "2026-07", "raised", 0),
    ("periods", "2026-07", "open at end", 2),
    ("stages", "practitioners", "reached", 5),
    ("stages", "practitioners", "open at it now", 0),
    ("stages", "practitioners", "resolved at it", 1),
    ("stages", "practitioners", "timescale", "48 hours (1 working day)"),
    ("stages", "practitioners", "over timescale", 1),
    ("stages", "practitioners", "concluded", 5),
    ("stages", "practitioners", "median working days", 1),  # 1, 1, 1, 1, 4
    ("stages", "practitioners", "90th percentile", 4),
    ("stages", "practitioners", "maximum", 4),
    ("stages", "step-1", "reached", 3),
    ("stages", "step-1", "open at it now", 1),
    ("stages", "step-1", "resolved at it", 1),
    ("stages", "step-1", "over timescale", 1),
    ("stages", "step-1", "concluded", 2),
    ("stages", "step-1", "median working days", 4),  # 4, 5: the lower middle value
    ("stages", "step-1", "90th percentile", 5),
    ("stages", "step-1", "maximum", 5),
    ("stages", "step-2", "reached", 1),
    ("stages", "step-2", "over timescale", 1),
    ("stages", "step-2", "median working days", 14),
    ("stages", "step-3", "reached", 1),
    ("stages", "step-3", "open at it now", 1),
    ("stages", "step-3", "over timescale", 1),
    ("stages", "step-3", "concluded", 0),
    ("stages", "step-3", "median working days", None),
    ("resolution_bands", "0-5", "cases", 1),
    ("resolution_bands", "6-10", "cases", 1),
    ("resolution_bands", "11-20", "cases", 0),
    ("resolution_bands", "over 60", "cases", 0),
    ("raising_agency", "Primary school", "cases", 3),
    ("raising_agency", "Primary school", "open", 1),
    ("raising_agency", "Primary school", "resolved", 1),
    ("raising_agency", "Primary school", "other", 1),
    ("raising_agency", "Primary school", "breaches", 1),
    ("raising_agency", "GP practice", "cases", 2),
    ("raising_agency", "GP practice", "withdrawn", 1),
    ("raising_agency", "Police", "cases", 1),
    ("raising_agency", "Police", "reached partnership step", 1),
    ("raising_agency", "Police", "breaches", 2),
    ("receiving_agency", "Children's social care", "cases", 4),
    ("receiving_agency", "Primary school", "cases", 1),
    ("receiving_agency", "Police", "other", 1),
    ("raising_sector", "school", "cases", 3),
    ("raising_sector", "general-practice", "cases", 2),
    ("raising_sector", "(not given)", "cases", 1),
    ("receiving_sector", "(not given)", "cases", 5),
    ("receiving_sector", "school", "cases", 1),
    ("area", "cheshire-east", "cases", 2),
    ("area", "halton", "cases", 2),
    ("area", "warrington", "cases", 1),
    ("area", "cheshire-west-and-chester", "cases", 1),
    ("topic", "thresholds", "cases", 2),
    ("topic", "drift-or-delay", "cases", 1),
    ("topic", "lack-of-action", "cases", 1),
    ("topic", "(not given)", "cases", 3),
    ("nature", "case", "cases", 5),
    ("nature", "complaint", "cases", 1),
    ("subject", "child", "cases", 2),
    ("subject", "(not given)", "cases", 4),
    ("breaches_by_stage", "practitioners", "breaches", 1),
    ("breaches_by_stage", "practitioners", "still outstanding", 0),
    ("breaches_by_stage", "practitioners", "most", 2),
    ("breaches_by_stage", "step-1", "still outstanding", 1),
    ("breaches_by_stage", "step-1", "median working days late", 24),
    ("breaches_by_stage", "step-2", "most", 7),
    ("breaches_by_stage", "step-2", "still outstanding", 0),
    ("breaches_by_stage", "step-3", "still outstanding", 1),
    ("breaches_by_stage", "step-3", "most", 7),
    ("breaches_by_agency", "GP practice", "breaches", 1),
    ("breaches_by_agency", "Primary school", "most", 24),
    ("drift", "no event for 10+ working days", "cases", 1),
    ("drift", "past the end of their ladder", "cases", 0),
    ("drift", "current step overdue", "cases", 2),
    ("drifting_cases", "C-C", "working days since last event", 29),
    ("drifting_cases", "C-C", "signs", "no recent event, current step overdue"),
    ("drifting_cases", "C-D", "working days since last event", 5),
    ("drifting_cases", "C-D", "signs", "current step overdue"),
    ("partnership_record", "C-D", "reached the step", "2026-07-10"),
    ("partnership_record", "C-D", "status", "open"),
    ("partnership_record", "C-D", "recorded by the partnership", "yes"),
]


@pytest.mark.parametrize(("table", "key", "column", "expected"), FIGURES)
def test_each_figure_is_as_counted_by_hand(
    report: CaseloadReport, table: str, key: str, column: str, expected: object
) -> None:
    assert report.table(table).cell(key, column) == expected


# Whole tables, where the rows themselves are the figure (nothing more, nothing less).
ROW_KEYS = [
    ("periods", ("2026-06", "2026-07")),
    ("stages", ("practitioners", "step-1", "step-2", "step-3")),
    ("raising_agency", ("Primary school", "GP practice", "Police")),
    ("breaches_by_stage", ("practitioners", "step-1", "step-2", "step-3")),
    ("breaches_by_duty", ()),  # Pan-Cheshire's duties have no timescales
    ("drifting_cases", ("C-C", "C-D")),
    ("partnership_record", ("C-D",)),
]


@pytest.mark.parametrize(("table", "keys"), ROW_KEYS)
def test_tables_have_exactly_the_rows_counted(
    report: CaseloadReport, table: str, keys: tuple[str, ...]
) -> None:
    assert report.table(table).column(report.table(table).columns[0]) == keys


def test_time_to_resolution_of_the_resolved_cases(report: CaseloadReport) -> None:
    # A took 1 working day, B 9; withdrawn F is not a resolution.
    assert report.table("resolution").rows == ((2, 1, 9, 9),)


def test_the_report_header_figures(report: CaseloadReport) -> None:
    assert (report.read, report.refused, report.outside_period, report.counted) == (8, 1, 1, 6)
    assert report.partnership_cases == 1
    assert report.partnership_steps == ("step-3",)


def test_the_report_names_the_rules_its_cases_were_evaluated_under(
    report: CaseloadReport,
) -> None:
    from challenge_rules import policy_digest  # noqa: PLC0415
    from challenge_rules.caseload._html import render_html  # noqa: PLC0415

    assert report.policy_digest == policy_digest(POLICY)
    pytest.importorskip("jinja2")
    pytest.importorskip("matplotlib")
    assert f"(rules {report.policy_digest})" in render_html(report)


def test_refused_cases_are_passed_on_with_where_and_why() -> None:
    refused: list[Refused] = []
    build_report(POLICY, histories(), AS_OF, on_refused=refused.append)
    assert [r.source for r in refused] == ["case C-H"]
    assert "stage-9" in str(refused[0])


def test_without_a_period_every_case_counts() -> None:
    report = build_report(POLICY, histories(), AS_OF)
    assert report.counted == 7
    assert report.table("periods").cell("2026-05", "raised") == 1
    assert report.table("periods").cell("2026-05", "open at end") == 0


def test_quarters_and_the_end_of_the_period() -> None:
    report = build_report(
        POLICY, histories(), AS_OF, period_to=date(2026, 6, 5), grouping="quarter"
    )
    # Raised by Fri 5 June: A, B, E, F and G (May); C (8 Jun) and D (15 Jun) are outside.
    assert report.counted == 5
    assert report.outside_period == 2
    assert report.table("periods").column("quarter") == ("2026-Q2",)
    assert report.table("periods").cell("2026-Q2", "raised") == 5


def test_idle_days_sets_what_counts_as_drift() -> None:
    report = build_report(POLICY, histories(), AS_OF, period_from=PERIOD_FROM, idle_days=5)
    assert report.table("drift").cell("no event for 5+ working days", "cases") == 2


def test_drift_and_partnership_lists_are_bounded() -> None:
    report = build_report(POLICY, histories(), AS_OF, period_from=PERIOD_FROM, list_limit=1)
    cases = report.table("drifting_cases")
    assert cases.column("reference") == ("C-C",)  # the most idle is kept
    assert cases.note == "1 more: see cases.csv."


def test_a_source_without_duties_says_what_it_cannot_count() -> None:
    report = build_report(POLICY, histories(), AS_OF, duties_recorded=False)
    assert report.notes
    assert report.table("partnership_record").cell("C-D", "recorded by the partnership") == (
        "not known"
    )


def test_period_keys() -> None:
    assert period_key(date(2026, 4, 30), "month") == "2026-04"
    assert period_key(date(2026, 4, 30), "quarter") == "2026-Q2"
    assert period_key(date(2026, 12, 1), "quarter") == "2026-Q4"


def test_a_table_refuses_rows_that_do_not_fit_its_columns() -> None:
    with pytest.raises(ValueError, match="2 cells under 1 columns"):
        Table("t", "T", ("a",), [("x", 1)])
    with pytest.raises(LookupError):
        Table("t", "T", ("a",), [("x",)]).row("y")


# --- text and CSV outputs --------------------------------------------------------


def test_the_text_report_shows_every_table(report: CaseloadReport) -> None:
    text = render_text(report)
    assert "8 read, 1 refused, 1 outside the period, 6 counted." in text
    for table in report.tables:
        if table.id != "input":
            assert table.title in text
    assert "C-C        step-1" in text


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def test_the_csv_files_read_back_as_written(tmp_path: Path) -> None:
    with CaseWriter(tmp_path) as writer:
        report = build_report(POLICY, histories(), AS_OF, period_from=PERIOD_FROM, on_case=writer)
    written = write_tables(report, tmp_path)
    assert {p.name for p in written} == {f"{t.id}.csv" for t in report.tables}
    for table in report.tables:
        rows = _read_csv(tmp_path / f"{table.id}.csv")
        assert [tuple(r.values()) for r in rows] == [
            tuple("" if c is None else str(c) for c in row) for row in table.rows
        ]
        assert (tmp_path / f"{table.id}.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    cases = {row["reference"]: row for row in _read_csv(tmp_path / "cases.csv")}
    assert list(cases) == ["C-A", "C-B", "C-C", "C-D", "C-E", "C-F"]  # G outside, H refused
    assert tuple(next(iter(cases.values()))) == CASE_COLUMNS
    assert cases["C-B"]["working_days_to_resolution"] == "9"
    assert cases["C-B"]["closed"] == "2026-06-12"
    assert cases["C-B"]["topics"] == "thresholds;drift-or-delay"
    assert (cases["C-B"]["subject"], cases["C-C"]["subject"]) == ("child", "")
    assert cases["C-C"]["idle_working_days"] == "29"
    assert cases["C-C"]["step_overdue"] == "yes"
    assert cases["C-D"]["highest_stage"] == "step-3"
    assert cases["C-D"]["reached_partnership_step"] == "2026-07-10"
    assert cases["C-D"]["partnership_recorded"] == "yes"
    assert cases["C-E"]["status"] == "not_applicable"
    breaches = _read_csv(tmp_path / "breaches.csv")
    assert tuple(breaches[0]) == BREACH_COLUMNS
    assert [(b["reference"], b["stage"], b["late_working_days"], b["done"]) for b in breaches] == [
        ("C-B", "practitioners", "2", "2026-06-05"),
        ("C-C", "step-1", "24", ""),
        ("C-D", "step-2", "7", "2026-07-10"),
        ("C-D", "step-3", "7", ""),
    ]


def test_csv_cells_a_spreadsheet_would_run_are_kept_as_text(tmp_path: Path) -> None:
    document = {**DOCUMENTS[0], "reference": "=HYPERLINK(1)"}
    with CaseWriter(tmp_path) as writer:
        build_report(POLICY, [load_history(document)], AS_OF, on_case=writer)
    assert _read_csv(tmp_path / "cases.csv")[0]["reference"] == "'=HYPERLINK(1)"


# --- streaming: the aggregates, not the cases ----------------------------------


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=200))
def test_histogram_percentiles_are_the_nearest_rank_of_the_sorted_values(
    values: list[int],
) -> None:
    histogram = DayHistogram()
    for value in values:
        histogram.add(value)
    ordered = sorted(values)
    for percent in (1, 50, 90, 100):
        rank = -(-percent * len(values) // 100)  # ceil
        assert histogram.percentile(percent) == ordered[rank - 1]
    assert histogram.maximum == ordered[-1]
    assert histogram.count == len(values)
    assert histogram.at_most(ordered[0]) == ordered.count(ordered[0])


def test_an_empty_histogram_has_no_percentiles() -> None:
    assert DayHistogram().percentile(50) is None
    assert DayHistogram().maximum is None


def test_the_cases_are_read_once_and_not_kept() -> None:
    seen: list[CaseRow] = []

    def once() -> object:
        yield from histories()

    cases = once()
    build_report(POLICY, cases, AS_OF, on_case=seen.append)  # type: ignore[arg-type]
    assert next(cases, None) is None  # the one pass consumed it
    assert len(seen) == 7


def test_memory_holds_aggregates_not_cases() -> None:
    # The same six cases, many times over: the accumulator's lists stay bounded
    # and its histograms' sizes depend on the days seen, not on the count.
    caseload = Caseload(POLICY, AS_OF, list_limit=3)
    calendar = POLICY.working_calendar()
    rows = [
        summarise(
            policy=POLICY,
            calendar=calendar,
            history=history,
            evaluation=evaluate(POLICY, history, AS_OF),
            steps=caseload.steps,
        )
        for history in histories()[:6]
    ]
    for _ in range(200):
        for row in rows:
            caseload.add(row)
    assert caseload.counted == 1200
    assert len(caseload._drifting) == 3
    assert len(caseload._partnership) == 3
    assert len(caseload._resolution.items()) == 2  # 1 and 9 working days
    report = caseload.report()
    assert report.table("drifting_cases").note == "397 more: see cases.csv."


# --- any caseload: the tables agree with each other ------------------------------


@st.composite
def _caseloads(draw: st.DrawFn) -> tuple[Policy, list[CaseHistory], datetime]:
    policy = draw(policies(max_stages=3))
    drawn = draw(st.lists(history_strategy(policy, max_events=8), min_size=1, max_size=6))
    latest = max(drawn, key=lambda h: min(e.at for e in h.events))
    return policy, drawn, draw(as_of_moments(latest))


@given(_caseloads())
def test_the_tables_of_any_caseload_add_up(
    caseload: tuple[Policy, list[CaseHistory], datetime],
) -> None:
    policy, drawn, as_of = caseload
    rows: list[CaseRow] = []
    report = build_report(policy, drawn, as_of, on_case=rows.append)
    assert (report.read, report.refused, report.counted) == (len(drawn), 0, len(drawn))
    status = dict(report.table("status").rows)
    assert status.pop("raised") == report.counted == sum(status.values())  # type: ignore[arg-type]
    for name in ("raising_agency", "receiving_agency", "area", "nature"):
        assert sum(report.table(name).column("cases")) == report.counted  # type: ignore[arg-type]
    breaches = sum(len(row.breaches) for row in rows)
    assert sum(report.table("raising_agency").column("breaches")) == breaches  # type: ignore[arg-type]
    assert sum(report.table("breaches_by_agency").column("breaches")) == breaches  # type: ignore[arg-type]
    assert sum(report.table("breaches_by_stage").column("breaches")) == breaches  # type: ignore[arg-type]
    periods = report.table("periods")
    assert sum(periods.column("raised")) == report.counted  # type: ignore[arg-type]
    ended = [r for r in rows if r.status.value not in {"open", "not_applicable"}]
    assert all(r.closed is not None for r in ended)
    assert periods.rows[-1][-1] == status["open"]
    stages = report.table("stages")
    for reached, now in zip(stages.column("reached"), stages.column("open at it now"), strict=True):
        assert isinstance(reached, int)
        assert isinstance(now, int)
        assert 0 <= now <= reached <= report.counted
    resolution = report.table("resolution").cell(status["resolved"], "cases")
    assert resolution == status["resolved"]
    assert sum(report.table("resolution_bands").column("cases")) == status["resolved"]  # type: ignore[arg-type]
    assert render_text(report)
