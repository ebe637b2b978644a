"""JSON Schemas, JSON reading, and loading policies and case histories.

Loading a policy runs three checks, and reports every problem of each in one
`InvalidPolicy`, each problem located by a JSON pointer:

1. the JSON itself (`read_json`): size, encoding, syntax, nesting depth,
   duplicate property names, and numbers JSON does not have (NaN, Infinity);
2. the JSON Schema (``schemas/policy.schema.json``, Draft 2020-12);
3. only if the schema passed: building the `Policy` value and the semantic
   checks a schema cannot express (every id a rule names exists, the ladder
   ends, fallbacks do not go round in circles, ...).

Validation never touches the network: the schemas are read from the installed
package, and a reference to any other document is reported as a problem, not
fetched. Problems are written for the people who write policy files: where,
what was found, what was expected, and a hint.
"""

from __future__ import annotations

import copy
import difflib
import functools
import importlib.resources
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable

from challenge_rules._convert import DATE_RE, DATETIME_RE, NaiveTimestampError, default_converter
from challenge_rules._decode import decode_history
from challenge_rules._semantic import check_policy_semantics
from challenge_rules.errors import (
    CalendarError,
    InvalidHistory,
    InvalidInput,
    InvalidPolicy,
    Problem,
    UnknownPolicy,
    pointer_join,
    pointer_parts,
)
from challenge_rules.history import MAX_EVENTS, CaseHistory
from challenge_rules.policy import Policy

if TYPE_CHECKING:
    from cattrs import Converter

SCHEMA_BASE: Final = "https://challenge-rules.readthedocs.io/schemas/"
"""Where the schemas are published; each schema's ``$id`` is this plus its file name."""
MAX_BYTES: Final = 20 * 1024 * 1024
"""The largest JSON file `read_json` reads (20 MB)."""
MAX_DEPTH: Final = 64
"""The deepest nesting of arrays and objects a document may have."""
MAX_PROBLEMS: Final = 500
"""At most this many problems are reported per document (and a note that there are more)."""

_T = TypeVar("_T")
_PACKAGE: Final = "challenge_rules"
_ID_PATTERN: Final = "^[a-z0-9][a-z0-9_-]*$"
_ID_RE: Final = re.compile(_ID_PATTERN)
_DATE_PATTERN: Final = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE_RE: Final = DATE_RE
_DATETIME_RE: Final = DATETIME_RE
_NAIVE_RE: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
)
_ID_EXPECTED: Final = "lower-case letters, digits, '-' and '_', starting with a letter or digit"
_DATE_EXPECTED: Final = "a date written YYYY-MM-DD, such as 2026-06-08"
_DATETIME_EXPECTED: Final = "a date and time with a UTC offset, such as 2026-06-08T09:30:00+01:00"
_OFFSET_HINT: Final = (
    "add the UTC offset in force where it happened: +01:00 in British Summer Time, "
    "Z (or +00:00) in winter"
)
_REMOTE: Final = "remote references are not followed"

# --- the schemas ----------------------------------------------------------------


def _schema_files() -> dict[str, importlib.resources.abc.Traversable]:
    folder = importlib.resources.files(_PACKAGE) / "schemas"
    suffix = ".schema.json"
    return {
        entry.name[: -len(suffix)]: entry
        for entry in folder.iterdir()
        if entry.name.endswith(suffix) and entry.is_file()
    }


@functools.cache
def _schema(name: str) -> dict[str, Any]:
    files = _schema_files()
    if name not in files:
        msg = f"no schema named {name!r} (expected one of: {', '.join(sorted(files))})"
        raise LookupError(msg)
    loaded: dict[str, Any] = json.loads(files[name].read_text(encoding="utf-8"))
    return loaded


def policy_schema() -> dict[str, Any]:
    """The policy JSON Schema (a fresh copy: changing it changes nothing else)."""
    return copy.deepcopy(_schema("policy"))


def history_schema() -> dict[str, Any]:
    """The case-history JSON Schema (a fresh copy)."""
    return copy.deepcopy(_schema("history"))


def _refuse(uri: str) -> Resource[Any]:
    # The registry's only way to find a document it does not hold: refuse.
    raise NoSuchResource(uri)


@functools.cache
def _registry() -> Registry[Any]:
    resources = [
        (_schema(name)["$id"], Resource.from_contents(_schema(name))) for name in _schema_files()
    ]
    registry: Registry[Any] = Registry(retrieve=_refuse)  # type: ignore[call-arg]
    return registry.with_resources(resources)


_FORMATS: Final = FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_RE.fullmatch(value):
        return False
    date.fromisoformat(value)
    return True


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = _DATETIME_RE.fullmatch(value)
    if match is None or match["offset"] is None:
        return False
    datetime.fromisoformat(value)
    return True


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    return _make_validator(_schema(name))


def _make_validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=_registry(), format_checker=_FORMATS)


# --- reading JSON ---------------------------------------------------------------


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


def _scan(
    document: object, duplicates: Mapping[int, tuple[str, ...]] | None = None
) -> list[Problem]:
    """Problems JSON parsing leaves: depth, duplicates, non-finite and non-JSON values."""
    problems: list[Problem] = []
    stack: list[tuple[object, tuple[str | int, ...]]] = [(document, ())]
    while stack and len(problems) < MAX_PROBLEMS:
        value, path = stack.pop()
        if isinstance(value, Mapping | list | tuple) and len(path) >= MAX_DEPTH:
            problems.append(
                Problem(
                    message=f"the document is nested too deeply (more than {MAX_DEPTH} levels)",
                    pointer=pointer_join(*path),
                    expected=f"at most {MAX_DEPTH} levels of nested lists and objects",
                    hint="check that this is the file you meant: no valid file nests this deep",
                )
            )
            break
        if duplicates and id(value) in duplicates:
            problems.extend(
                Problem(
                    message=f'property "{_short(key)}" appears more than once in this object',
                    pointer=pointer_join(*path, key),
                    expected="each property name once",
                    hint="JSON keeps only the last one: remove or rename the others",
                )
                for key in duplicates[id(value)]
            )
        if isinstance(value, Mapping):
            for key, item in reversed(list(value.items())):
                if not isinstance(key, str):
                    problems.append(
                        Problem(
                            message="a property name is not text",
                            pointer=pointer_join(*path),
                            expected="text property names",
                        )
                    )
                    continue
                stack.append((item, (*path, key)))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*path, index)) for index, item in reversed(list(enumerate(value))))
        elif isinstance(value, _Constant) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            text = value.text if isinstance(value, _Constant) else "this number is too large: it"
            problems.append(
                Problem(
                    message=f"{text} is not a number JSON allows",
                    pointer=pointer_join(*path),
                    expected="a finite number",
                    hint="write an ordinary number, or null",
                )
            )
        elif not (value is None or isinstance(value, str | int | float | bool)):
            problems.append(
                Problem(
                    message=f"a {type(value).__name__} is not a JSON value",
                    pointer=pointer_join(*path),
                    expected="text, a number, true, false, null, a list or an object",
                )
            )
    return problems


def _read(path: str | os.PathLike[str]) -> tuple[object, tuple[Problem, ...]]:
    """Read a JSON file: the document, or the problems that stopped it being read."""
    target = Path(path)
    try:
        with target.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None, (
            Problem(
                message="file not found",
                expected="the path of a JSON file",
                hint="check the spelling of the path, and the folder it is relative to",
            ),
        )
    except IsADirectoryError:
        return None, (Problem(message="this is a folder, not a file", expected="a JSON file"),)
    except OSError as error:
        return None, (Problem(message=f"cannot read the file: {error.strerror or error}"),)
    if len(data) > MAX_BYTES:
        return None, (
            Problem(
                message="the file is too large",
                expected=f"at most {MAX_BYTES // (1024 * 1024)} MB",
                hint="check that this is the file you meant",
            ),
        )
    return parse_json(data)


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
        return None, (Problem(message=f"a value cannot be read: {_short(str(error), 120)}"),)
    problems = _scan(document, pairs.duplicates)
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
    document, problems = _read(path)
    if problems:
        raise InvalidInput(kind="JSON file", problems=problems, source=str(path))
    return document


# --- schema validation ------------------------------------------------------------

_TYPE_WORDS: Final = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list ([...])",
    "object": "an object ({...})",
    "null": "null",
}

_PATTERNS: Final[dict[str, tuple[str, str]]] = {
    # pattern -> (what the value is not, what is expected)
    _ID_PATTERN: ("a valid id", _ID_EXPECTED),
    "^[a-z][a-z0-9_]*$": (
        "a valid field name",
        "lower-case letters, digits and '_', starting with a letter",
    ),
    "^[A-Za-z0-9][A-Za-z0-9._:-]*$": (
        "a valid event id",
        "letters, digits, '.', '_', ':' and '-', starting with a letter or digit",
    ),
    "^https?://[^\\s]+$": ("a web address", "an address starting http:// or https://"),
    "^[^@\\s]+@[^@\\s]+$": ("an email address", "an address like team@example.org"),
    "^(/([^~/]|~[01])*)*$": ("a JSON pointer", "a JSON pointer such as /stages/2/timescale"),
    "^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$": (
        "a time zone name",
        "an IANA time zone name such as Europe/London",
    ),
    "^[A-Za-z0-9._-]+$": ("a valid item number or id", "letters, digits, '.', '_' and '-'"),
}


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_KINDS: Final = ((list, "a list"), (dict, "an object"))


def _found(value: object) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return f"the number {_short(str(value), 30)}"
    if isinstance(value, str):
        return f'the text "{_short(value)}"'
    return next((name for kind, name in _KINDS if isinstance(value, kind)), "a value")


def _value(value: object) -> str:
    if isinstance(value, str):
        return f'"{_short(value)}"'
    return _found(value)


def _words(names: Iterable[object]) -> str:
    return ", ".join(str(n) for n in names)


def _suggest(word: object, choices: Iterable[object]) -> str | None:
    if not isinstance(word, str):
        return None
    options = [str(c) for c in choices]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        close = [o for o in options if o.lower() == word.lower()]
    return f'did you mean "{close[0]}"?' if close else None


def _slug(value: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", value.strip().lower()).strip("-_")
    return slug or "an-id"


def _title(schema: object) -> str:
    if isinstance(schema, Mapping) and isinstance(schema.get("title"), str):
        return str(schema["title"]).lower()
    return "object"


def _article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _describe(schema: object) -> str | None:
    if isinstance(schema, Mapping) and isinstance(schema.get("description"), str):
        text = str(schema["description"]).rstrip(".")
        return text[:1].lower() + text[1:]
    return None


def _child(node: object, key: object) -> object:
    """``node[key]`` for a JSON object or array, or None if there is no such child."""
    if isinstance(node, Mapping):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def _walk(root: Mapping[str, Any], path: Iterable[object]) -> object:
    """The schema node at a schema path, following local ``$ref``s."""
    node: object = root
    for key in path:
        reference = _child(node, "$ref") if key == "$ref" else None
        if isinstance(reference, str):
            node = root
            for part in reference.lstrip("#").split("/")[1:]:
                node = _child(node, part)
        else:
            node = _child(node, key)
    return node


def _in_branch(step: object) -> bool:
    """Whether a schema-path step leads into a branch (then, else, allOf and its items)."""
    return isinstance(step, int) or step in {"then", "else", "allOf"}


def _object_schema(error: ValidationError, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema of the object an error is about (for a then/else branch: its parent)."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    path = list(error.absolute_schema_path)[:-1]
    if "title" in schema or not path or path[-1] not in {"then", "else"}:
        return schema
    while path and _in_branch(path[-1]):
        path.pop()
    parent = _walk(root, path)
    return parent if isinstance(parent, Mapping) else schema


def _listed(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _map_required(error: ValidationError, pointer: str, root: Mapping[str, Any]) -> list[Problem]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    names = [n for n in _listed(error.validator_value) if n not in instance]
    schema = _object_schema(error, root)
    properties = schema.get("properties", {})
    title = _title(schema)
    problems = []
    for name in names:
        unknown = [k for k in instance if k not in properties]
        similar = difflib.get_close_matches(name, [str(k) for k in unknown], n=1, cutoff=0.6)
        hint = (
            f'"{similar[0]}" may be a misspelling of "{name}"'
            if similar
            else f'add "{name}" to this {title}'
        )
        expected = _describe(properties.get(name))
        unit = instance.get("unit")
        if name == "amount" and isinstance(unit, str):
            expected = f"a whole number of {unit}, from 1 to 10000"
            hint = f'write for example {{"unit": "{_short(unit, 30)}", "amount": 5}}'
        problems.append(
            Problem(
                message=f'missing property "{name}"', pointer=pointer, expected=expected, hint=hint
            )
        )
    return problems


def _remote_reference(pointer: str) -> Problem:
    return Problem(
        message=f'"$ref" points to another document: {_REMOTE}',
        pointer=pointer,
        expected="the content itself, in this file",
        hint="copy what it refers to into this file",
    )


def _map_additional(error: ValidationError, pointer: str, root: Mapping[str, Any]) -> list[Problem]:
    if not isinstance(error.instance, Mapping):
        return []
    schema = _object_schema(error, root)
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extras = [
        key
        for key in error.instance
        if key not in properties and not any(re.search(p, key) for p in patterns)
    ]
    problems = []
    for key in extras:
        if key == "$ref":
            problems.append(_remote_reference(pointer_join(*error.absolute_path, key)))
            continue
        title = _title(schema)
        problems.append(
            Problem(
                message=f'unknown property "{_short(key)}"',
                pointer=pointer_join(*error.absolute_path, key),
                expected=f"one of the properties of {_article(title)}: {_words(properties)}",
                hint=_suggest(key, properties) or "remove it, or check where it belongs",
            )
        )
    return problems or [Problem(message="unknown properties", pointer=pointer)]


def _map_pattern(error: ValidationError, pointer: str) -> Problem:
    value, pattern = error.instance, str(error.validator_value)
    if pattern == "\\S":
        return Problem(
            message="this is blank", pointer=pointer, expected="some text other than spaces"
        )
    if pattern == _DATE_PATTERN:
        # The format check reports the same value; keep one message for both.
        return _format_problem("date", value, pointer)
    what, expected = _PATTERNS.get(pattern, ("in the expected form", f"text matching {pattern}"))
    hint = (
        f'try "{_short(_slug(value))}"'
        if pattern == _ID_PATTERN and isinstance(value, str)
        else None
    )
    return Problem(
        message=f"{_value(value)} is not {what}", pointer=pointer, expected=expected, hint=hint
    )


def _format_problem(fmt: str, value: object, pointer: str) -> Problem:
    if fmt == "date":
        return Problem(
            message=f"{_value(value)} is not a valid date", pointer=pointer, expected=_DATE_EXPECTED
        )
    if fmt == "date-time":
        if isinstance(value, str) and _NAIVE_RE.fullmatch(value):
            return Problem(
                message=f"timestamp {_value(value)} has no UTC offset",
                pointer=pointer,
                expected=_DATETIME_EXPECTED,
                hint=_OFFSET_HINT,
            )
        return Problem(
            message=f"{_value(value)} is not a valid date and time",
            pointer=pointer,
            expected=_DATETIME_EXPECTED,
        )
    return Problem(message=f"{_value(value)} is not a valid {fmt}", pointer=pointer)


def _map_enum(error: ValidationError, pointer: str) -> Problem:
    allowed = (
        _listed(error.validator_value) if error.validator == "enum" else [error.validator_value]
    )
    if allowed == [0] and error.absolute_path and error.absolute_path[-1] == "amount":
        return Problem(
            message=f"{_value(error.instance)} is not allowed: this timescale takes no amount",
            pointer=pointer,
            expected="no amount (or 0) for same_day and immediately",
            hint='leave "amount" out',
        )
    choices = (a if isinstance(a, str) else json.dumps(a) for a in allowed)
    return Problem(
        message=f"{_value(error.instance)} is not allowed",
        pointer=pointer,
        expected=f"one of: {_words(choices)}",
        hint=_suggest(error.instance, allowed),
    )


def _map_type(error: ValidationError, pointer: str) -> Problem:
    wanted = (
        error.validator_value
        if isinstance(error.validator_value, list)
        else [error.validator_value]
    )
    expected = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in wanted)
    hint = None
    value = error.instance
    if "integer" in wanted or "number" in wanted:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            hint = "write numbers without quotes"
        elif isinstance(value, float):
            hint = "use a whole number"
    elif "boolean" in wanted and isinstance(value, str) and value.lower() in {"true", "false"}:
        hint = "write true or false without quotes"
    elif "array" in wanted and not isinstance(value, list):
        hint = "put the item in square brackets: [ ... ]"
    return Problem(
        message=f"wrong type: found {_found(value)}", pointer=pointer, expected=expected, hint=hint
    )


def _map_length(error: ValidationError, pointer: str) -> Problem:
    limit, value = error.validator_value, error.instance
    size = len(value) if isinstance(value, str) else 0
    if error.validator == "maxLength":
        return Problem(
            message=f"text too long ({size} characters)",
            pointer=pointer,
            expected=f"at most {limit} characters",
            hint="shorten it",
        )
    if size == 0:
        return Problem(message="empty text", pointer=pointer, expected="some text")
    return Problem(
        message="text too short", pointer=pointer, expected=f"at least {limit} characters"
    )


def _map_items(error: ValidationError, pointer: str) -> Problem:
    limit, value = error.validator_value, error.instance
    size = len(value) if isinstance(value, list) else 0
    if error.validator == "maxItems":
        return Problem(
            message=f"too many items ({size})", pointer=pointer, expected=f"at most {limit}"
        )
    noun = "item" if limit == 1 else "items"
    return Problem(
        message="empty list" if size == 0 else f"too few items ({size})",
        pointer=pointer,
        expected=f"at least {limit} {noun}",
    )


def _map_unique(error: ValidationError, pointer: str) -> Problem:
    seen: list[object] = []
    repeated = "an item"
    for item in error.instance if isinstance(error.instance, list) else []:
        if item in seen:
            repeated = _value(item)
            break
        seen.append(item)
    return Problem(
        message=f"{repeated} appears more than once",
        pointer=pointer,
        expected="each item once",
        hint="remove the repeat",
    )


_BOUNDS: Final = {
    "minimum": ("too small", "at least"),
    "exclusiveMinimum": ("too small", "more than"),
    "maximum": ("too large", "at most"),
    "exclusiveMaximum": ("too large", "less than"),
}


def _map_bound(error: ValidationError, pointer: str) -> Problem:
    what, bound = _BOUNDS[str(error.validator)]
    return Problem(
        message=f"{_short(str(error.instance), 30)} is {what}",
        pointer=pointer,
        expected=f"{bound} {error.validator_value}",
    )


def _map_other(error: ValidationError, pointer: str) -> Problem:
    if error.validator == "maxProperties":
        return Problem(
            message="too many properties",
            pointer=pointer,
            expected=f"at most {error.validator_value}",
        )
    if error.validator == "false":
        return Problem(message="no value is allowed here", pointer=pointer)
    return Problem(message=_short(error.message, 200), pointer=pointer)


def _map_format(error: ValidationError, pointer: str) -> Problem:
    return _format_problem(str(error.validator_value), error.instance, pointer)


_SINGLE: Final[dict[str, Callable[[ValidationError, str], Problem]]] = {
    "enum": _map_enum,
    "const": _map_enum,
    "type": _map_type,
    "pattern": _map_pattern,
    "format": _map_format,
    "minLength": _map_length,
    "maxLength": _map_length,
    "minItems": _map_items,
    "maxItems": _map_items,
    "uniqueItems": _map_unique,
    **dict.fromkeys(_BOUNDS, _map_bound),
}
"""How to say what a failed keyword means, for keywords that give one problem."""


def _branch_errors(error: ValidationError) -> list[ValidationError]:
    """The sub-errors worth showing for a failed anyOf/oneOf."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        index = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        branches.setdefault(int(index), []).append(sub)
    options = error.validator_value if isinstance(error.validator_value, list) else []
    useful = {
        i: subs
        for i, subs in branches.items()
        if not (i < len(options) and options[i] == {"type": "null"})
    }
    if len(useful) == 1:
        return next(iter(useful.values()))
    chosen = best_match(error.context or ())
    return [chosen] if chosen is not None else []


def _map_branches(error: ValidationError, pointer: str, root: Mapping[str, Any]) -> list[Problem]:
    subs = _branch_errors(error)
    if not subs:
        return [Problem(message="this value does not match any allowed form", pointer=pointer)]
    problems = [p for sub in subs for p in _map_error(sub, root)]
    if not any(o == {"type": "null"} for o in _listed(error.validator_value)):
        return problems
    return [
        attrs.evolve(p, expected=f"{p.expected}, or null")
        if p.pointer == pointer and p.message.startswith("wrong type") and p.expected
        else p
        for p in problems
    ]


_MANY: Final[dict[str, Callable[[ValidationError, str, Mapping[str, Any]], list[Problem]]]] = {
    "anyOf": _map_branches,
    "oneOf": _map_branches,
    "required": _map_required,
    "additionalProperties": _map_additional,
}
"""How to say what a failed keyword means, for keywords that may give several problems."""


def _map_error(error: ValidationError, root: Mapping[str, Any]) -> list[Problem]:
    """Say what one validation error means, in the words of a policy author."""
    pointer = pointer_join(*error.absolute_path)
    keyword = str(error.validator)
    if "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str):
        # The error is about a property's name: point at the property.
        pointer = pointer_join(*error.absolute_path, error.instance)
        if error.instance == "$ref":
            return [_remote_reference(pointer)]
    if keyword in _MANY:
        return _MANY[keyword](error, pointer, root)
    return [_SINGLE.get(keyword, _map_other)(error, pointer)]


def _document_order(document: object, path: Iterable[object]) -> tuple[int, ...]:
    order: list[int] = []
    node = document
    for key in path:
        if isinstance(node, Mapping) and key in node:
            order.append(list(node).index(key))
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            order.append(key)
            node = node[key]
        else:
            break
    return tuple(order)


def _pointer_path(pointer: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in pointer_parts(pointer)]


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple[str, str, str | None]] = set()
    kept = []
    for problem in problems:
        key = (problem.pointer, problem.message, problem.severity)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


def _schema_warning(document: object, name: str) -> list[Problem]:
    if not isinstance(document, Mapping):
        return []
    declared = document.get("$schema")
    expected = f"{SCHEMA_BASE}{name}.schema.json"
    if not isinstance(declared, str) or declared.endswith(f"{name}.schema.json"):
        return []
    return [
        Problem(
            message=f'this file names the schema "{_short(declared)}", but it was checked '
            f"against the challenge-rules {name} schema",
            pointer="/$schema",
            expected=expected,
            hint=f'write "$schema": "{expected}"',
            severity="warning",
        )
    ]


def _validate(document: object, schema: Mapping[str, Any], name: str) -> list[Problem]:
    scanned = _scan(document)
    if scanned:
        return scanned
    validator = _make_validator(schema) if name == "" else _validator(name)
    problems: list[Problem] = []
    try:
        errors = list(_take(validator.iter_errors(document), MAX_PROBLEMS + 1))
    except Unresolvable as unresolvable:
        reference = getattr(unresolvable, "ref", "") or str(unresolvable)
        return [
            Problem(
                message=f'the schema refers to "{_short(str(reference), 120)}": {_REMOTE}',
                expected="a schema with only references inside it, or to challenge-rules schemas",
            )
        ]
    for error in errors:
        problems.extend(_map_error(error, schema))
    referring = {p.pointer.removesuffix("/$ref") for p in problems if p.message.endswith(_REMOTE)}
    problems = [
        p
        for p in _unique(problems)
        if not (p.pointer in referring and p.message.startswith("missing"))
    ]
    problems.sort(key=lambda p: _document_order(document, _pointer_path(p.pointer)))
    if len(errors) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS]
        problems.append(
            Problem(message=f"more problems were found; only the first {MAX_PROBLEMS} are shown")
        )
    return problems + _schema_warning(document, name)


def _take(errors: Iterator[ValidationError], limit: int) -> Iterator[ValidationError]:
    for count, error in enumerate(errors):
        if count >= limit:
            return
        yield error


def validate_document(
    document: object, schema: str, *, source: str | None = None
) -> tuple[Problem, ...]:
    """Check ``document`` against the schema named ``schema`` (``policy``, ``history``, ...).

    Returns every problem found (with warnings), each located by JSON pointer
    and, if given, by ``source``; an empty tuple if the document is valid.
    Only the JSON Schema is checked, not the semantic rules.
    """
    return tuple(p.with_source(source) for p in _validate(document, _schema(schema), schema))


# --- structuring ----------------------------------------------------------------------


def _structure_problems(error: BaseException, path: tuple[str | int, ...]) -> list[Problem]:
    if isinstance(error, ClassValidationError | IterableValidationError):
        with_notes, without = error.group_exceptions()
        problems: list[Problem] = []
        for exc, note in with_notes:
            step = getattr(note, "name", getattr(note, "index", None))
            problems.extend(_structure_problems(exc, (*path, step) if step is not None else path))
        for exc in without:
            problems.extend(_structure_problems(exc, path))
        return problems
    if isinstance(error, ForbiddenExtraKeysError):
        return [
            Problem(message=f'unknown property "{_short(key)}"', pointer=pointer_join(*path, key))
            for key in sorted(error.extra_fields)
        ]
    if isinstance(error, CalendarError):
        return [
            Problem(
                message=f"{error.message}: {_short(error.value)}",
                pointer=pointer_join(*path),
                expected=error.expected,
                hint=error.hint,
            )
        ]
    if isinstance(error, NaiveTimestampError):
        return [
            Problem(
                message="timestamp has no UTC offset",
                pointer=pointer_join(*path),
                expected=_DATETIME_EXPECTED,
                hint=_OFFSET_HINT,
            )
        ]
    if isinstance(error, KeyError):
        name = error.args[0] if error.args else "?"
        return [Problem(message=f'missing property "{name}"', pointer=pointer_join(*path))]
    return [
        Problem(
            message=f"this value cannot be used: {_short(str(error), 160)}",
            pointer=pointer_join(*path),
        )
    ]


def _structure(
    document: Mapping[str, Any], cls: type[_T], converter: Converter | None
) -> tuple[_T | None, list[Problem]]:
    data = {k: v for k, v in document.items() if k != "$schema"}
    try:
        return (converter or default_converter()).structure(data, cls), []
    except Exception as error:  # noqa: BLE001 - every failure becomes a located problem
        return None, _structure_problems(error, ()) or [
            Problem(message="the document cannot be read")
        ]


# --- policies ---------------------------------------------------------------------------


def _check(
    document: object, source: str | None, converter: Converter | None
) -> tuple[Policy | None, tuple[Problem, ...]]:
    problems = _validate(document, _schema("policy"), "policy")
    policy = None
    if not any(p.severity == "error" for p in problems) and isinstance(document, Mapping):
        policy, structuring = _structure(document, Policy, converter)
        problems += structuring
        if policy is not None:
            problems += check_policy_semantics(policy)
    return policy, tuple(p.with_source(source) for p in problems)


def check_policy(document: object, *, source: str | None = None) -> tuple[Problem, ...]:
    """Every problem with a policy document, as parsed JSON: an empty tuple if none.

    Schema problems come first; only if the schema passed is the `Policy`
    built and checked for the rules a schema cannot express. Warnings
    (``severity="warning"``) are included; they do not make a policy invalid.
    """
    return _check(document, source, None)[1]


def shipped_policies() -> tuple[str, ...]:
    """The ids of the policies shipped with challenge-rules, sorted."""
    folder = importlib.resources.files(_PACKAGE) / "policies"
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            entry.name.removesuffix(".json")
            for entry in folder.iterdir()
            if entry.name.endswith(".json")
            and entry.is_file()
            and _ID_RE.match(entry.name.removesuffix(".json"))
        )
    )


def _is_policy_id(source: str) -> bool:
    return (
        not os.path.exists(source)  # noqa: PTH110 - a str is tested before it becomes a Path
        and "/" not in source
        and os.sep not in source
        and not source.lower().endswith(".json")
    )


def _shipped_document(policy_id: str) -> tuple[object, tuple[Problem, ...]]:
    if policy_id not in shipped_policies():
        raise UnknownPolicy(policy_id=policy_id, available=shipped_policies())
    resource = importlib.resources.files(_PACKAGE) / "policies" / f"{policy_id}.json"
    return parse_json(resource.read_bytes())


def _policy_from(
    source: str | os.PathLike[str] | Mapping[str, Any], converter: Converter | None
) -> tuple[str | None, Policy | None, tuple[Problem, ...]]:
    """Load a policy from any source: its label, the policy (if valid) and all problems."""
    if isinstance(source, Mapping):
        policy, problems = _check(source, None, converter)
        return None, policy, problems
    if isinstance(source, str) and _is_policy_id(source):
        label = source
        document, problems = _shipped_document(source)
    else:
        label = os.fspath(source)
        document, problems = _read(source)
    if problems:
        return label, None, tuple(p.with_source(label) for p in problems)
    policy, problems = _check(document, label, converter)
    return label, policy, problems


@functools.lru_cache(maxsize=32)
def _shipped_policy(policy_id: str) -> Policy:
    label, policy, problems = _policy_from(policy_id, None)
    if policy is None or any(p.severity == "error" for p in problems):
        raise InvalidPolicy(kind="policy", problems=problems, source=label)
    return policy


def load_policy(
    source: str | os.PathLike[str] | Mapping[str, Any], *, converter: Converter | None = None
) -> Policy:
    """Load and check a policy.

    ``source`` is the path of a policy JSON file, an already-parsed JSON
    mapping, or the id of a policy shipped with challenge-rules (see
    `shipped_policies`): a string that is not an existing file and has no
    ``/`` and no ``.json`` is taken as an id.

    Raises `InvalidPolicy` with every problem found (warnings are not
    problems: see `check_policy` to get them), and `UnknownPolicy` for an id
    no shipped policy has.
    """
    if converter is None and isinstance(source, str) and _is_policy_id(source):
        return _shipped_policy(source)
    label, policy, problems = _policy_from(source, converter)
    if policy is None or any(p.severity == "error" for p in problems):
        raise InvalidPolicy(kind="policy", problems=problems, source=label)
    return policy


# --- case histories ---------------------------------------------------------------------


def _event_id(document: object, pointer: str) -> str | None:
    path = _pointer_path(pointer)
    if len(path) < 2 or path[0] != "events" or not isinstance(path[1], int):
        return None
    events = document.get("events") if isinstance(document, Mapping) else None
    if not isinstance(events, list) or not 0 <= path[1] < len(events):
        return None
    event = events[path[1]]
    ident = event.get("id") if isinstance(event, Mapping) else None
    if isinstance(ident, str) and 0 < len(ident) <= 100 and not ident.isspace():
        return ident
    return None


def _with_event(problem: Problem, document: object) -> Problem:
    ident = _event_id(document, problem.pointer) if problem.event is None else None
    if ident is None:
        return problem
    return attrs.evolve(problem, event=ident)


def _duplicate_events(document: Mapping[str, Any]) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for index, event in enumerate(document.get("events", ())):
        ident = event.get("id") if isinstance(event, Mapping) else None
        if not isinstance(ident, str):
            continue
        if ident in first:
            problems.append(
                Problem(
                    message=f'event id "{_short(ident)}" is used by more than one event',
                    pointer=pointer_join("events", index, "id"),
                    expected="a different id for every event",
                    hint=f"the first event with this id is at /events/{first[ident]}",
                    event=ident,
                )
            )
        else:
            first[ident] = index
    return problems


def _history_from(
    source: str | os.PathLike[str] | Mapping[str, Any], converter: Converter | None
) -> tuple[str | None, CaseHistory | None, tuple[Problem, ...]]:
    label: str | None = None
    document: object = source
    if not isinstance(source, Mapping):
        label = os.fspath(source)
        document, problems = _read(source)
        if problems:
            return label, None, tuple(p.with_source(label) for p in problems)
    history, found = _history_document(document, converter)
    return label, history, tuple(p.with_source(label) for p in found)


def _history_document(
    document: object, converter: Converter | None
) -> tuple[CaseHistory | None, tuple[Problem, ...]]:
    """Check a parsed history document: the history (if valid) and every problem."""
    found = [_with_event(p, document) for p in _validate(document, _schema("history"), "history")]
    history = None
    if not any(p.severity == "error" for p in found) and isinstance(document, Mapping):
        found += _duplicate_events(document)
        if not any(p.severity == "error" for p in found):
            history, structuring = _structure(document, CaseHistory, converter)
            found += [_with_event(p, document) for p in structuring]
    return history, tuple(found)


def _fast_history(document: Mapping[str, Any], converter: Converter | None) -> CaseHistory | None:
    """The common case, cheaply: a history the fast reader (or the caller's converter) takes.

    The reader, the strict converter and the history model enforce every rule
    of the history schema (property tests keep them in step), so a document
    they accept is valid; anything else returns None and goes the slow way,
    through the schema, which finds and locates every problem.
    """
    if converter is None:
        return decode_history(document)
    try:
        history = converter.structure(document, CaseHistory)
    except Exception:  # noqa: BLE001 - any failure is for the slow path to explain
        return None
    if len({event.id for event in history.events}) != len(history.events):
        return None
    return history


def load_history(
    source: str | os.PathLike[str] | Mapping[str, Any], *, converter: Converter | None = None
) -> CaseHistory:
    """Load and check a case history from the path of a JSON file or a parsed mapping.

    Raises `InvalidHistory` with every problem found: schema problems (such
    as a timestamp without a UTC offset), each located by JSON pointer and
    event id, and events that share an id.
    """
    document: object = source
    label: str | None = None
    if not isinstance(source, Mapping):
        label = os.fspath(source)
        document, unread = _read(source)
        if unread:
            raise InvalidHistory(kind="case history", problems=unread, source=label)
    if isinstance(document, Mapping):
        if history := _fast_history(document, converter):
            return history
        if oversized := _too_many_events(document):
            # Refused at once: the schema would say the same, after seconds of work.
            raise InvalidHistory(kind="case history", problems=(oversized,), source=label)
    history, problems = _history_document(document, converter)
    if history is None or any(p.severity == "error" for p in problems):
        raise InvalidHistory(
            kind="case history",
            problems=tuple(p.with_source(label) for p in problems),
            source=label,
        )
    return history


def _too_many_events(document: Mapping[str, Any]) -> Problem | None:
    events = document.get("events")
    if isinstance(events, list) and len(events) > MAX_EVENTS:
        return Problem(
            message=f"too many items ({len(events)})",
            pointer="/events",
            expected=f"at most {MAX_EVENTS}",
            hint="split the disagreement's history, or check it is one case",
        )
    return None


__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "SCHEMA_BASE",
    "check_policy",
    "history_schema",
    "load_history",
    "load_policy",
    "parse_json",
    "policy_schema",
    "read_json",
    "shipped_policies",
    "validate_document",
]
