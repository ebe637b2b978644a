"""Refusals, and RFC 9457 problem details (``application/problem+json``) for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from attrs import field, frozen

from challenge_rules.errors import ChallengeRulesError, DocumentPath, Problem

if TYPE_CHECKING:
    from collections.abc import Iterable

PROBLEM_JSON: Final = "application/problem+json"
TYPE_BASE: Final = "https://challenge-rules.readthedocs.io/en/latest/service.html#problem-"
"""Each problem type's URI is this plus its slug: the docs describe each there."""


@frozen
class Kind:
    """A kind of refusal: its HTTP status and title."""

    status: int
    title: str


KINDS: Final[Mapping[str, Kind]] = {
    "not-json": Kind(400, "The request body is not JSON"),
    "not-found": Kind(404, "No such resource"),
    "method-not-allowed": Kind(405, "Method not allowed"),
    "too-large": Kind(413, "The request body is too large"),
    "unsupported-media-type": Kind(415, "The request body must be JSON"),
    "invalid-request": Kind(422, "The request is not valid"),
    "invalid-history": Kind(422, "The case history is not valid"),
    "invalid-evaluation": Kind(422, "The evaluations cannot be compared"),
    "too-many": Kind(422, "The request asks for more than this service allows"),
    "timeout": Kind(503, "The request took too long"),
    "internal": Kind(500, "Internal error"),
}
"""Every refusal the service makes, by slug (the table docs/service.md describes)."""


def _problems(value: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(value)


@frozen(eq=False)
class Refusal(ChallengeRulesError):
    """Why a request gets no answer: raised by handlers, turned into problem details."""

    slug: str = field()
    detail: str
    problems: tuple[Problem, ...] = field(default=(), converter=_problems)
    headers: Mapping[str, str] | None = None

    @slug.validator
    def _known(self, _: object, value: str) -> None:
        if value not in KINDS:
            raise ValueError(value)

    @property
    def kind(self) -> Kind:
        """The refusal's status and title."""
        return KINDS[self.slug]

    def __str__(self) -> str:
        return f"{self.kind.status} {self.kind.title}: {self.detail}"


def details(refusal: Refusal, instance: str) -> dict[str, Any]:
    """The RFC 9457 problem details of ``refusal`` for the request path ``instance``."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + refusal.slug,
        "title": refusal.kind.title,
        "status": refusal.kind.status,
        "detail": refusal.detail,
        "instance": instance,
    }
    if refusal.problems:
        body["problems"] = [problem.as_dict() for problem in refusal.problems]
    return body


def under(base: DocumentPath, problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """``problems`` of a document found at ``base`` of the request body."""
    return tuple(p.under(*base) for p in problems)


__all__ = ["KINDS", "PROBLEM_JSON", "TYPE_BASE", "Kind", "Refusal", "details", "under"]
