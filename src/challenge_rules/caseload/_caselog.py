"""Escalation logs: the CSV files partnerships keep, read as case histories.

A log has one row per escalation. A *column mapping* (``docs/caseload.md``;
the default is ``default-mapping.json`` beside this module) says which column
holds what and how values are spelled. Each good row becomes a `CaseHistory`
with the events the log implies: the concern raised, an unresolved discussion
and an escalation for each step reached, and the outcome. Each bad row becomes
an `InvalidInput` naming the file, the row (as a spreadsheet numbers it: the
header is row 1) and every bad column, never the values themselves, so nothing
a log keeps beside the mapped columns (names, notes) can reach an output.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from attrs import field, frozen

from challenge_rules.caseload._errors import (
    InvalidColumnMapping,
    InvalidEscalationLog,
    InvalidLogRow,
)
from challenge_rules.errors import InvalidInput, Problem
from challenge_rules.history import (
    CaseHistory,
    ConcernRaised,
    DiscussionHeld,
    Escalated,
    Nature,
    Outcome,
    Party,
)
from challenge_rules.policy import Side, Subject
from challenge_rules.reading import parse_json

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from challenge_rules.history import AnyEvent
    from challenge_rules.policy import Policy, Stage

FIELDS: Final = (
    "reference",
    "raised",
    "raising_agency",
    "raising_sector",
    "receiving_agency",
    "receiving_sector",
    "area",
    "topics",
    "nature",
    "subject",
    "stage_reached",
    "outcome",
    "outcome_date",
)
REQUIRED: Final = frozenset({"reference", "raised", "raising_agency", "receiving_agency"})
VALUE_KINDS: Final = ("stage", "outcome", "sector", "area", "topic", "nature", "subject")
OUTCOMES: Final = ("resolved", "withdrawn", "open")
MAX_BYTES: Final = 50 * 1024 * 1024
# The history format's limits on a reference and an agency.
_MAX_REFERENCE: Final = 200
_MAX_AGENCY: Final = 400
_Step = tuple[str, date]
# A log keeps dates, not times: the concern is taken as raised at 09:00, steps
# reached at 12:00 and outcomes at 16:00, local time, so a step and an outcome
# on the same day still come in that order.
RAISED_AT: Final = time(9)
STEP_AT: Final = time(12)
OUTCOME_AT: Final = time(16)


def _str_dict(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        msg = "expected an object of strings"
        raise TypeError(msg)
    return dict(value)


@frozen
class ColumnMapping:
    """Which column of an escalation log holds what (see ``docs/caseload.md``)."""

    columns: dict[str, str] = field(hash=False)
    """`FIELDS` names to column headings; a field left out is not in the log."""
    stage_date: str = "Date reached {stage}"
    """The heading of the column holding the date a stage was reached; ``{stage}`` is its id."""
    stage_dates: dict[str, str] = field(factory=dict, hash=False)
    """Headings for particular stages, overriding ``stage_date``."""
    date_formats: tuple[str, ...] = ("%Y-%m-%d", "%d/%m/%Y")
    list_separator: str = ";"
    values: dict[str, dict[str, str]] = field(factory=dict, hash=False)
    """For each of `VALUE_KINDS`, the log's spellings (any case) to the policy's ids."""

    def stage_column(self, stage: str) -> str:
        """The heading of the column holding the date ``stage`` was reached."""
        return self.stage_dates.get(stage, self.stage_date.replace("{stage}", stage))


def _is_template(value: object) -> bool:
    return isinstance(value, str) and "{stage}" in value


def _is_separator(value: object) -> bool:
    return isinstance(value, str) and len(value) == 1


def _is_formats(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(f, str) for f in value)


def _is_headings(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(f, str) for f in value.values())


# The mapping's settings other than columns and values: each one's check, and what it wants.
_SETTINGS: Final[dict[str, tuple[Callable[[object], bool], str]]] = {
    "stage_date": (_is_template, "a heading with {stage} in it"),
    "list_separator": (_is_separator, "one character"),
    "date_formats": (_is_formats, "a list of strptime formats such as %d/%m/%Y"),
    "stage_dates": (_is_headings, "an object of stage ids to headings"),
}


def _column_problems(columns: object) -> list[Problem]:
    if not isinstance(columns, dict):
        return [Problem(message="not an object", path=("columns",))]
    problems = []
    for key, value in columns.items():
        if key not in FIELDS:
            problems.append(
                Problem(
                    message="unknown field",
                    path=("columns", key),
                    expected="one of " + ", ".join(FIELDS),
                )
            )
        elif not isinstance(value, str) or not value.strip():
            problems.append(
                Problem(
                    message="not a column heading",
                    path=("columns", key),
                    expected="a non-empty string",
                )
            )
    problems += [
        Problem(
            message=f"the required field {name!r} has no column",
            path=("columns",),
            expected=f"a heading for {name!r}",
        )
        for name in sorted(REQUIRED - set(columns))
    ]
    return problems


def _mapping_problems(document: object) -> list[Problem]:
    if not isinstance(document, dict):
        return [Problem(message="not a JSON object", expected="a column mapping object")]
    problems = []
    known = {"columns", "stage_date", "stage_dates", "date_formats", "list_separator", "values"}
    problems += [
        Problem(message="unknown key", path=(key,), expected=", ".join(sorted(known)))
        for key in document
        if key not in known
    ]
    problems += _column_problems(document.get("columns", {}))
    problems += [
        Problem(message="not a valid value", path=(key,), expected=expected)
        for key, (check, expected) in _SETTINGS.items()
        if key in document and not check(document[key])
    ]
    values = document.get("values", {})
    if not isinstance(values, dict):
        problems.append(Problem(message="not an object", path=("values",)))
    else:
        for kind, spellings in values.items():
            if kind not in VALUE_KINDS:
                problems.append(
                    Problem(
                        message="unknown kind of value",
                        path=("values", kind),
                        expected="one of " + ", ".join(VALUE_KINDS),
                    )
                )
            elif not isinstance(spellings, dict) or not all(
                isinstance(v, str) for v in spellings.values()
            ):
                problems.append(
                    Problem(
                        message="not an object of strings",
                        path=("values", kind),
                    )
                )
    return problems


def mapping_from(document: object, *, source: str | None = None) -> ColumnMapping:
    """A column mapping from parsed JSON; `InvalidInput` listing every problem if it is bad."""
    problems = _mapping_problems(document)
    if problems or not isinstance(document, dict):
        raise InvalidColumnMapping(problems=problems, source=source)
    return ColumnMapping(
        columns=_str_dict(document.get("columns", {})),
        stage_date=document.get("stage_date", "Date reached {stage}"),
        stage_dates=_str_dict(document.get("stage_dates", {})),
        date_formats=tuple(document.get("date_formats", ("%Y-%m-%d", "%d/%m/%Y"))),
        list_separator=document.get("list_separator", ";"),
        values={
            kind: {k.strip().casefold(): v for k, v in spellings.items()}
            for kind, spellings in document.get("values", {}).items()
        },
    )


def default_mapping() -> ColumnMapping:
    """The mapping used when none is given (``default-mapping.json``)."""
    text = files("challenge_rules.caseload").joinpath("default-mapping.json").read_text("utf-8")
    return mapping_from(json.loads(text), source="default-mapping.json")


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a column mapping file (JSON); `InvalidInput` if it cannot be read or is bad."""
    label = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InvalidColumnMapping(
            problems=(Problem(message=f"cannot be read ({error.strerror})"),),
            source=label,
        ) from None
    document, problems = parse_json(data)
    if problems:
        raise InvalidColumnMapping(problems=problems, source=label)
    return mapping_from(document, source=label)


class _Vocabulary:
    """The policy's ids for each kind of value, with the names that also spell them."""

    def __init__(self, policy: Policy, mapping: ColumnMapping) -> None:
        stages = {s.id: s.name for s in policy.all_stages()}
        self.words: dict[str, dict[str, str]] = {
            "stage": _spellings(stages),
            "outcome": _spellings({o: o for o in OUTCOMES}),
            "sector": _spellings({s.id: s.name for s in policy.sectors}),
            "area": _spellings({p.id: p.name for p in policy.partnerships}),
            "topic": _spellings({t.id: t.label for t in policy.topics}),
            "nature": _spellings({n.value: n.value.replace("_", " ") for n in Nature}),
            "subject": _spellings({s.value: s.value.replace("_", " ") for s in Subject}),
        }
        for kind, spellings in mapping.values.items():
            self.words[kind].update(spellings)
        self.expected = {
            "stage": ", ".join(stages),
            "outcome": "resolved, withdrawn, open or blank",
            "sector": ", ".join(s.id for s in policy.sectors) or "no sector (the policy has none)",
            "area": ", ".join(p.id for p in policy.partnerships) or "no area",
            "topic": ", ".join(t.id for t in policy.topics) or "no topic",
            "nature": ", ".join(n.value for n in Nature),
            "subject": ", ".join(s.value for s in Subject) + " or blank",
        }

    def lookup(self, kind: str, text: str) -> str | None:
        return self.words[kind].get(text.strip().casefold())


def _spellings(names: Mapping[str, str]) -> dict[str, str]:
    words = {ident.casefold(): ident for ident in names}
    words.update({name.casefold(): ident for ident, name in names.items()})
    return words


class _Row:
    """The problems of one row, collected while its fields are read."""

    def __init__(self, cells: Mapping[str, str], mapping: ColumnMapping) -> None:
        self.cells = cells
        self.mapping = mapping
        self.problems: list[Problem] = []

    def text(self, name: str) -> str:
        column = self.mapping.columns.get(name)
        return (self.cells.get(column) or "").strip() if column is not None else ""

    def fail(self, column: str, message: str, expected: str | None = None) -> None:
        self.problems.append(Problem(message=message, path=(column,), expected=expected))

    def date(self, column: str, text: str) -> date | None:
        for pattern in self.mapping.date_formats:
            try:
                return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date, no time
            except ValueError:
                continue
        formats = " or ".join(_readable(f) for f in self.mapping.date_formats)
        self.fail(column, "not a date", f"a date written {formats}")
        return None


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def _readable(pattern: str) -> str:
    """A strptime format as people write it: ``%d/%m/%Y`` is DD/MM/YYYY."""
    for code, text in (("%Y", "YYYY"), ("%m", "MM"), ("%d", "DD"), ("%y", "YY"), ("%b", "Mon")):
        pattern = pattern.replace(code, text)
    return pattern


def _role(stage: Stage, side: Side, policy: Policy) -> str:
    for actor in stage.participants:
        if actor.side in {side, Side.EACH}:
            return actor.role
    return policy.roles[0].id


class _Reader:
    """Turns the rows of one log into histories, under one policy and mapping."""

    def __init__(self, policy: Policy, mapping: ColumnMapping) -> None:
        self.policy = policy
        self.mapping = mapping
        self.words = _Vocabulary(policy, mapping)
        self.zone = ZoneInfo(policy.calendar.time_zone)

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, self.zone)

    def word(self, row: _Row, name: str, kind: str) -> str | None:
        text = row.text(name)
        if not text:
            return None
        found = self.words.lookup(kind, text)
        if found is None:
            row.fail(
                self.mapping.columns[name],
                f"not {_article(kind)} {kind} of the policy's",
                self.words.expected[kind],
            )
        return found

    def party(self, row: _Row, side: str, ladder: tuple[Stage, ...]) -> Party | None:
        column = self.mapping.columns[f"{side}_agency"]
        agency = row.text(f"{side}_agency")
        sector = self.word(row, f"{side}_sector", "sector")
        if not agency:
            row.fail(column, "empty", "the agency's name or reference")
            return None
        if len(agency) > _MAX_AGENCY:
            row.fail(column, f"longer than {_MAX_AGENCY} characters", "the agency's name")
            return None
        return Party(role=_role(ladder[0], Side(side), self.policy), agency=agency, sector=sector)

    def topics(self, row: _Row) -> tuple[str, ...]:
        topics: list[str] = []
        for part in row.text("topics").split(self.mapping.list_separator):
            if not part.strip():
                continue
            topic = self.words.lookup("topic", part)
            if topic is None:
                row.fail(
                    self.mapping.columns["topics"],
                    "not a topic of the policy's",
                    self.words.expected["topic"],
                )
            elif topic not in topics:
                topics.append(topic)
        return tuple(topics)

    def concern(self, row: _Row) -> tuple[str, date | None, ConcernRaised | None]:
        """The row's reference, date raised and concern (None if any part is bad)."""
        columns = self.mapping.columns
        reference = row.text("reference")
        if not reference:
            row.fail(columns["reference"], "empty", "the case's reference")
        elif len(reference) > _MAX_REFERENCE:
            row.fail(columns["reference"], f"longer than {_MAX_REFERENCE} characters")
        text = row.text("raised")
        raised = row.date(columns["raised"], text) if text else None
        if not text:
            row.fail(columns["raised"], "empty", "the date the concern was raised")
        nature = self.word(row, "nature", "nature") or Nature.CASE.value
        ladder = self.policy.ladder(nature)
        raising = self.party(row, "raising", ladder)
        receiving = self.party(row, "receiving", ladder)
        area = self.word(row, "area", "area")
        subject = self.word(row, "subject", "subject")
        topics = self.topics(row)
        if raised is None or raising is None or receiving is None or row.problems:
            return reference, raised, None
        concern = ConcernRaised(
            id="raised",
            at=self.at(raised, RAISED_AT),
            raising=raising,
            receiving=receiving,
            nature=Nature(nature),
            topics=topics,
            area=area,
            subject=None if subject is None else Subject(subject),
        )
        return reference, raised, concern

    def steps(self, row: _Row, ladder: tuple[Stage, ...], raised: date | None) -> list[_Step]:
        """The stages reached after the first, each with its date, checked in order."""
        ids = [stage.id for stage in ladder]
        reached = self.word(row, "stage_reached", "stage") or ids[0]
        if reached not in ids:
            row.fail(
                self.mapping.columns["stage_reached"],
                "not a stage of this concern's ladder",
                ", ".join(ids),
            )
            return []
        steps: list[_Step] = []
        previous = raised
        for stage in ladder[1 : ids.index(reached) + 1]:
            column = self.mapping.stage_column(stage.id)
            text = (row.cells.get(column) or "").strip()
            if not text:
                if not stage.optional:  # an optional step may be skipped: no date is right
                    row.fail(
                        column,
                        f"empty, but the stage reached is {reached}",
                        f"the date {stage.id} was reached",
                    )
                continue
            day = row.date(column, text)
            if day is None:
                continue
            if previous is not None and day < previous:
                row.fail(column, "before the date of the step or concern before it")
            steps.append((stage.id, day))
            previous = day
        return steps

    def outcome(self, row: _Row, last: date | None) -> tuple[str, date | None]:
        """The outcome (``open`` when none is given) and its date."""
        columns = self.mapping.columns
        outcome = self.word(row, "outcome", "outcome") or "open"
        text = row.text("outcome_date")
        day = row.date(columns["outcome_date"], text) if text else None
        if outcome != "open" and not text:
            row.fail(
                columns.get("outcome_date", "outcome date"),
                f"empty, but the outcome is {outcome}",
                "the date of the outcome",
            )
        if day is not None and last is not None and day < last:
            row.fail(columns["outcome_date"], "before the date the last step was reached")
        return outcome, day

    def history(self, cells: Mapping[str, str]) -> CaseHistory | list[Problem]:
        """The row's history, or every problem with the row."""
        row = _Row(cells, self.mapping)
        reference, raised, concern = self.concern(row)
        nature = concern.nature.value if concern is not None else None
        ladder = self.policy.ladder(nature)
        steps = self.steps(row, ladder, raised)
        outcome, outcome_date = self.outcome(row, steps[-1][1] if steps else raised)
        if concern is None or row.problems:
            return row.problems
        events: list[AnyEvent] = [concern]
        current = ladder[0].id
        for stage_id, day in steps:
            at = self.at(day, STEP_AT)
            events.append(
                DiscussionHeld(
                    id=f"{current}-unresolved", at=at, stage=current, outcome=Outcome.UNRESOLVED
                )
            )
            events.append(Escalated(id=f"to-{stage_id}", at=at, to_stage=stage_id))
            current = stage_id
        if outcome != "open" and outcome_date is not None:
            events.append(
                DiscussionHeld(
                    id=f"{current}-{outcome}",
                    at=self.at(outcome_date, OUTCOME_AT),
                    stage=current,
                    outcome=Outcome(outcome),
                )
            )
        return CaseHistory(reference=reference, events=events, policy=self.policy.id)


def _file_error(label: str, message: str, expected: str | None = None) -> InvalidInput:
    return InvalidEscalationLog(
        problems=(Problem(message=message, expected=expected),), source=label
    )


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel  # a one-column sample cannot be sniffed: a spreadsheet's default


def read_log(
    path: str | Path, policy: Policy, mapping: ColumnMapping | None = None
) -> Iterator[tuple[str, CaseHistory | InvalidInput]]:
    """Each row of an escalation log, as (where, its history or why it was refused).

    Rows are read one at a time. A file that cannot be read at all, or lacks a
    required column, raises `InvalidInput` before the first row.
    """
    mapping = mapping or default_mapping()
    label = str(path)
    try:
        if Path(path).stat().st_size > MAX_BYTES:
            raise _file_error(label, "larger than 50 MB", "a smaller log, or JSON Lines histories")
        stream = Path(path).open(encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as error:
        raise _file_error(label, f"cannot be read ({error.strerror})") from None
    with stream:
        try:
            sample = stream.read(64 * 1024)
            stream.seek(0)
            reader = csv.DictReader(stream, dialect=_dialect(sample), restkey="\0extra")
            header = reader.fieldnames or []
        except UnicodeDecodeError:
            raise _file_error(label, "not UTF-8 text", "a CSV file saved as UTF-8") from None
        except csv.Error as error:
            raise _file_error(label, f"not CSV ({error})") from None
        missing = [
            Problem(
                message=f"no column {mapping.columns[name]!r}",
                expected=f"a column for {name} (or a mapping naming the log's own heading)",
            )
            for name in FIELDS
            if name in REQUIRED and mapping.columns[name] not in header
        ]
        if missing:
            raise InvalidEscalationLog(problems=missing, source=label)
        yield from _rows(reader, _Reader(policy, mapping), label, len(header))


def _rows(
    reader: csv.DictReader[str], converter: _Reader, label: str, width: int
) -> Iterator[tuple[str, CaseHistory | InvalidInput]]:
    while True:
        try:
            cells: dict[str, Any] = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            yield label, _file_error(label, "not UTF-8 text from here on")
            return
        except csv.Error as error:
            where = f"{label} row {reader.line_num}"
            yield where, _file_error(where, f"not CSV ({error})")
            return
        # The line the row ends on: a spreadsheet's row number, the header being row 1.
        where = f"{label} row {reader.line_num}"
        extra = cells.pop("\0extra", None)
        if extra:
            problem = Problem(
                message=f"the row has {width + len(extra)} cells, the header {width}",
                expected="one cell for each column of the header",
            )
            yield where, InvalidLogRow(problems=(problem,), source=where)
            continue
        result = converter.history(cells)
        if isinstance(result, list):
            yield where, InvalidLogRow(problems=result, source=where)
        else:
            yield where, result


__all__ = [
    "FIELDS",
    "REQUIRED",
    "ColumnMapping",
    "default_mapping",
    "load_mapping",
    "mapping_from",
    "read_log",
]
