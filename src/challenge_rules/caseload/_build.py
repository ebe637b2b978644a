"""The caseload report: aggregates over many cases, built one case at a time.

`Caseload` is the one mutable object here: an accumulator that takes
`CaseRow` values as they stream past and keeps only counters, working-day
histograms (see `DayHistogram`) and two lists bounded by ``list_limit``, so its
memory does not grow with the number of cases. `Caseload.report` returns the
frozen `CaseloadReport`, a tuple of `Table` values that the text, CSV and HTML
outputs all render: every figure is computed once, here.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from attrs import field, frozen

from challenge_rules._digest import policy_digest
from challenge_rules.caseload._rows import partnership_steps
from challenge_rules.caseload._tally import DayHistogram
from challenge_rules.evaluation import Status

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from challenge_rules.caseload._rows import CaseRow
    from challenge_rules.policy import Policy

Cell = str | int | None
Grouping = Literal["month", "quarter"]

#: Working-day bands of the time-to-resolution distribution: (label, last day in it).
RESOLUTION_BANDS: tuple[tuple[str, int | None], ...] = (
    ("0-5", 5),
    ("6-10", 10),
    ("11-20", 20),
    ("21-40", 40),
    ("41-60", 60),
    ("over 60", None),
)

_STATUSES = (
    Status.OPEN,
    Status.RESOLVED,
    Status.WITHDRAWN,
    Status.NOT_APPLICABLE,
    Status.REDIRECTED,
    Status.CLOSED,
)


def _columns(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _cells(value: Iterable[Sequence[Cell]]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(tuple(row) for row in value)


@frozen
class Table:
    """One table of the report: a title, column names and rows, keyed by the first column."""

    id: str
    title: str
    columns: tuple[str, ...] = field(converter=_columns)
    rows: tuple[tuple[Cell, ...], ...] = field(converter=_cells)
    note: str | None = None

    def __attrs_post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                msg = (
                    f"table {self.id}: a row of {len(row)} cells under {len(self.columns)} columns"
                )
                raise ValueError(msg)

    def row(self, key: Cell) -> dict[str, Cell]:
        """The row whose first cell is ``key``, as a mapping of column to cell."""
        for row in self.rows:
            if row[0] == key:
                return dict(zip(self.columns, row, strict=True))
        raise LookupError(f"{self.id}: no row {key!r}")

    def cell(self, key: Cell, column: str) -> Cell:
        """One figure: the ``column`` of the row keyed ``key``."""
        return self.row(key)[column]

    def column(self, column: str) -> tuple[Cell, ...]:
        """Every cell of one column, in row order."""
        index = self.columns.index(column)
        return tuple(row[index] for row in self.rows)


@frozen
class CaseloadReport:
    """Everything the caseload report says, as tables (see ``docs/caseload.md``)."""

    policy: str
    policy_title: str
    policy_version: str
    policy_digest: str
    """The digest of the policy's rules, as each evaluation records it (``sha256:...``)."""
    as_of: datetime
    period_from: date | None
    period_to: date | None
    grouping: Grouping
    idle_days: int
    partnership_steps: tuple[str, ...]
    read: int
    """Cases (or escalation-log rows) read, refused ones included."""
    refused: int
    outside_period: int
    counted: int
    partnership_cases: int
    """Counted cases that reached a partnership step."""
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = ()

    def table(self, table_id: str) -> Table:
        """The table with this id."""
        for table in self.tables:
            if table.id == table_id:
                return table
        raise LookupError(table_id)


def period_key(day: date, grouping: Grouping) -> str:
    """The month (``2026-04``) or quarter (``2026-Q2``) a day falls in."""
    if grouping == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def _periods(first: date, last: date, grouping: Grouping) -> list[str]:
    keys: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        key = period_key(date(year, month, 1), grouping)
        if not keys or keys[-1] != key:
            keys.append(key)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _label(value: str | None) -> str:
    return "(not given)" if value is None else value


class _Lateness:
    """Breaches of one group: how many, how many still outstanding, how late."""

    __slots__ = ("late", "outstanding")

    def __init__(self) -> None:
        self.late = DayHistogram()
        self.outstanding = 0


_GROUPS: tuple[tuple[str, str, Callable[[CaseRow], Iterable[str | None]]], ...] = (
    ("raising_agency", "Cases by raising agency", lambda r: (r.raising_agency,)),
    ("receiving_agency", "Cases by receiving agency", lambda r: (r.receiving_agency,)),
    ("raising_sector", "Cases by raising sector", lambda r: (r.raising_sector,)),
    ("receiving_sector", "Cases by receiving sector", lambda r: (r.receiving_sector,)),
    ("area", "Cases by area", lambda r: (r.area,)),
    ("topic", "Cases by topic (a case may have several)", lambda r: r.topics or (None,)),
    ("nature", "Cases by nature", lambda r: (r.nature,)),
    ("subject", "Cases by whom the concern is about", lambda r: (r.subject,)),
)


class Caseload:
    """An accumulator of case rows (mutable): `add` each case, then ask for the `report`."""

    def __init__(  # noqa: PLR0913 - the report's settings, all keyword-only
        self,
        policy: Policy,
        as_of: datetime,
        *,
        period_from: date | None = None,
        period_to: date | None = None,
        grouping: Grouping = "month",
        idle_days: int = 10,
        list_limit: int = 500,
    ) -> None:
        if idle_days < 1 or list_limit < 1:
            msg = "idle_days and list_limit must be at least 1"
            raise ValueError(msg)
        self.policy = policy
        self.as_of = as_of
        self.period_from = period_from
        self.period_to = period_to
        self.grouping: Grouping = grouping
        self.idle_days = idle_days
        self.list_limit = list_limit
        self.steps = partnership_steps(policy)
        self.read = 0
        self.refused = 0
        self.outside_period = 0
        self.counted = 0
        self._first: date | None = None
        self._status: Counter[Status] = Counter()
        self._raised_in: Counter[str] = Counter()
        self._closed_in: dict[Status, Counter[str]] = defaultdict(Counter)
        self._opened_in: Counter[str] = Counter()
        self._ended_in: Counter[str] = Counter()
        self._groups: dict[str, dict[str, Counter[str]]] = {
            name: defaultdict(Counter) for name, _, _ in _GROUPS
        }
        self._reached: Counter[str] = Counter()
        self._current: Counter[str] = Counter()
        self._resolved_at: Counter[str] = Counter()
        self._in_stage: dict[str, DayHistogram] = defaultdict(DayHistogram)
        self._stage_breaches: Counter[str] = Counter()
        self._resolution = DayHistogram()
        self._breaches: dict[str, dict[str, _Lateness]] = {
            "stage": defaultdict(_Lateness),
            "duty": defaultdict(_Lateness),
            "agency": defaultdict(_Lateness),
        }
        self._drift: Counter[str] = Counter()
        self._drifting: list[tuple[int, str, str, str]] = []  # a bounded min-heap
        self._drifting_total = 0
        self._partnership: list[tuple[str, str, str, str]] = []
        self._partnership_total = 0

    def in_period(self, raised: date) -> bool:
        """Whether a case raised on ``raised`` falls in the report's period."""
        return (self.period_from is None or raised >= self.period_from) and (
            self.period_to is None or raised <= self.period_to
        )

    def refuse(self) -> None:
        """Count a case (or log row) that was read but could not be used."""
        self.read += 1
        self.refused += 1

    def add(self, row: CaseRow) -> bool:
        """Count one case; False (and counted as outside the period) if it is outside it."""
        self.read += 1
        if not self.in_period(row.raised):
            self.outside_period += 1
            return False
        self.counted += 1
        self._first = row.raised if self._first is None else min(self._first, row.raised)
        self._status[row.status] += 1
        self._periods(row)
        self._group(row)
        self._stages(row)
        self._breach(row)
        self._drifts(row)
        return True

    def _periods(self, row: CaseRow) -> None:
        raised = period_key(row.raised, self.grouping)
        self._raised_in[raised] += 1
        if row.status is not Status.NOT_APPLICABLE:
            self._opened_in[raised] += 1
            if row.closed is not None:
                ended = period_key(row.closed, self.grouping)
                self._ended_in[ended] += 1
                self._closed_in[row.status][ended] += 1

    def _group(self, row: CaseRow) -> None:
        for name, _, keys in _GROUPS:
            for key in keys(row):
                counts = self._groups[name][_label(key)]
                counts["cases"] += 1
                counts[row.status.value] += 1
                counts["partnership"] += row.partnership_step is not None
                counts["breaches"] += len(row.breaches)

    def _stages(self, row: CaseRow) -> None:
        for stage in row.reached:
            self._reached[stage] += 1
        if row.status is Status.OPEN and row.stage is not None:
            self._current[row.stage] += 1
        for spell in row.spells:
            self._in_stage[spell.stage].add(spell.working_days)
            if spell.outcome == "resolved":
                self._resolved_at[spell.stage] += 1
        if row.working_days_to_resolution is not None:
            self._resolution.add(row.working_days_to_resolution)

    def _breach(self, row: CaseRow) -> None:
        for breach in row.breaches:
            keys = {
                "stage": _label(breach.stage),
                "duty": breach.breach if breach.kind == "duty" else None,
                "agency": breach.responsible,
            }
            if breach.kind == "stage" and breach.stage is not None:
                self._stage_breaches[breach.stage] += 1
            for table, key in keys.items():
                if key is None:
                    continue
                group = self._breaches[table][key]
                group.late.add(breach.late_working_days)
                group.outstanding += breach.done is None

    def _drifts(self, row: CaseRow) -> None:
        if row.status is Status.OPEN:
            self._drift_open(row)
        if row.partnership_step is not None:
            self._partnership_total += 1
            if len(self._partnership) < self.list_limit:
                recorded = {True: "yes", False: "no", None: "not known"}[row.partnership_recorded]
                self._partnership.append(
                    (row.reference, row.partnership_step.isoformat(), row.status.value, recorded)
                )

    def _drift_open(self, row: CaseRow) -> None:
        idle = row.idle_working_days >= self.idle_days
        self._drift["idle"] += idle
        self._drift["past_end"] += row.past_ladder_end
        self._drift["overdue"] += row.step_overdue
        if idle or row.past_ladder_end or row.step_overdue:
            self._drifting_total += 1
            flags = ", ".join(
                text
                for text, on in (
                    ("no recent event", idle),
                    ("past the ladder's end", row.past_ladder_end),
                    ("current step overdue", row.step_overdue),
                )
                if on
            )
            entry = (row.idle_working_days, row.reference, _label(row.stage), flags)
            # Keep the most idle ``list_limit`` cases: the heap's smallest goes first.
            if len(self._drifting) < self.list_limit:
                heapq.heappush(self._drifting, entry)
            else:
                heapq.heappushpop(self._drifting, entry)

    # --- the tables ------------------------------------------------------------------

    def _status_table(self) -> Table:
        rows: list[tuple[Cell, ...]] = [("raised", self.counted)]
        rows += [(status.value, self._status[status]) for status in _STATUSES]
        return Table(
            "status", "Concerns raised, and where they stand now", ("status", "cases"), rows
        )

    def _period_table(self) -> Table:
        today = self.policy.working_calendar().local_date(self.as_of)
        last = today if self.period_to is None else self.period_to
        first = self.period_from or self._first or last
        rows: list[tuple[Cell, ...]] = []
        opened = ended = 0
        for key in _periods(first, max(first, last), self.grouping):
            opened += self._opened_in[key]
            ended += self._ended_in[key]
            rows.append(
                (
                    key,
                    self._raised_in[key],
                    self._closed_in[Status.RESOLVED][key],
                    self._closed_in[Status.WITHDRAWN][key],
                    opened - ended,
                )
            )
        return Table(
            "periods",
            f"Concerns by {self.grouping}",
            (self.grouping, "raised", "resolved", "withdrawn", "open at end"),
            rows,
            note="Raised by the month of raising; resolved and withdrawn by the month they ended.",
        )

    def _group_tables(self) -> list[Table]:
        step = ", ".join(sorted(self.steps)) or "none"
        tables = []
        for name, title, _ in _GROUPS:
            groups = self._groups[name]
            rows = [
                (
                    key,
                    c["cases"],
                    c["open"],
                    c["resolved"],
                    c["withdrawn"],
                    c["cases"] - c["open"] - c["resolved"] - c["withdrawn"],
                    c["partnership"],
                    c["breaches"],
                )
                for key, c in sorted(groups.items(), key=lambda kv: (-kv[1]["cases"], kv[0]))
            ]
            tables.append(
                Table(
                    name,
                    title,
                    (
                        name.replace("_", " "),
                        "cases",
                        "open",
                        "resolved",
                        "withdrawn",
                        "other",
                        "reached partnership step",
                        "breaches",
                    ),
                    rows,
                    note=f"The partnership step: {step}.",
                )
            )
        return tables

    def _stage_table(self) -> Table:
        rows = []
        seen: set[str] = set()
        for stage in self.policy.all_stages():
            if stage.id in seen:
                continue
            seen.add(stage.id)
            spells = self._in_stage[stage.id]
            rows.append(
                (
                    stage.id,
                    stage.name,
                    self._reached[stage.id],
                    self._current[stage.id],
                    self._resolved_at[stage.id],
                    str(stage.timescale) if stage.timescale is not None else "none given",
                    self._stage_breaches[stage.id],
                    spells.count,
                    spells.percentile(50),
                    spells.percentile(90),
                    spells.maximum,
                )
            )
        return Table(
            "stages",
            "Stages reached, and working days spent in each",
            (
                "stage",
                "name",
                "reached",
                "open at it now",
                "resolved at it",
                "timescale",
                "over timescale",
                "concluded",
                "median working days",
                "90th percentile",
                "maximum",
            ),
            rows,
            note=(
                "Working days in a stage count from the day it was entered to the day its "
                "discussion concluded, for stages that concluded. Over timescale: breaches of "
                "the stage's own timescale. Percentiles are nearest-rank."
            ),
        )

    def _resolution_tables(self) -> list[Table]:
        hist = self._resolution
        summary = Table(
            "resolution",
            "Working days from raising to resolution (resolved cases)",
            ("cases", "median", "90th percentile", "maximum"),
            [(hist.count, hist.percentile(50), hist.percentile(90), hist.maximum)],
        )
        rows = []
        below = 0
        for label, last in RESOLUTION_BANDS:
            upto = hist.at_most(last) if last is not None else hist.count
            rows.append((label, upto - below))
            below = upto
        bands = Table(
            "resolution_bands",
            "How long resolution took (working days)",
            ("working days", "cases"),
            rows,
        )
        return [summary, bands]

    def _breach_tables(self) -> list[Table]:
        titles = {
            "stage": ("breaches_by_stage", "Breaches by stage"),
            "duty": ("breaches_by_duty", "Breaches of duties"),
            "agency": ("breaches_by_agency", "Breaches by the agency that had to act"),
        }
        tables = []
        for group, (table_id, title) in titles.items():
            rows = [
                (
                    key,
                    g.late.count,
                    g.outstanding,
                    g.late.percentile(50),
                    g.late.maximum,
                )
                for key, g in sorted(
                    self._breaches[group].items(), key=lambda kv: (-kv[1].late.count, kv[0])
                )
            ]
            tables.append(
                Table(
                    table_id,
                    title,
                    (group, "breaches", "still outstanding", "median working days late", "most"),
                    rows,
                )
            )
        return tables

    def _drift_tables(self) -> list[Table]:
        summary = Table(
            "drift",
            "Drift: open cases",
            ("sign of drift", "cases"),
            [
                (f"no event for {self.idle_days}+ working days", self._drift["idle"]),
                ("past the end of their ladder", self._drift["past_end"]),
                ("current step overdue", self._drift["overdue"]),
            ],
        )
        shown = sorted(self._drifting, key=lambda e: (-e[0], e[1]))
        more = self._drifting_total - len(shown)
        cases = Table(
            "drifting_cases",
            "Drifting cases, longest without an event first",
            ("reference", "stage", "working days since last event", "signs"),
            [(ref, stage, idle, flags) for idle, ref, stage, flags in shown],
            note=f"{more} more: see cases.csv." if more else None,
        )
        return [summary, cases]

    def _partnership_table(self) -> Table:
        shown = sorted(self._partnership, key=lambda e: (e[1], e[0]))
        more = self._partnership_total - len(shown)
        steps = ", ".join(sorted(self.steps)) or "none (the policy names no such step)"
        note = f"Escalations reaching {steps}, where the policy says the partnership records them."
        if more:
            note += f" {more} more: see cases.csv."
        return Table(
            "partnership_record",
            "The partnership's record of escalations",
            ("reference", "reached the step", "status", "recorded by the partnership"),
            shown,
            note=note,
        )

    def report(self, notes: Iterable[str] = ()) -> CaseloadReport:
        """The report as things stand (the accumulator can go on counting)."""
        inputs = Table(
            "input",
            "What was read",
            ("input", "count"),
            [
                ("read", self.read),
                ("refused", self.refused),
                ("outside the period", self.outside_period),
                ("counted", self.counted),
            ],
        )
        tables = [
            inputs,
            self._status_table(),
            self._period_table(),
            self._stage_table(),
            *self._resolution_tables(),
            *self._group_tables(),
            *self._breach_tables(),
            *self._drift_tables(),
            self._partnership_table(),
        ]
        return CaseloadReport(
            policy=self.policy.id,
            policy_title=self.policy.title,
            policy_version=self.policy.version,
            policy_digest=policy_digest(self.policy),
            as_of=self.as_of,
            period_from=self.period_from,
            period_to=self.period_to,
            grouping=self.grouping,
            idle_days=self.idle_days,
            partnership_steps=tuple(sorted(self.steps)),
            read=self.read,
            refused=self.refused,
            outside_period=self.outside_period,
            counted=self.counted,
            partnership_cases=self._partnership_total,
            tables=tuple(tables),
            notes=tuple(notes),
        )


__all__ = [
    "RESOLUTION_BANDS",
    "Caseload",
    "CaseloadReport",
    "Cell",
    "Grouping",
    "Table",
    "period_key",
]
