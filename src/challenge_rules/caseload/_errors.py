"""The caseload report's errors: the library's own, and the documents only it reads."""

from __future__ import annotations

from challenge_rules.errors import InvalidCaseload, InvalidInput, MissingExtra


class InvalidColumnMapping(InvalidInput):
    """A column mapping file (an escalation log's columns to history fields) is malformed."""

    kind = "column mapping"


class InvalidEscalationLog(InvalidInput):
    """An escalation log (CSV) cannot be read at all: no header, a column missing, ..."""

    kind = "escalation log"


class InvalidLogRow(InvalidEscalationLog):
    """One row of an escalation log is refused; the other rows are still read."""

    kind = "escalation log row"


__all__ = [
    "InvalidCaseload",
    "InvalidColumnMapping",
    "InvalidEscalationLog",
    "InvalidLogRow",
    "MissingExtra",
]
