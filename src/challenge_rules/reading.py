"""Strict JSON reading: a document, or every problem that stops its use, located.

A valid input file is UTF-8 JSON of at most `MAX_BYTES`, nested at most
`MAX_DEPTH` levels, with each property name once in an object and only the
numbers JSON has (no NaN or Infinity).  `parse_json` and `read_document`
return the document with the problems; `read_json` raises `InvalidInput`.
Problems are located by line and column (syntax) or JSON pointer.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from challenge_rules._text import short
from challenge_rules.errors import InvalidJSON, Problem

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator

MAX_BYTES: Final = 20 * 1024 * 1024
"""The largest JSON file `read_json` reads (20 MB)."""
MAX_DEPTH: Final = 64
"""The deepest nesting of arrays and objects a document may have."""
MAX_PROBLEMS: Final = 500
"""At most this many problems are reported per document (and a note that there are more)."""


class _Constant:
    """A NaN or Infinity in the JSON text, kept so its location can be reported."""

    def __init__(self, text: str) -> None:
        self.text = text


class _Pairs:
    """The object hook: builds plain dicts, noting those that repeat a property name."""

    def __init__(self) -> None:
        self.duplicates: dict[int, tuple[str, ...]] = {}

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            repeated: list[str] = []
            for key, _ in pairs:
                if key in seen and key not in repeated:
                    repeated.append(key)
                seen.add(key)
            self.duplicates[id(result)] = tuple(repeated)
        return result


_SYNTAX_HINTS: Final = (
    ("Expecting ',' delimiter", "a comma may be missing between two items"),
    (
        "Expecting property name enclosed in double quotes",
        "property names need double quotes, and JSON allows no comma after the last item",
    ),
    ("Expecting ':' delimiter", "a colon must follow each property name"),
    ("Expecting value", "a value is missing here (or there is a comma after the last item)"),
    ("Unterminated string", "a closing double quote is missing"),
    ("Invalid control character", "write a line break inside text as \\n, and a tab as \\t"),
    ("Invalid \\escape", "write a backslash inside text as \\\\"),
    ("Extra data", "there is more after the end of the document: a closing bracket too many?"),
)


def _syntax_problem(error: json.JSONDecodeError) -> Problem:
    if not error.doc.strip():
        return Problem(message="the file is empty", expected="a JSON object ({...})")
    hint = next((h for prefix, h in _SYNTAX_HINTS if error.msg.startswith(prefix)), None)
    return Problem(
        message=f"JSON syntax error at line {error.lineno}, column {error.colno}: {error.msg}",
        hint=hint,
    )


def _decode(data: bytes) -> tuple[str | None, Problem | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Problem(
            message="the file is UTF-16 text, not UTF-8",
            expected="UTF-8 text",
            hint="save the file as UTF-8 (most editors offer this under 'Save with encoding')",
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return None, Problem(
            message=(
                f"the file is not UTF-8 text: byte 0x{data[error.start]:02x} "
                f"at line {line}, column {column} cannot be read"
            ),
            expected="UTF-8 text",
            hint="save the file as UTF-8 (most editors offer this under 'Save with encoding')",
        )


_LEAVES: Final = frozenset({str, int, bool, type(None)})

# The rules for parsed JSON, written once and driven in two modes: `_first_problem`
# stops at the first (a cheap yes or no for the common, valid document) and
# `json_problems` collects every problem, located.  What `json.loads` builds is only
# dicts, lists, text, numbers, booleans, None and `_Constant`; a mapping passed in
# by a caller may hold anything, so the rules cover that too.

_Path = tuple[str | int, ...]


def _too_deep(path: _Path) -> Problem:
    return Problem(
        message=f"the document is nested too deeply (more than {MAX_DEPTH} levels)",
        path=path,
        expected=f"at most {MAX_DEPTH} levels of nested lists and objects",
        hint="check that this is the file you meant: no valid file nests this deep",
    )


def _duplicate(path: _Path, key: str) -> Problem:
    return Problem(
        message=f'property "{short(key)}" appears more than once in this object',
        path=(*path, key),
        expected="each property name once",
        hint="JSON keeps only the last one: remove or rename the others",
    )


def _not_text_key(path: _Path) -> Problem:
    return Problem(
        message="a property name is not text",
        path=path,
        expected="text property names",
    )


def _leaf_problem(value: object, path: _Path) -> Problem | None:
    """The rule for a value that is not a list or an object (None: it is fine)."""
    if type(value) in _LEAVES or (type(value) is float and math.isfinite(value)):
        return None
    if isinstance(value, _Constant) or (isinstance(value, float) and not math.isfinite(value)):
        text = value.text if isinstance(value, _Constant) else "this number is too large: it"
        return Problem(
            message=f"{text} is not a number JSON allows",
            path=path,
            expected="a finite number",
            hint="write an ordinary number, or null",
        )
    if value is None or isinstance(value, str | int | float | bool):
        return None  # a subclass of a JSON type, as a caller's mapping may hold
    return Problem(
        message=f"a {type(value).__name__} is not a JSON value",
        path=path,
        expected="text, a number, true, false, null, a list or an object",
    )


class _Found:
    """Where the walk puts problems: stops after the first, or after `MAX_PROBLEMS`."""

    def __init__(self, limit: int) -> None:
        self.problems: list[Problem] = []
        self.limit = limit

    def add(self, problem: Problem) -> bool:
        """Keep ``problem``; True if the walk should stop."""
        self.problems.append(problem)
        return len(self.problems) >= self.limit


def _children(
    value: Mapping[object, object] | list[object] | tuple[object, ...], path: _Path, found: _Found
) -> list[tuple[str | int, object]] | None:
    """What a list or an object holds, by key; None if the walk should stop."""
    if not isinstance(value, Mapping):
        return list(enumerate(value))
    items: list[tuple[str | int, object]] = []
    for key, item in value.items():
        if isinstance(key, str):
            items.append((key, item))
        elif found.add(_not_text_key(path)):
            return None
    return items


def _walk(
    value: object, path: _Path, duplicates: Mapping[int, tuple[str, ...]], found: _Found
) -> bool:
    """Apply the rules to ``value`` and all it holds; True if the walk should stop."""
    kind = type(value)
    if kind is not dict and kind is not list and not isinstance(value, Mapping | list | tuple):
        problem = _leaf_problem(value, path)
        return problem is not None and found.add(problem)
    if len(path) >= MAX_DEPTH:
        found.add(_too_deep(path))
        return True  # nothing deeper is worth reporting
    if duplicates and id(value) in duplicates:
        for name in duplicates[id(value)]:
            if found.add(_duplicate(path, name)):
                return True
    items = _children(value, path, found)  # type: ignore[arg-type]
    if items is None:
        return True
    for key, item in items:
        if type(item) in _LEAVES:
            continue  # most values: no call
        if _walk(item, (*path, key), duplicates, found):
            return True
    return False


def _first_problem(document: object) -> Problem | None:
    """The first problem `json_problems` would report, or None: the fast yes or no."""
    found = _Found(limit=1)
    _walk(document, (), {}, found)
    return found.problems[0] if found.problems else None


def json_problems(
    document: object, duplicates: Mapping[int, tuple[str, ...]] | None = None
) -> list[Problem]:
    """Every problem JSON parsing leaves: depth, duplicates, non-finite and non-JSON values.

    ``duplicates`` maps the ``id()`` of an object to the property names it
    repeated, as the parser noted them (a parsed mapping has lost them).
    """
    found = _Found(limit=MAX_PROBLEMS)
    _walk(document, (), duplicates or {}, found)
    return found.problems


def file_problem(error: OSError, *, expected: str = "a JSON file") -> Problem:
    """An operating-system error on opening or reading a file, as a problem.

    The one wording for every file the library reads: a missing file and a
    folder are named as such; any other error is given as the system says it.
    """
    if isinstance(error, FileNotFoundError):
        return Problem(
            message="file not found",
            expected=f"the path of {expected}",
            hint="check the spelling of the path, and the folder it is relative to",
        )
    if isinstance(error, IsADirectoryError):
        return Problem(message="this is a folder, not a file", expected=expected)
    return Problem(message=f"cannot read the file: {error.strerror or error}")


def read_document(path: str | os.PathLike[str]) -> tuple[object, tuple[Problem, ...]]:
    """Read a JSON file: the document, or the problems that stopped it being read."""
    target = Path(path)
    try:
        with target.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        return None, (file_problem(error),)
    if len(data) > MAX_BYTES:
        return None, (
            Problem(
                message="the file is too large",
                expected=f"at most {MAX_BYTES // (1024 * 1024)} MB",
                hint="check that this is the file you meant",
            ),
        )
    return parse_json(data)


class Line(NamedTuple):
    """One line of a JSON Lines file, as `read_lines` yields it."""

    source: str
    """Where it was read: ``cases.jsonl:12`` (``<stdin>:12`` for standard input)."""
    data: bytes
    """The line's bytes, undecoded: `parse_json` decodes and parses it."""

    @property
    def blank(self) -> bool:
        """Whether the line holds only white space (JSON Lines readers skip it)."""
        return not self.data.strip()


def read_lines(name: str | os.PathLike[str]) -> Iterator[Line]:
    """Each line of a JSON Lines file (``-``: standard input), numbered from 1.

    Lines stay bytes, each decoded on its own by `parse_json`, so a line that
    is not UTF-8 is a problem of that line, not the end of the file. Raises
    `InvalidJSON`, located at the file, if it cannot be opened or read; the
    lines read before a read error have been yielded. Nothing is read ahead.
    """
    label = "<stdin>" if str(name) == "-" else str(name)
    try:
        stream = sys.stdin.buffer if str(name) == "-" else Path(name).open("rb")  # noqa: SIM115
    except OSError as error:
        problem = file_problem(error, expected="a JSON Lines file, or - for standard input")
        raise InvalidJSON(problems=(problem,), source=label) from None
    with stream:
        numbered = enumerate(stream, 1)
        while True:
            # Only the reading is guarded: an error raised where a line is used
            # (writing the output, say) is not this file's problem.
            try:
                number, data = next(numbered)
            except StopIteration:
                return
            except OSError as error:
                raise InvalidJSON(problems=(file_problem(error),), source=label) from None
            yield Line(f"{label}:{number}", data)


def parse_json(data: bytes | str) -> tuple[object, tuple[Problem, ...]]:
    """Parse JSON text strictly: the document, or every problem that stops its use."""
    if isinstance(data, bytes):
        text, problem = _decode(data)
        if problem is not None or text is None:
            return None, (problem,) if problem else ()
    else:
        text = data
    pairs = _Pairs()
    try:
        document = json.loads(text, object_pairs_hook=pairs, parse_constant=_Constant)
    except json.JSONDecodeError as error:
        return None, (_syntax_problem(error),)
    except RecursionError:
        return None, (
            Problem(
                message=f"the document is nested too deeply (more than {MAX_DEPTH} levels)",
                expected=f"at most {MAX_DEPTH} levels of nested lists and objects",
            ),
        )
    except ValueError as error:  # e.g. an integer with thousands of digits
        return None, (Problem(message=f"a value cannot be read: {short(str(error), 120)}"),)
    if pairs.duplicates or _first_problem(document) is not None:
        problems = json_problems(document, pairs.duplicates)
        if problems:
            return None, tuple(problems)
    return document, ()


def read_json(path: str | os.PathLike[str]) -> object:
    """Read a JSON file, refusing what no valid input file contains.

    Raises `InvalidInput` (every problem found, located by line and column or
    JSON pointer) for a file that is missing or unreadable, larger than 20 MB,
    not UTF-8, not JSON, nested more than 64 levels deep, or that repeats a
    property name in one object or uses NaN or Infinity.
    """
    document, problems = read_document(path)
    if problems:
        raise InvalidJSON(problems=problems, source=str(path))
    return document


__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_PROBLEMS",
    "Line",
    "file_problem",
    "json_problems",
    "parse_json",
    "read_document",
    "read_json",
    "read_lines",
]
