"""Problems in plain English, for the people who write policy and history files.

JSON Schema errors (from jsonschema) and structuring errors (from cattrs) are
written for programmers; each is turned here into `Problem` values that say
where (a JSON pointer), what was found, what was expected, and a hint.  One
schema error can become several problems (a missing property in each of the
branches a value might have taken) and several errors one problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from challenge_rules._convert import (
    MOMENT_PATTERN,
    MOMENT_RANGE,
    TIMESTAMP_RE,
    NaiveTimestampError,
    in_moment_range,
)
from challenge_rules._ids import EVENT_ID_PATTERN, ID_PATTERN
from challenge_rules._text import closest, short, suggest
from challenge_rules.errors import CalendarError, DocumentPath, Problem, pointer_parts

if TYPE_CHECKING:
    # Imported where a failure is explained, not at start-up (~40 ms, mostly jsonschema's).
    from jsonschema.exceptions import ValidationError

_DATE_PATTERN: Final = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
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
REMOTE: Final = "remote references are not followed"


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
    ID_PATTERN: ("a valid id", _ID_EXPECTED),
    "^[a-z][a-z0-9_]*$": (
        "a valid field name",
        "lower-case letters, digits and '_', starting with a letter",
    ),
    EVENT_ID_PATTERN: (
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


_KINDS: Final = ((list, "a list"), (dict, "an object"))


def _found(value: object) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return f"the number {short(str(value), 30)}"
    if isinstance(value, str):
        return f'the text "{short(value)}"'
    return next((name for kind, name in _KINDS if isinstance(value, kind)), "a value")


def _value(value: object) -> str:
    if isinstance(value, str):
        return f'"{short(value)}"'
    return _found(value)


def _words(names: Iterable[object]) -> str:
    return ", ".join(str(n) for n in names)


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
        reference = _child(node, "$ref")
        # A schema path steps through a "$ref" without naming it (newer jsonschema
        # releases) or names it (older ones): follow it either way.
        if isinstance(reference, str) and (key == "$ref" or _child(node, key) is None):
            node = _resolve(root, reference)
            if key == "$ref":
                continue
        node = _child(node, key)
    return node


def _resolve(root: Mapping[str, Any], reference: str) -> object:
    node: object = root
    for part in reference.lstrip("#").split("/")[1:]:
        node = _child(node, part)
    return node


def _in_branch(step: object) -> bool:
    """Whether a schema-path step leads into a branch (then, else, allOf and its items)."""
    return isinstance(step, int) or step in {"then", "else", "allOf"}


def _object_schema(error: ValidationError, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema of the object an error is about (for a then/else branch: its parent)."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    path: list[str | int] = list(error.absolute_schema_path)[:-1]
    if "title" in schema or not path or path[-1] not in {"then", "else"}:
        return schema
    while path and _in_branch(path[-1]):
        last: object = path[-1]
        if isinstance(last, int) and len(path) > 1 and path[-2] != "allOf":
            break  # an anyOf's option: the object schema itself
        path.pop()
    parent = _walk(root, path)
    reference = _child(parent, "$ref")
    if isinstance(reference, str):
        parent = _resolve(root, reference)
    return parent if isinstance(parent, Mapping) else schema


def _listed(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _map_required(
    error: ValidationError, path: DocumentPath, root: Mapping[str, Any]
) -> list[Problem]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    names = [n for n in _listed(error.validator_value) if n not in instance]
    schema = _object_schema(error, root)
    properties = schema.get("properties", {})
    title = _title(schema)
    problems = []
    for name in names:
        unknown = [k for k in instance if k not in properties]
        similar = closest(name, unknown)
        hint = (
            f'"{similar}" may be a misspelling of "{name}"'
            if similar is not None
            else f'add "{name}" to this {title}'
        )
        expected = _describe(properties.get(name))
        unit = instance.get("unit")
        if name == "amount" and isinstance(unit, str):
            expected = f"a whole number of {unit}, from 1 to 10000"
            hint = f'write for example {{"unit": "{short(unit, 30)}", "amount": 5}}'
        problems.append(
            Problem(message=f'missing property "{name}"', path=path, expected=expected, hint=hint)
        )
    return problems


def _remote_reference(path: DocumentPath) -> Problem:
    return Problem(
        message=f'"$ref" points to another document: {REMOTE}',
        path=path,
        expected="the content itself, in this file",
        hint="copy what it refers to into this file",
    )


def _map_additional(
    error: ValidationError, path: DocumentPath, root: Mapping[str, Any]
) -> list[Problem]:
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
            problems.append(_remote_reference((*error.absolute_path, key)))
            continue
        title = _title(schema)
        problems.append(
            Problem(
                message=f'unknown property "{short(key)}"',
                path=(*error.absolute_path, key),
                expected=f"one of the properties of {_article(title)}: {_words(properties)}",
                hint=suggest(key, properties) or "remove it, or check where it belongs",
            )
        )
    return problems or [Problem(message="unknown properties", path=path)]


def _map_pattern(error: ValidationError, path: DocumentPath) -> Problem:
    value, pattern = error.instance, str(error.validator_value)
    if pattern == "\\S":
        return Problem(message="this is blank", path=path, expected="some text other than spaces")
    if pattern == MOMENT_PATTERN:
        if isinstance(value, str) and _out_of_range(value):
            return _range_problem(value, path)
        return _format_problem("date-time", value, path)
    if pattern == _DATE_PATTERN:
        # The format check reports the same value; keep one message for both.
        return _format_problem("date", value, path)
    what, expected = _PATTERNS.get(pattern, ("in the expected form", f"text matching {pattern}"))
    hint = (
        f'try "{short(_slug(value))}"' if pattern == ID_PATTERN and isinstance(value, str) else None
    )
    return Problem(
        message=f"{_value(value)} is not {what}", path=path, expected=expected, hint=hint
    )


def _out_of_range(value: str) -> bool:
    if TIMESTAMP_RE.fullmatch(value) is None:
        return False
    try:
        return not in_moment_range(datetime.fromisoformat(value))
    except ValueError:  # not a real date (e.g. 30 February): not a range problem
        return False


def _range_problem(value: object, path: DocumentPath) -> Problem:
    return Problem(
        message=f"timestamp {_value(value)} is out of range",
        path=path,
        expected=MOMENT_RANGE,
        hint="check the year",
    )


def _format_problem(fmt: str, value: object, path: DocumentPath) -> Problem:
    if fmt == "date":
        return Problem(
            message=f"{_value(value)} is not a valid date", path=path, expected=_DATE_EXPECTED
        )
    if fmt == "date-time":
        if isinstance(value, str) and _NAIVE_RE.fullmatch(value):
            return Problem(
                message=f"timestamp {_value(value)} has no UTC offset",
                path=path,
                expected=_DATETIME_EXPECTED,
                hint=_OFFSET_HINT,
            )
        return Problem(
            message=f"{_value(value)} is not a valid date and time",
            path=path,
            expected=_DATETIME_EXPECTED,
        )
    return Problem(message=f"{_value(value)} is not a valid {fmt}", path=path)


def _map_enum(error: ValidationError, path: DocumentPath) -> Problem:
    allowed = (
        _listed(error.validator_value) if error.validator == "enum" else [error.validator_value]
    )
    if allowed == [0] and error.absolute_path and error.absolute_path[-1] == "amount":
        return Problem(
            message=f"{_value(error.instance)} is not allowed: this timescale takes no amount",
            path=path,
            expected="no amount (or 0)",
            hint='leave "amount" out',
        )
    choices = (a if isinstance(a, str) else json.dumps(a) for a in allowed)
    return Problem(
        message=f"{_value(error.instance)} is not allowed",
        path=path,
        expected=f"one of: {_words(choices)}",
        hint=suggest(error.instance, allowed),
    )


def _map_type(error: ValidationError, path: DocumentPath) -> Problem:
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
        message=f"wrong type: found {_found(value)}", path=path, expected=expected, hint=hint
    )


def _map_length(error: ValidationError, path: DocumentPath) -> Problem:
    limit, value = error.validator_value, error.instance
    size = len(value) if isinstance(value, str) else 0
    if error.validator == "maxLength":
        return Problem(
            message=f"text too long ({size} characters)",
            path=path,
            expected=f"at most {limit} characters",
            hint="shorten it",
        )
    if size == 0:
        return Problem(message="empty text", path=path, expected="some text")
    return Problem(message="text too short", path=path, expected=f"at least {limit} characters")


def _map_items(error: ValidationError, path: DocumentPath) -> Problem:
    limit, value = error.validator_value, error.instance
    size = len(value) if isinstance(value, list) else 0
    if error.validator == "maxItems":
        return Problem(message=f"too many items ({size})", path=path, expected=f"at most {limit}")
    noun = "item" if limit == 1 else "items"
    return Problem(
        message="empty list" if size == 0 else f"too few items ({size})",
        path=path,
        expected=f"at least {limit} {noun}",
    )


def _map_unique(error: ValidationError, path: DocumentPath) -> Problem:
    seen: list[object] = []
    repeated = "an item"
    for item in error.instance if isinstance(error.instance, list) else []:
        if item in seen:
            repeated = _value(item)
            break
        seen.append(item)
    return Problem(
        message=f"{repeated} appears more than once",
        path=path,
        expected="each item once",
        hint="remove the repeat",
    )


_BOUNDS: Final = {
    "minimum": ("too small", "at least"),
    "exclusiveMinimum": ("too small", "more than"),
    "maximum": ("too large", "at most"),
    "exclusiveMaximum": ("too large", "less than"),
}


def _map_bound(error: ValidationError, path: DocumentPath) -> Problem:
    what, bound = _BOUNDS[str(error.validator)]
    return Problem(
        message=f"{short(str(error.instance), 30)} is {what}",
        path=path,
        expected=f"{bound} {error.validator_value}",
    )


def _map_other(error: ValidationError, path: DocumentPath) -> Problem:
    if error.validator == "maxProperties":
        return Problem(
            message="too many properties",
            path=path,
            expected=f"at most {error.validator_value}",
        )
    if error.validator == "false":
        return Problem(message="no value is allowed here", path=path)
    return Problem(message=short(error.message, 200), path=path)


def _map_format(error: ValidationError, path: DocumentPath) -> Problem:
    return _format_problem(str(error.validator_value), error.instance, path)


_SINGLE: Final[dict[str, Callable[[ValidationError, DocumentPath], Problem]]] = {
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
    from jsonschema.exceptions import best_match  # noqa: PLC0415 - see the TYPE_CHECKING imports

    chosen = best_match(error.context or ())
    return [chosen] if chosen is not None else []


def _map_branches(
    error: ValidationError, path: DocumentPath, root: Mapping[str, Any]
) -> list[Problem]:
    subs = _branch_errors(error)
    if not subs:
        return [Problem(message="this value does not match any allowed form", path=path)]
    problems = [p for sub in subs for p in error_problems(sub, root)]
    if not any(o == {"type": "null"} for o in _listed(error.validator_value)):
        return problems
    return [
        attrs.evolve(p, expected=f"{p.expected}, or null")
        if p.path == path and p.message.startswith("wrong type") and p.expected
        else p
        for p in problems
    ]


def _choices(error: ValidationError) -> str:
    allowed = (
        _listed(error.validator_value) if error.validator == "enum" else [error.validator_value]
    )
    return _words(a if isinstance(a, str) else json.dumps(a) for a in allowed)


def _map_conditional(
    error: ValidationError, path: DocumentPath, root: Mapping[str, Any]
) -> list[Problem]:
    """An enum or const that applies only under a condition (an ``if``): say which.

    The condition is read from the schema itself, so what a message says a
    unit allows (or what a property is for) is the schema's, never a copy.
    """
    problem = _map_enum(error, path)
    steps = list(error.absolute_schema_path)
    if "then" not in steps:
        return [problem]
    branch = len(steps) - 1 - steps[::-1].index("then")
    condition = _walk(root, [*steps[:branch], "if"])
    if not isinstance(condition, Mapping):
        return [problem]
    required = _listed(condition.get("required"))
    keyed = {
        name: _listed(spec.get("enum")) or [spec.get("const")]
        for name, spec in condition.get("properties", {}).items()
        if isinstance(spec, Mapping) and ("enum" in spec or "const" in spec)
    }
    if keyed:  # e.g. the units that take no amount
        name, values = next(iter(keyed.items()))
        return [
            attrs.evolve(
                problem,
                expected=f"{problem.expected} when {name} is {_words(str(v) for v in values)}",
            )
        ]
    if required:  # e.g. a tolerance, which only "immediately" takes
        given = required[0]
        return [
            attrs.evolve(
                problem,
                message=f'{problem.message}: "{given}" is only for {_choices(error)}',
                hint=f'leave "{given}" out, or change this value',
            )
        ]
    return [problem]


_MANY: Final[
    dict[str, Callable[[ValidationError, DocumentPath, Mapping[str, Any]], list[Problem]]]
] = {
    "anyOf": _map_branches,
    "oneOf": _map_branches,
    "required": _map_required,
    "additionalProperties": _map_additional,
    "enum": _map_conditional,
    "const": _map_conditional,
}
"""How to say what a failed keyword means, for keywords that may give several problems."""


def error_problems(error: ValidationError, root: Mapping[str, Any]) -> list[Problem]:
    """Say what one validation error means, in the words of a policy author."""
    path: DocumentPath = tuple(error.absolute_path)
    keyword = str(error.validator)
    if "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str):
        # The error is about a property's name: point at the property.
        path = (*path, error.instance)
        if error.instance == "$ref":
            return [_remote_reference(path)]
    if keyword in _MANY:
        return _MANY[keyword](error, path, root)
    return [_SINGLE.get(keyword, _map_other)(error, path)]


def document_order(document: object, path: Iterable[object]) -> tuple[int, ...]:
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


def pointer_path(pointer: str) -> DocumentPath:
    """A JSON pointer's parts, list indexes as numbers (for a pointer a document gives)."""
    return tuple(int(part) if part.isdigit() else part for part in pointer_parts(pointer))


def unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple[DocumentPath, str, str | None]] = set()
    kept = []
    for problem in problems:
        key = (problem.path, problem.message, problem.severity)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


def structure_problems(error: BaseException, path: tuple[str | int, ...]) -> list[Problem]:
    # Imported on failure only (cattrs is loaded by then: it raised the error).
    from cattrs.errors import (  # noqa: PLC0415
        ClassValidationError,
        ForbiddenExtraKeysError,
        IterableValidationError,
    )

    if isinstance(error, ClassValidationError | IterableValidationError):
        with_notes, without = error.group_exceptions()
        problems: list[Problem] = []
        for exc, note in with_notes:
            step = getattr(note, "name", getattr(note, "index", None))
            problems.extend(structure_problems(exc, (*path, step) if step is not None else path))
        for exc in without:
            problems.extend(structure_problems(exc, path))
        return problems
    if isinstance(error, ForbiddenExtraKeysError):
        return [
            Problem(message=f'unknown property "{short(key)}"', path=(*path, key))
            for key in sorted(error.extra_fields)
        ]
    if isinstance(error, CalendarError):
        return [
            Problem(
                message=f"{error.message}: {short(error.value)}",
                path=path,
                expected=error.expected,
                hint=error.hint,
            )
        ]
    if isinstance(error, NaiveTimestampError):
        return [
            Problem(
                message="timestamp has no UTC offset",
                path=path,
                expected=_DATETIME_EXPECTED,
                hint=_OFFSET_HINT,
            )
        ]
    if isinstance(error, KeyError):
        name = error.args[0] if error.args else "?"
        return [Problem(message=f'missing property "{name}"', path=path)]
    return [
        Problem(
            message=f"this value cannot be used: {short(str(error), 160)}",
            path=path,
        )
    ]
