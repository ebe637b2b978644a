"""The service's OpenAPI 3.1 document, built from the operations table and the JSON Schemas.

Every published schema (``schemas/*.schema.json``) is embedded whole under
``components/schemas``, keyed by its file name and keeping its ``$id``; the
named components (``Evaluation``, ``BatchRequest``, ``ProblemDetails``...)
refer to them by ``$id``. OpenAPI 3.1's schema dialect is JSON Schema
2020-12, the schemas' own, so request and response shapes are the schemas,
not copies of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from attrs import frozen

from challenge_rules.schemas import SCHEMA_BASE
from challenge_rules.service._problems import KINDS, PROBLEM_JSON
from challenge_rules.service._schemas import SERVICE, schemas

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

JSON: Final = "application/json"
SCHEMA_JSON: Final = "application/schema+json"
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

COMPONENTS: Final[Mapping[str, str]] = {
    "Policy": SCHEMA_BASE + "policy.schema.json",
    "History": SCHEMA_BASE + "history.schema.json",
    "Evaluation": SCHEMA_BASE + "evaluation.schema.json",
    "Changes": SCHEMA_BASE + "changes.schema.json",
    "EvaluateRequest": f"{SERVICE}#/$defs/evaluate_request",
    "BatchRequest": f"{SERVICE}#/$defs/batch_request",
    "BatchResponse": f"{SERVICE}#/$defs/batch_response",
    "ChangesRequest": f"{SERVICE}#/$defs/changes_request",
    "ValidationReport": f"{SERVICE}#/$defs/validation_report",
    "ProblemDetails": f"{SERVICE}#/$defs/problem_details",
    "PolicyList": f"{SERVICE}#/$defs/policy_list",
    "VersionList": f"{SERVICE}#/$defs/version_list",
    "Diagram": f"{SERVICE}#/$defs/diagram",
    "SchemaList": f"{SERVICE}#/$defs/schema_list",
    "Health": f"{SERVICE}#/$defs/health",
}
"""The named components, each a reference to a published schema or one of its definitions."""


@frozen
class Parameter:
    """A path or query parameter."""

    name: str
    where: str
    description: str
    required: bool = True


@frozen
class Operation:
    """One endpoint: what it takes, what it answers, and the function that answers."""

    method: str
    path: str
    operation_id: str
    summary: str
    endpoint: Callable[..., Any]
    response: str | None
    """The named component of the 200 response (``None``: any JSON object)."""
    request: str | None = None
    media: str = JSON
    refusals: tuple[str, ...] = ()
    """The refusal slugs it can answer with, besides internal (and, with a body, the body's)."""
    parameters: tuple[Parameter, ...] = ()


_ALWAYS: Final = ("internal",)
_WITH_BODY: Final = (
    "not-json",
    "too-large",
    "unsupported-media-type",
    "invalid-request",
    "timeout",
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _content(media: str, name: str | None) -> dict[str, Any]:
    return {media: {"schema": _ref(name) if name else {"type": "object"}}}


def _responses(operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": operation.summary,
            "content": _content(operation.media, operation.response),
        }
    }
    slugs = (*operation.refusals, *(_WITH_BODY if operation.request else ()), *_ALWAYS)
    for status in sorted({KINDS[slug].status for slug in slugs}):
        titles = sorted({KINDS[s].title for s in slugs if KINDS[s].status == status})
        responses[str(status)] = {
            "description": "; ".join(titles),
            "content": _content(PROBLEM_JSON, "ProblemDetails"),
        }
    return responses


def _operation(operation: Operation) -> dict[str, Any]:
    described: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "responses": _responses(operation),
    }
    if operation.parameters:
        described["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required,
                "description": p.description,
                "schema": {"type": "string", "maxLength": 200},
            }
            for p in operation.parameters
        ]
    if operation.request:
        described["requestBody"] = {"required": True, "content": _content(JSON, operation.request)}
    return described


def build(operations: Iterable[Operation], version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document describing ``operations``."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation)
    embedded = {f"{name}.schema.json": dict(document) for name, document in schemas().items()}
    named = {name: {"$ref": target} for name, target in COMPONENTS.items()}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": DIALECT,
        "info": {
            "title": "challenge-rules",
            "version": version,
            "summary": "Evaluate safeguarding escalation case histories against policies.",
            "description": (
                "Every answer is computed from the request alone: the service never reads "
                "its clock for an answer (as_of is required) and keeps no state, so any "
                "number of instances can run behind a load balancer. Refusals are RFC 9457 "
                "problem details; their 'problems' member locates each problem."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": paths,
        "components": {"schemas": named | embedded},
    }


__all__ = ["COMPONENTS", "DIALECT", "JSON", "SCHEMA_JSON", "Operation", "Parameter", "build"]
