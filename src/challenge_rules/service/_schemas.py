"""The published JSON Schemas, and checking request envelopes against them.

A request's envelope (``as_of``, ``policy``, ``cases``...) is checked against
the service schema's definition of it. The case histories and evaluations it
carries are checked once, by the library's own readers (`load_history`, which
locates problems by event as well as by pointer, and `report.from_json`): for
the envelope check, the history and evaluation schemas' roots stand in as "an
object" (their definitions of ids, timestamps, deadlines still apply).
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from challenge_rules._resources import schema_files
from challenge_rules.errors import DocumentPath, Problem
from challenge_rules.schemas import SCHEMA_BASE

if TYPE_CHECKING:
    from collections.abc import Mapping

    from jsonschema.exceptions import ValidationError

SERVICE: Final = SCHEMA_BASE + "service.schema.json"
HISTORY: Final = SCHEMA_BASE + "history.schema.json"
EVALUATION: Final = SCHEMA_BASE + "evaluation.schema.json"
_DEFERRED: Final = {HISTORY: "history", EVALUATION: "evaluation"}
"""The documents a request carries that their own readers check, by ``$id``."""
_MAX_PROBLEMS: Final = 100


@functools.cache
def schemas() -> Mapping[str, Mapping[str, Any]]:
    """Every published schema by short name (``policy``, ``history``, ``service``...)."""
    return {
        name: json.loads(entry.read_text(encoding="utf-8"))
        for name, entry in schema_files().items()
    }


def _refuse(uri: str) -> Resource[Any]:
    raise NoSuchResource(uri)  # never fetched: every schema is in the package


@functools.cache
def _envelope_validator(definition: str) -> Draft202012Validator:
    resources = [
        (document["$id"], Resource.from_contents(document)) for document in schemas().values()
    ]
    # Their definitions (ids, timestamps, deadlines) stay; only their roots are deferred.
    for uri, name in _DEFERRED.items():
        document = schemas()[name]
        deferred = {key: document[key] for key in ("$schema", "$id", "$defs")}
        resources.append((uri, Resource.from_contents(deferred | {"type": "object"})))
    registry: Registry[Any] = Registry(retrieve=_refuse).with_resources(resources)  # type: ignore[call-arg]
    return Draft202012Validator({"$ref": f"{SERVICE}#/$defs/{definition}"}, registry=registry)


_HINTS: Final[Mapping[str, str]] = {
    "required": "add it (see /v1/openapi.json for the request's shape)",
    "additionalProperties": "remove it, or check its spelling",
    "type": "see /v1/openapi.json for the request's shape",
    "pattern": "ids are lower-case letters, digits, '-' and '_'",
    "oneOf": "see /v1/openapi.json for the request's shape",
}


def _problem(error: ValidationError) -> Problem:
    expected = error.schema.get("description") if isinstance(error.schema, dict) else None
    message = error.message if len(error.message) <= 200 else error.message[:199] + "…"
    return Problem(
        message=message,
        path=error.absolute_path,
        expected=expected if isinstance(expected, str) else None,
        hint=_HINTS.get(str(error.validator)),
    )


def envelope_problems(document: object, definition: str) -> tuple[Problem, ...]:
    """Every problem of a request body's envelope (the documents inside are not checked)."""
    problems: list[Problem] = []
    for error in _envelope_validator(definition).iter_errors(document):
        problems.append(_problem(error))
        if len(problems) >= _MAX_PROBLEMS:
            break
    return tuple(problems)


def moment(text: str, path: DocumentPath) -> tuple[datetime | None, Problem | None]:
    """A timestamp with its UTC offset, or the problem with it."""
    example = "e.g. 2026-06-22T09:00:00+01:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None, Problem(
            message="not a timestamp", path=path, expected=f"a timestamp ({example})"
        )
    if value.utcoffset() is None:
        return None, Problem(
            message="the timestamp has no UTC offset",
            path=path,
            expected=f"a timestamp with its UTC offset ({example})",
            hint="the service never guesses a time zone: add +00:00, +01:00 or Z",
        )
    return value, None


__all__ = ["HISTORY", "SERVICE", "envelope_problems", "moment", "schemas"]
