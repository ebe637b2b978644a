"""Errors raised by challenge-rules.

Every exception that leaves the public API derives from `ChallengeRulesError`.
Errors keep their data as fields and build their message in ``__str__``, so a
caller can both show a person what went wrong and act on it programmatically.

Input errors (a broken policy file, a bad case history, a bad scenario file)
carry *every* problem found, not just the first, each located by the file it
came from, a JSON pointer into it and, for case histories, the event id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from attrs import evolve, field, frozen

if TYPE_CHECKING:
    from collections.abc import Iterable

Severity = Literal["error", "warning"]
DocumentPath = tuple[str | int, ...]
"""Where a value is in a JSON document: the property names and list indexes leading to it."""


def _parts(path: Iterable[str | int]) -> DocumentPath:
    return tuple(path)


def _location(source: str | None, pointer: str, event: str | None) -> str:
    parts = []
    if source:
        parts.append(source)
    parts.append(pointer or "/")
    if event is not None:
        parts.append(f"event {event!r}")
    return ": ".join(parts)


@frozen
class Problem:
    """One thing wrong with an input document.

    ``path`` is where in the document, as its parts (``("stages", 2,
    "timescale")``; ``()`` is the whole document), and `pointer` the same as
    an RFC 6901 JSON pointer. ``event`` names the case-history event
    concerned, if any.
    """

    message: str
    path: DocumentPath = field(default=(), converter=_parts)
    expected: str | None = None
    hint: str | None = None
    source: str | None = None
    event: str | None = None
    severity: Severity = "error"

    @property
    def pointer(self) -> str:
        """`path` as a JSON pointer (``""`` for the whole document)."""
        return pointer_join(*self.path)

    def __str__(self) -> str:
        text = f"{_location(self.source, self.pointer, self.event)}: {self.message}"
        if self.expected is not None:
            text += f" (expected {self.expected})"
        if self.hint is not None:
            text += f"; hint: {self.hint}"
        return text

    def with_source(self, source: str | None) -> Problem:
        """This problem, located in ``source`` (unless it already names a file)."""
        if self.source is not None or source is None:
            return self
        return evolve(self, source=source)

    def under(self, *prefix: str | int) -> Problem:
        """This problem, located in a document that sits at ``prefix`` of a larger one."""
        return evolve(self, path=(*prefix, *self.path))

    def as_dict(self) -> dict[str, str | None]:
        """A JSON-ready mapping, as ``--format json`` prints it."""
        return {
            "severity": self.severity,
            "source": self.source,
            "pointer": self.pointer,
            "event": self.event,
            "message": self.message,
            "expected": self.expected,
            "hint": self.hint,
        }


def pointer_join(*parts: str | int) -> str:
    """Build a JSON pointer from path parts, escaping ``~`` and ``/``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def pointer_parts(pointer: str) -> list[str]:
    """Split a JSON pointer into its unescaped parts (the inverse of `pointer_join`)."""
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


class ChallengeRulesError(Exception):
    """The root of every error challenge-rules raises."""


def _problems_converter(value: Iterable[Problem]) -> tuple[Problem, ...]:
    # Errors first, each group in the order found: problems[0] is always an error
    # when there is one (a stable sort keeps document order within each).
    return tuple(sorted(value, key=lambda p: p.severity != "error"))


@frozen(eq=False)
class InvalidInput(ChallengeRulesError):
    """An input document is not valid; ``problems`` lists every problem found.

    Errors come first; any warnings found with them follow, each marked
    ``severity="warning"`` (and "warning:" in the message). `kind` says
    what the document is; each subclass names its own.
    """

    kind: ClassVar[str] = "input"
    problems: tuple[Problem, ...] = field(converter=_problems_converter)
    source: str | None = None

    def __str__(self) -> str:
        errors = sum(p.severity == "error" for p in self.problems)
        warnings = len(self.problems) - errors
        where = f" in {self.source}" if self.source else ""
        count = errors or len(self.problems)
        noun = "problem" if count == 1 else "problems"
        also = (
            f" (and {warnings} warning{'' if warnings == 1 else 's'})"
            if errors and warnings
            else ""
        )
        lines = [f"invalid {self.kind}{where}: {count} {noun}{also}"]
        lines.extend(
            f"  {'warning: ' if p.severity == 'warning' else ''}{p.with_source(self.source)}"
            for p in self.problems
        )
        return "\n".join(lines)


class InvalidJSON(InvalidInput):
    """A file is not JSON that any input file could be (see `challenge_rules.reading`)."""

    kind = "JSON file"


class InvalidJSONLine(InvalidJSON):
    """A line of a JSON Lines file is not a JSON value."""

    kind = "JSON line"


class InvalidPolicy(InvalidInput):
    """A policy document failed schema or semantic validation."""

    kind = "policy"


class InvalidPolicyDirectory(InvalidPolicy):
    """A directory of policies (as the service loads) holds an invalid or clashing policy."""

    kind = "policy directory"


class InvalidHistory(InvalidInput):
    """A case history is malformed, or contradicts itself or its policy."""

    kind = "case history"


class InvalidCaseload(InvalidHistory):
    """A caseload (a folder or a JSON Lines file of case histories) cannot be read."""

    kind = "caseload"


class InvalidScenario(InvalidInput):
    """A policy scenario file is malformed."""

    kind = "scenario file"


class InvalidEvaluation(InvalidInput):
    """An evaluation's JSON (as `challenge_rules.report.to_json` writes it) is malformed."""

    kind = "evaluation"


class InvalidEvaluations(InvalidEvaluation):
    """Two evaluations to compare are not of one case under one policy."""

    kind = "pair of evaluations"


@frozen(eq=False)
class UnknownPolicy(ChallengeRulesError):
    """A policy id names no policy shipped with challenge-rules."""

    policy_id: str
    available: tuple[str, ...]

    def __str__(self) -> str:
        known = ", ".join(self.available) or "none"
        return (
            f"no shipped policy has the id {self.policy_id!r} (expected one of: {known}); "
            "hint: to load your own policy, pass the path of its JSON file "
            "or of a folder of its versions"
        )


@frozen(eq=False)
class WrongArgument(ChallengeRulesError, TypeError):
    """A function was called with a value of the wrong type (a text where a datetime goes).

    Both a `ChallengeRulesError` and a `TypeError`, as `NotFound` is also a
    `KeyError`: the caller's mistake, caught by either.
    """

    argument: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.argument} must be {self.expected}, not {self.found}"


@frozen(eq=False)
class NotFound(ChallengeRulesError, KeyError):
    """A lookup by id found nothing (a stage, clause or source of a policy, an action, a schema).

    Both a `ChallengeRulesError` and a `KeyError`, so ``except KeyError`` and
    ``except ChallengeRulesError`` both catch it, as with ``referencing``'s
    lookup errors.
    """

    kind: str
    key: str
    available: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"no {self.kind} has the id {self.key!r}"
        if self.available:
            shown = ", ".join(self.available[:20]) + (", ..." if len(self.available) > 20 else "")
            text += f" (expected one of: {shown})"
        return text


@frozen(eq=False)
class UnknownVersion(NotFound):
    """A version asked for by name is not one of a policy's versions (a `NotFound` too).

    ``kind`` is ``"version of policy ID"``, as for any `NotFound`; the message
    names the policy and lists the versions it has.
    """

    policy_id: str = ""

    def __str__(self) -> str:
        has = ", ".join(self.available) or "none"
        return f"no version {self.key!r} of policy {self.policy_id} (it has: {has})"


@frozen(eq=False)
class MissingExtra(ChallengeRulesError, ModuleNotFoundError):
    """A part of challenge-rules needs an optional extra that is not installed.

    Also a `ModuleNotFoundError`, so ``except ImportError`` (and
    ``pytest.importorskip``) treat it as the missing import it is.
    """

    feature: str
    extra: str
    missing: str

    def __str__(self) -> str:
        return (
            f"{self.feature} needs {self.missing}, which is not installed; "
            f"hint: install the {self.extra!r} extra: pip install 'challenge-rules[{self.extra}]'"
        )


@frozen(eq=False)
class CalendarError(ChallengeRulesError):
    """A date or timestamp cannot be placed on a policy's working-day calendar."""

    message: str
    value: str
    expected: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.message}: {self.value} (expected {self.expected})"
        if self.hint is not None:
            text += f"; hint: {self.hint}"
        return text


__all__ = [
    "CalendarError",
    "ChallengeRulesError",
    "DocumentPath",
    "InvalidCaseload",
    "InvalidEvaluation",
    "InvalidEvaluations",
    "InvalidHistory",
    "InvalidInput",
    "InvalidJSON",
    "InvalidJSONLine",
    "InvalidPolicy",
    "InvalidPolicyDirectory",
    "InvalidScenario",
    "MissingExtra",
    "NotFound",
    "Problem",
    "Severity",
    "UnknownPolicy",
    "UnknownVersion",
    "pointer_join",
    "pointer_parts",
]
