"""Loading policies and case histories: one pipeline for both documents.

Each document goes through the same four steps, and every problem of a step
is reported, located by a JSON pointer (and, in a history, the event id):

1. read: strict JSON (`challenge_rules.reading`): size, encoding, syntax,
   nesting depth, duplicate property names, NaN and Infinity;
2. schema: the published JSON Schema (`challenge_rules.schemas`);
3. structure: only if the schema passed, the frozen value (`Policy`,
   `CaseHistory`) built by the strict converter (`challenge_rules.converter`);
4. rules: the checks a schema cannot express (for a policy: every id a rule
   names exists, the ladder ends, ...; for a history: no two events share an
   id).

``load_*`` raises `InvalidPolicy` or `InvalidHistory` with every problem;
each has a ``*_problems`` twin that returns them, warnings included.

A shipped policy is asked for by id with `shipped_policy`; `load_policy`
takes a path or a mapping, never an id.  Where one text may be either (the
command line's ``--policy``, a history's or a scenario file's ``policy``),
`is_policy_id` decides by the text alone, never by what files exist.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

from challenge_rules._convert import in_moment_range
from challenge_rules._history_reader import read_history
from challenge_rules._ids import ID_RE
from challenge_rules._resources import policy_folder
from challenge_rules._shipped import trusted_policy
from challenge_rules._text import short
from challenge_rules.converter import default_converter, fast_converter
from challenge_rules.errors import (
    DocumentPath,
    InvalidHistory,
    InvalidInput,
    InvalidPolicy,
    Problem,
    UnknownPolicy,
)
from challenge_rules.history import MAX_EVENTS, CaseHistory, moment_fields
from challenge_rules.policy import Policy
from challenge_rules.reading import Line, parse_json, read_document

if TYPE_CHECKING:
    from cattrs import Converter

_T = TypeVar("_T")
_PACKAGE: Final = "challenge_rules"

Source = str | os.PathLike[str] | Mapping[str, Any]
"""What `load_policy` and `load_history` take: the path of a JSON file, or parsed JSON."""


def _errors(problems: list[Problem] | tuple[Problem, ...]) -> bool:
    return any(p.severity == "error" for p in problems)


@attrs.frozen
class _Document(Generic[_T]):
    """What the pipeline needs to know of one kind of document."""

    schema: str
    """The name of its JSON Schema."""
    cls: type[_T]
    error: type[InvalidInput]
    first: Callable[[Mapping[str, Any]], list[Problem]]
    """Checks cheap enough to refuse a document before the schema reads it all."""
    before: Callable[[Mapping[str, Any]], list[Problem]]
    """Rules on the parsed document, once the schema passed (before structuring)."""
    after: Callable[[_T], tuple[Problem, ...]]
    """Rules on the built value."""
    locate: Callable[[Problem, object], Problem]
    """Add to a problem what the document says of its place (a history's event id)."""


def _none(_: object) -> list[Problem]:
    return []


def _none_after(_: object) -> tuple[Problem, ...]:
    return ()


def _as_is(problem: Problem, _: object) -> Problem:
    return problem


def _open(source: Source) -> tuple[str | None, object, tuple[Problem, ...]]:
    """Step 1, read: the source's label, the parsed document, and what stopped its reading."""
    if not isinstance(source, str | os.PathLike):
        return None, source, ()  # parsed JSON (a mapping, or any other value to refuse)
    label = os.fspath(source)
    document, problems = read_document(source)
    return label, document, tuple(p.with_source(label) for p in problems)


def _structure(
    document: Mapping[str, Any], cls: type[_T], converter: Converter | None
) -> tuple[_T | None, list[Problem]]:
    data = {k: v for k, v in document.items() if k != "$schema"}
    try:
        return (converter or default_converter()).structure(data, cls), []
    except Exception as error:  # noqa: BLE001 - every failure becomes a located problem
        from challenge_rules._messages import structure_problems  # noqa: PLC0415 - on failure only

        return None, structure_problems(error, ()) or [
            Problem(message="the document cannot be read")
        ]


def _check(
    document: object, kind: _Document[_T], converter: Converter | None
) -> tuple[_T | None, list[Problem]]:
    """Steps 2 to 4, schema -> structure -> rules: the value (if valid) and every problem."""
    from challenge_rules.schemas import validate_document  # noqa: PLC0415 - the checked path only

    if isinstance(document, Mapping) and (refused := kind.first(document)):
        return None, refused
    problems = [kind.locate(p, document) for p in validate_document(document, kind.schema)]
    if _errors(problems) or not isinstance(document, Mapping):
        return None, problems
    problems += kind.before(document)
    if _errors(problems):
        return None, problems
    value, structuring = _structure(document, kind.cls, converter)
    problems += [kind.locate(p, document) for p in structuring]
    if value is not None:
        problems += kind.after(value)
    return value, problems


def _problems(source: Source, kind: _Document[Any]) -> tuple[Problem, ...]:
    label, document, unread = _open(source)
    if unread:
        return unread
    return tuple(p.with_source(label) for p in _check(document, kind, None)[1])


def _load(
    source: Source,
    kind: _Document[_T],
    converter: Converter | None,
    fast: Callable[[Mapping[str, Any], Converter | None], _T | None] | None = None,
) -> _T:
    label, document, unread = _open(source)
    if unread:
        raise kind.error(problems=unread, source=label)
    if fast is not None and isinstance(document, Mapping):
        value = fast(document, converter)
        if value is not None:
            return value
    result = _check(document, kind, converter)
    checked, problems = result
    if checked is None or _errors(problems):
        raise kind.error(problems=tuple(p.with_source(label) for p in problems), source=label)
    return checked


# --- policies -------------------------------------------------------------------------


def _policy_rules(policy: Policy) -> tuple[Problem, ...]:
    # The rules' module is loaded by the checked path only: a trusted shipped policy skips it.
    from challenge_rules._semantic import check_policy_semantics  # noqa: PLC0415

    return check_policy_semantics(policy)


_POLICY: Final = _Document(
    schema="policy",
    cls=Policy,
    error=InvalidPolicy,
    first=_none,
    before=_none,
    after=_policy_rules,
    locate=_as_is,
)


def load_policy(source: Source, *, converter: Converter | None = None) -> Policy:
    """Load and check a policy from the path of a JSON file or an already-parsed mapping.

    Raises `InvalidPolicy` with every problem found (warnings are not
    problems: see `policy_problems` to get them). A policy shipped with
    challenge-rules is loaded by id with `shipped_policy`; a missing file whose
    name is a shipped policy's id says so in its hint.
    """
    try:
        return _load(source, _POLICY, converter)
    except InvalidPolicy as error:
        raise _with_shipped_hint(error, source) from None


def _with_shipped_hint(error: InvalidPolicy, source: Source) -> InvalidPolicy:
    # load_policy("hips") reads a file named hips: the caller most likely meant the id.
    if not isinstance(source, str) or source not in shipped_policies():
        return error
    hint = f'to load the shipped policy "{source}", call shipped_policy("{source}")'
    return attrs.evolve(
        error,
        problems=tuple(
            attrs.evolve(p, hint=hint) if p.message == "file not found" else p
            for p in error.problems
        ),
    )


def policy_problems(source: Source) -> tuple[Problem, ...]:
    """Every problem with a policy, warnings included: an empty tuple if none.

    Takes the same sources as `load_policy` (a file's path or a parsed
    mapping) and finds the same problems, but returns them instead of
    raising; a file that cannot be read is a problem too. Schema problems
    come first; only if the schema passed is the `Policy` built and checked
    for the rules a schema cannot express.
    """
    return _problems(source, _POLICY)


def shipped_policies() -> tuple[str, ...]:
    """The ids of the policies shipped with challenge-rules, sorted."""
    folder = policy_folder()
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            entry.name.removesuffix(".json")
            for entry in folder.iterdir()
            if entry.name.endswith(".json")
            and entry.is_file()
            and ID_RE.fullmatch(entry.name.removesuffix(".json"))
        )
    )


def _shipped_document(policy_id: str) -> tuple[object, tuple[Problem, ...]]:
    if policy_id not in shipped_policies():
        raise UnknownPolicy(policy_id=policy_id, available=shipped_policies())
    resource = policy_folder() / f"{policy_id}.json"
    document, problems = parse_json(resource.read_bytes())
    return document, tuple(p.with_source(policy_id) for p in problems)


@functools.lru_cache(maxsize=32)
def shipped_policy(policy_id: str) -> Policy:
    """The policy shipped with challenge-rules under ``policy_id`` (see `shipped_policies`).

    Raises `UnknownPolicy` for an id no shipped policy has. (Each is checked
    and built once, then the same frozen value is returned. A file whose bytes
    passed every check when the test suite ran is built without checking it
    again: see `challenge_rules._shipped`.)
    """
    trusted = trusted_policy(policy_id)
    if trusted is not None:
        return trusted
    document, unread = _shipped_document(policy_id)
    if unread or not isinstance(document, Mapping):
        raise InvalidPolicy(problems=unread, source=policy_id)
    return _load(document, _POLICY, None)


def shipped_policy_problems(policy_id: str) -> tuple[Problem, ...]:
    """Every problem with a shipped policy, warnings included (see `policy_problems`)."""
    document, unread = _shipped_document(policy_id)
    if unread:
        return unread
    return tuple(p.with_source(policy_id) for p in _check(document, _POLICY, None)[1])


def is_policy_id(reference: str) -> bool:
    """Whether ``reference`` names a shipped policy (an id) rather than a policy file (a path).

    The rule, for the places where one text may be either (``--policy`` and
    ``validate`` on the command line, a history's or a scenario file's
    ``policy``): a text the policy id pattern matches (lower-case letters,
    digits and hyphens) is an id; anything else (with a ``/``, a ``.json``,
    a capital, ...) is a path. Only the text decides, never which files
    exist where the program runs: ``./hips`` is the file, ``hips`` the id.
    """
    return ID_RE.fullmatch(reference) is not None and not reference.lower().endswith(".json")


def policy_from_reference(
    reference: str | os.PathLike[str], *, converter: Converter | None = None
) -> Policy:
    """The policy a reference names: `shipped_policy` for an id, else `load_policy` of the path.

    See `is_policy_id` for the rule; a `os.PathLike` is always a path.
    """
    if isinstance(reference, str) and is_policy_id(reference):
        return shipped_policy(reference)
    return load_policy(reference, converter=converter)


def reference_problems(reference: str | os.PathLike[str]) -> tuple[Problem, ...]:
    """Every problem of the policy a reference names (see `policy_from_reference`)."""
    if isinstance(reference, str) and is_policy_id(reference):
        return shipped_policy_problems(reference)
    return policy_problems(reference)


# --- case histories -----------------------------------------------------------------------


def _event_id(document: object, path: DocumentPath) -> str | None:
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
    ident = _event_id(document, problem.path) if problem.event is None else None
    if ident is None:
        return problem
    return attrs.evolve(problem, event=ident)


def _too_many_events(document: Mapping[str, Any]) -> list[Problem]:
    # Refused at once: the schema would say the same, after seconds of work.
    events = document.get("events")
    if isinstance(events, list) and len(events) > MAX_EVENTS:
        return [
            Problem(
                message=f"too many items ({len(events)})",
                path=("events",),
                expected=f"at most {MAX_EVENTS}",
                hint="split the disagreement's history, or check it is one case",
            )
        ]
    return []


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
                    message=f'event id "{short(ident)}" is used by more than one event',
                    path=("events", index, "id"),
                    expected="a different id for every event",
                    hint=f"the first event with this id is at /events/{first[ident]}",
                    event=ident,
                )
            )
        else:
            first[ident] = index
    return problems


_HISTORY: Final = _Document(
    schema="history",
    cls=CaseHistory,
    error=InvalidHistory,
    first=_too_many_events,
    before=_duplicate_events,
    after=_none_after,
    locate=_with_event,
)


def _fast_history(document: Mapping[str, Any], converter: Converter | None) -> CaseHistory | None:
    """The common case, cheaply: a history the strict converter takes, or None.

    The converter and the history model enforce every rule of the history
    schema but two, checked here (property tests in tests/test_history_loading.py
    keep them in step), so a document they accept is valid; anything else
    returns None and goes the slow way, through the schema, which finds and
    locates every problem. Without a caller's converter, a plain JSON
    document is read by `read_history` (code generated from the model, that
    builds the same value: tests/test_history_reader.py), and what it steps
    aside from by a converter without cattrs' detailed validation: the same
    checks, without the work of locating a failure the slow path locates anyway.
    """
    if converter is None and (history := read_history(document)) is not None:
        return history
    try:
        history = (converter or fast_converter()).structure(document, CaseHistory)
    except Exception:  # noqa: BLE001 - any failure is for the slow path to explain
        return None
    events = history.events
    if len({event.id for event in events}) != len(events):
        return None
    for event in events:
        for name in moment_fields(event.kind):
            moment = getattr(event, name)
            if moment is not None and not in_moment_range(moment):
                return None  # the schema's timestamp pattern says where and why
    return history


def load_history(source: Source, *, converter: Converter | None = None) -> CaseHistory:
    """Load and check a case history from the path of a JSON file or a parsed mapping.

    Raises `InvalidHistory` with every problem found: schema problems (such
    as a timestamp without a UTC offset), each located by JSON pointer and
    event id, and events that share an id.
    """
    return _load(source, _HISTORY, converter, _fast_history)


def history_problems(source: Source) -> tuple[Problem, ...]:
    """Every problem with a case history, warnings included: an empty tuple if none.

    Takes the same sources as `load_history` (a file's path or a parsed
    mapping) and finds the same problems, but returns them instead of
    raising; a file that cannot be read is a problem too. The history is
    checked on its own: whether it fits a policy is for `evaluate` to say.
    """
    return _problems(source, _HISTORY)


def load_history_line(line: Line, *, converter: Converter | None = None) -> CaseHistory:
    """Load and check the case history on one line of a JSON Lines file.

    As `load_history`, with every problem located at the line (``cases.jsonl:12``):
    raises `InvalidHistory` for a line that is not JSON, not a JSON object, or
    not a valid history. Blank lines are the caller's to skip or report.
    """
    document, problems = parse_json(line.data)
    if not problems and not isinstance(document, dict):
        problems = (Problem(message="not a JSON object", expected="a case history object"),)
    if problems or not isinstance(document, dict):
        raise InvalidHistory(problems=problems, source=line.source)
    try:
        return load_history(document, converter=converter)
    except InvalidHistory as error:
        raise attrs.evolve(error, source=line.source) from None


__all__ = [
    "Source",
    "history_problems",
    "is_policy_id",
    "load_history",
    "load_history_line",
    "load_policy",
    "policy_from_reference",
    "policy_problems",
    "reference_problems",
    "shipped_policies",
    "shipped_policy",
    "shipped_policy_problems",
]
