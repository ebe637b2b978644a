"""CSV the way every challenge-rules table is written: RFC 4180, and safe to open.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return as a formula ("CSV injection"), and text in these files
can come from a case system's records (an agency's name, a reference). Such a
cell is written with a leading apostrophe, which spreadsheets show as text and
do not print; every other cell is written as it is.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Final, TextIO

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """``value``, with an apostrophe before it if a spreadsheet would run it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_rows(stream: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> int:
    """Write a header and ``rows`` (each with every column) as CSV; return the row count."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(row[name]) for name in columns])
        count += 1
    return count
