"""The JSON Schemas challenge-rules publishes, and checking a document against one.

The schemas are read from the installed package (one small function,
`_schema_files`, says where) into one `referencing` registry; validation
never touches the network: a reference to any other document is reported as
a problem, not fetched.  Problems are worded for the people who write the
files (the wording is in `_messages`) and sorted in document order.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from challenge_rules._convert import DATE_RE, DATETIME_RE
from challenge_rules._messages import (
    REMOTE,
    document_order,
    error_problems,
    unique,
)
from challenge_rules._resources import schema_files as _schema_files
from challenge_rules._text import short
from challenge_rules.errors import NotFound, Problem
from challenge_rules.reading import MAX_PROBLEMS, json_problems

if TYPE_CHECKING:
    # jsonschema and referencing (~40 ms to import) are loaded by the first document checked.
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import ValidationError
    from referencing import Registry, Resource

SCHEMA_BASE: Final = "https://challenge-rules.readthedocs.io/schemas/"
"""Where the schemas are published; each schema's ``$id`` is this plus its file name."""

_PACKAGE: Final = "challenge_rules"


@functools.cache
def _schema(name: str) -> dict[str, Any]:
    files = _schema_files()
    if name not in files:
        raise NotFound(kind="schema", key=name, available=tuple(sorted(files)))
    loaded: dict[str, Any] = json.loads(files[name].read_text(encoding="utf-8"))
    return loaded


def policy_schema() -> dict[str, Any]:
    """The policy JSON Schema (a fresh copy: changing it changes nothing else)."""
    return copy.deepcopy(_schema("policy"))


def history_schema() -> dict[str, Any]:
    """The case-history JSON Schema (a fresh copy)."""
    return copy.deepcopy(_schema("history"))


def _refuse(uri: str) -> Resource[Any]:
    from referencing.exceptions import NoSuchResource  # noqa: PLC0415 - see TYPE_CHECKING

    # The registry's only way to find a document it does not hold: refuse.
    raise NoSuchResource(uri)


@functools.cache
def _registry() -> Registry[Any]:
    from referencing import Registry, Resource  # noqa: PLC0415 - see TYPE_CHECKING

    resources = [
        (_schema(name)["$id"], Resource.from_contents(_schema(name))) for name in _schema_files()
    ]
    registry: Registry[Any] = Registry(retrieve=_refuse)  # type: ignore[call-arg]
    return registry.with_resources(resources)


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not DATE_RE.fullmatch(value):
        return False
    date.fromisoformat(value)
    return True


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = DATETIME_RE.fullmatch(value)
    if match is None or match["offset"] is None:
        return False
    datetime.fromisoformat(value)
    return True


@functools.cache
def _formats() -> FormatChecker:
    from jsonschema import FormatChecker  # noqa: PLC0415 - see TYPE_CHECKING

    formats = FormatChecker(formats=())
    formats.checks("date", raises=ValueError)(_is_date)
    formats.checks("date-time", raises=ValueError)(_is_datetime)
    return formats


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    return _make_validator(_schema(name))


def _make_validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - see TYPE_CHECKING

    return Draft202012Validator(schema, registry=_registry(), format_checker=_formats())


# --- validation ---------------------------------------------------------------


def _schema_warning(document: object, name: str) -> list[Problem]:
    if not isinstance(document, Mapping):
        return []
    declared = document.get("$schema")
    expected = f"{SCHEMA_BASE}{name}.schema.json"
    if not isinstance(declared, str) or declared.endswith(f"{name}.schema.json"):
        return []
    return [
        Problem(
            message=f'this file names the schema "{short(declared)}", but it was checked '
            f"against the challenge-rules {name} schema",
            path=("$schema",),
            expected=expected,
            hint=f'write "$schema": "{expected}"',
            severity="warning",
        )
    ]


# What to do with a document of one kind given where another was expected;
# any pair not listed gets the general hint.
_WRONG_KIND_HINTS: Final = {
    ("history", "evaluation"): "evaluate the history first "
    "(challenge-rules evaluate FILE --policy ID --as-of MOMENT --format json)",
    ("evaluation", "history"): "give the case history the evaluation was made from",
    ("history", "policy"): "to check a case history, use challenge-rules evaluate "
    "(or history_problems in Python)",
    ("policy", "history"): "give the policy with --policy, and the case history as the file",
    ("scenarios", "policy"): "to run a scenario file, use challenge-rules test",
}


def _is_json_schema(document: Mapping[str, Any]) -> bool:
    """Whether ``document`` is a JSON Schema (the challenge-rules schemas among them)."""
    keys = document.keys()
    return {"$schema", "$id"} <= keys and not keys.isdisjoint({"properties", "$defs"})


def _kind_problem(document: object, name: str) -> Problem | None:
    """A problem saying ``document`` is another kind of file, if it plainly is.

    A document plainly is of another kind when it has every property that
    kind's schema requires and lacks one the expected schema requires: the
    schemas' own ``required`` lists are the signatures. A JSON Schema (with
    ``$schema``, ``$id`` and ``properties`` or ``$defs``) is one too.
    """
    if not isinstance(document, Mapping) or name not in _schema_files():
        return None
    wanted = _schema(name)
    if set(wanted.get("required", ())) <= document.keys():
        return None
    if _is_json_schema(document):
        return Problem(
            message=f"this is a JSON Schema document, not a {wanted['title']} file",
            hint=f"a JSON Schema describes files; give a {name} file itself",
        )
    for other in sorted(_schema_files()):
        required = _schema(other).get("required")
        if other != name and required and set(required) <= document.keys():
            title, expected = _schema(other)["title"], wanted["title"]
            return Problem(
                message=f"this is a {title} file, not a {expected} file",
                hint=_WRONG_KIND_HINTS.get(
                    (other, name), f"check that this is the file you meant to give as the {name}"
                ),
            )
    return None


def _validate(document: object, schema: Mapping[str, Any], name: str) -> list[Problem]:
    scanned = json_problems(document)
    if scanned:
        return scanned
    wrong_kind = _kind_problem(document, name)
    if wrong_kind is not None:
        return [wrong_kind]
    from referencing.exceptions import Unresolvable  # noqa: PLC0415 - see TYPE_CHECKING

    validator = _make_validator(schema) if name == "" else _validator(name)
    problems: list[Problem] = []
    try:
        errors = list(_take(validator.iter_errors(document), MAX_PROBLEMS + 1))
    except Unresolvable as unresolvable:
        reference = getattr(unresolvable, "ref", "") or str(unresolvable)
        return [
            Problem(
                message=f'the schema refers to "{short(str(reference), 120)}": {REMOTE}',
                expected="a schema with only references inside it, or to challenge-rules schemas",
            )
        ]
    for error in errors:
        problems.extend(error_problems(error, schema))
    referring = {
        p.path[:-1] if p.path[-1:] == ("$ref",) else p.path
        for p in problems
        if p.message.endswith(REMOTE)
    }
    problems = [
        p for p in unique(problems) if not (p.path in referring and p.message.startswith("missing"))
    ]
    problems.sort(key=lambda p: document_order(document, p.path))
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


def schema_names() -> tuple[str, ...]:
    """The names of the published schemas (``policy``, ``history``, ...), sorted."""
    return tuple(sorted(_schema_files()))


__all__ = [
    "SCHEMA_BASE",
    "history_schema",
    "policy_schema",
    "schema_names",
    "validate_document",
]
